"""URL routes: `path` / `re_path` / `url` / `include` and DRF router registrations."""

from __future__ import annotations

from djvet.index.expr import Bin, Call, Const, Expr, Name, Seq
from djvet.index.facts import ModuleInfo, RouteFact
from djvet.index.resolve import Resolver

PATH_FUNCTIONS = {
    "django.urls.path": "path",
    "django.urls.re_path": "re_path",
    "django.urls.conf.path": "path",
    "django.urls.conf.re_path": "re_path",
    "django.conf.urls.url": "re_path",
}
INCLUDE = frozenset({"django.urls.include", "django.urls.conf.include", "django.conf.urls.include"})
# Functions that return the URL patterns they are given, changed.
# how deep lists, `+`, includes and paths nest (each counts one); pretix's root URLconf reaches its
# views through 11 levels across three modules
MAX_NESTING = 30
PATTERN_WRAPPERS = frozenset({"rest_framework.urlpatterns.format_suffix_patterns", "django.conf.urls.i18n.i18n_patterns"})


class RouteCollector:
    def __init__(self, resolver: Resolver, info: ModuleInfo, host: str | None = None) -> None:
        self.resolver = resolver
        self.info = info
        # the URLconf the routes belong to: another module when this one's lists are read for it
        # (`urlpatterns = common_patterns + ...` with `from pretix.urls import common_patterns`)
        self.host = host or info.name
        self.routers: set[str] = set()
        self.routes: list[RouteFact] = []
        self.prefix: list[str] = []  # patterns of the inline includes being read
        # module-level lists of patterns other than urlpatterns (`_patterns = [...]`, then
        # `include(_patterns)`), with what is appended to them anywhere in the module
        self.lists: dict[str, list[Expr]] = {}
        self.expanding: set[tuple[str, str]] = set()  # imported lists being read: no cycles

    def _resolve(self, dotted: str) -> str:
        return self.resolver.resolve(self.info.name, dotted)

    def _collect_lists(self) -> None:
        for statement in self.info.statements:
            value = statement.value
            if statement.kind == "assign" and isinstance(value, Call) and isinstance(value.func, Name):
                if self._resolve(value.func.dotted).endswith("Router"):
                    self.routers.update(statement.targets)
            if statement.kind == "assign" and _is_list(value) and len(statement.targets) == 1:
                name = statement.targets[0]
                if name != "urlpatterns":
                    self.lists[name] = [value]
            elif statement.kind == "augassign" and statement.targets[0] in self.lists and value is not None:
                self.lists[statement.targets[0]].append(value)
            elif statement.kind == "call" and isinstance(value, Call) and isinstance(value.func, Name):
                owner, _, method = value.func.dotted.rpartition(".")
                if owner in self.lists and method in ("append", "extend", "insert") and value.args:
                    arg = value.args[-1]
                    self.lists[owner].append(arg if method == "extend" else Seq("list", (arg,), value.line))

    def collect(self) -> list[RouteFact]:
        self._collect_lists()
        for statement in self.info.statements:
            value = statement.value
            if statement.kind in ("assign", "augassign") and "urlpatterns" in statement.targets:
                self._patterns(value)
            elif statement.kind == "call" and isinstance(value, Call) and isinstance(value.func, Name):
                owner, _, method = value.func.dotted.rpartition(".")
                if owner in self.routers and method == "register":
                    self._register(owner, value)
                elif owner == "urlpatterns" and method in ("append", "extend", "insert"):
                    for arg in value.args:
                        self._patterns(arg)
        return self.routes

    def _register(self, router: str, call: Call) -> None:
        prefix = call.arg(0, "prefix")
        viewset = call.arg(1, "viewset")
        basename = call.arg(2, "basename") or call.kwarg("base_name")
        self.routes.append(
            RouteFact(
                module=self.info.name,
                path=self.info.path,
                line=call.line,
                kind="router",
                pattern=prefix.value if isinstance(prefix, Const) and isinstance(prefix.value, str) else None,
                view=self.resolver.resolve_class(self.info.name, viewset.dotted) if isinstance(viewset, Name) else None,
                include=f"{self.info.name}:{router}",
                basename=basename.value if isinstance(basename, Const) and isinstance(basename.value, str) else None,
            )
        )

    def _patterns(self, expr: Expr | None, depth: int = 0) -> None:
        if depth > MAX_NESTING or expr is None:
            return
        if isinstance(expr, Seq):
            for item in expr.items:
                self._patterns(item, depth + 1)
        elif isinstance(expr, Name) and expr.dotted.endswith(".urls") and expr.dotted[:-5] in self.routers:
            self._add("include", None, None, f"{self.info.name}:{expr.dotted[:-5]}", expr.line, None)
        elif isinstance(expr, Name):
            self._list(expr, depth)
        elif isinstance(expr, Bin) and expr.op == "Add":  # [path(...)] + router.urls
            self._patterns(expr.left, depth + 1)
            self._patterns(expr.right, depth + 1)
        elif isinstance(expr, Call) and isinstance(expr.func, Name):
            resolved = self._resolve(expr.func.dotted)
            kind = PATH_FUNCTIONS.get(resolved)
            if kind is not None:
                self._path(kind, expr, depth)
            elif resolved in PATTERN_WRAPPERS:
                for arg in expr.args:
                    self._patterns(arg, depth + 1)

    def _path(self, kind: str, call: Call, depth: int) -> None:
        route = call.arg(0, "route") or call.arg(0, "regex")
        pattern = route.value if isinstance(route, Const) and isinstance(route.value, str) else None
        target = call.arg(1, "view")
        name_expr = call.kwarg("name")
        name = name_expr.value if isinstance(name_expr, Const) and isinstance(name_expr.value, str) else None
        if isinstance(target, Call) and isinstance(target.func, Name) and self._resolve(target.func.dotted) in INCLUDE:
            self._add("include", pattern, None, self._include_target(target.arg(0)), call.line, name)
            inline = target.arg(0)
            if isinstance(inline, Seq) and inline.kind == "tuple" and inline.items:
                inline = inline.items[0]  # include(([...], "app"))
            if isinstance(inline, (Seq, Bin)) or (isinstance(inline, Name) and self._find_list(inline) is not None):
                self._inline(pattern, inline, depth)
            return
        if isinstance(target, Seq):  # path("x/", ([...], "app", "ns")) / path("x/", [...])
            self._add("include", pattern, None, None, call.line, name)
            self._inline(pattern, target.items[0] if target.kind == "tuple" and target.items else target, depth)
            return
        self._add(kind, pattern, self._view(target), None, call.line, name, self._wrappers(target))

    def _find_list(self, expr: Name) -> tuple[RouteCollector, str] | None:
        """The module-level list of patterns a name means, in this module or imported from another
        project module (with a collector reading that module's lists for this URLconf)."""
        if expr.dotted in self.lists:
            return self, expr.dotted
        module, _, name = self._resolve(expr.dotted).rpartition(".")
        info = self.resolver.modules.get(module)
        if info is None or module == self.info.name or name == "urlpatterns":
            return None
        other = RouteCollector(self.resolver, info, self.host)
        other._collect_lists()
        if name not in other.lists:
            return None
        other.routes, other.prefix, other.expanding = self.routes, self.prefix, self.expanding
        return other, name

    def _list(self, expr: Name, depth: int) -> None:
        found = self._find_list(expr)
        if found is None:
            return
        other, name = found
        key = (other.info.name, name)
        if key in self.expanding:
            return
        self.expanding.add(key)
        try:
            for value in other.lists[name]:
                other._patterns(value, depth + 1)
        finally:
            self.expanding.discard(key)

    def _inline(self, pattern: str | None, patterns: Expr, depth: int) -> None:
        self.prefix.append(pattern or "")
        try:
            self._patterns(patterns, depth + 1)
        finally:
            self.prefix.pop()

    def _include_target(self, expr: Expr | None) -> str | None:
        if isinstance(expr, Seq) and expr.kind == "tuple" and expr.items:
            expr = expr.items[0]
        if isinstance(expr, Const) and isinstance(expr.value, str):
            return expr.value
        if isinstance(expr, Name):
            if expr.dotted.endswith(".urls") and expr.dotted[:-5] in self.routers:
                return f"{self.info.name}:{expr.dotted[:-5]}"
            resolved = self._resolve(expr.dotted)
            if resolved in self.resolver.modules:
                return resolved
        return None

    def _view(self, expr: Expr | None) -> str | None:
        if isinstance(expr, Call) and isinstance(expr.func, Name) and expr.func.dotted.endswith(".as_view"):
            return self.resolver.resolve_class(self.info.name, expr.func.dotted[: -len(".as_view")])
        if isinstance(expr, Call) and isinstance(expr.func, Name):
            # a decorator applied in the URLconf: login_required(view)
            return self._view(expr.args[0]) if expr.args else None
        if isinstance(expr, Name):
            return self._resolve(expr.dotted)
        return None

    def _wrappers(self, expr: Expr | None) -> tuple[str, ...]:
        """The decorators applied around a view in the URLconf: `login_required(View.as_view())`."""
        names: list[str] = []
        while isinstance(expr, Call) and isinstance(expr.func, Name) and not expr.func.dotted.endswith(".as_view"):
            names.append(self._resolve(expr.func.dotted))
            expr = expr.args[0] if expr.args else None
        return tuple(names)

    def _add(
        self,
        kind: str,
        pattern: str | None,
        view: str | None,
        include: str | None,
        line: int,
        name: str | None,
        decorators: tuple[str, ...] = (),
    ) -> None:
        route = RouteFact(self.host, self.info.path, line, kind, pattern, view, include, name, prefix=tuple(self.prefix), decorators=decorators)
        self.routes.append(route)


def _is_list(value: Expr | None) -> bool:
    """A literal list of patterns, or lists added together (`base_patterns + control_patterns`)."""
    if isinstance(value, Bin):
        return value.op == "Add" and _is_list(value.left) and _is_list(value.right)
    return isinstance(value, Seq) or isinstance(value, Name)


def collect_routes(resolver: Resolver, info: ModuleInfo) -> list[RouteFact]:
    if not any(s.kind in ("assign", "augassign") and "urlpatterns" in s.targets for s in info.statements):
        if "urls" not in info.kinds:
            return []
    return RouteCollector(resolver, info).collect()
