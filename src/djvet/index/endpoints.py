"""Flatten the URLconf into endpoints: full URL patterns from ROOT_URLCONF through `include()` to
each view, DRF router registrations expanded into the routes DRF generates (list, detail, @action
routes, and DefaultRouter's API root). Format-suffix variants (`.json`) are not listed."""

from __future__ import annotations

from dataclasses import dataclass

from djvet.index.expr import Call, Const, Name
from djvet.index.facts import ActionFact, ProjectIndex, RouteFact, ViewFact
from djvet.index.policy import ACTION_METHODS, policy_book
from djvet.index.urls import PATH_FUNCTIONS, PATTERN_WRAPPERS

DEFAULT_ROUTER = "rest_framework.routers.DefaultRouter"
API_ROOT_VIEW = "rest_framework.routers.APIRootView"
MAX_DEPTH = 20


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One URL pattern Django would match, and what answers it."""

    pattern: str  # the full pattern, each part as written minus regex anchors: "api/books/<pk>/"
    view: str | None  # qualname of the view (project or not); None for an include djvet cannot follow
    name: str | None  # the URL name (router routes: "{basename}-list", ...)
    kind: str  # view | router-list | router-detail | router-action | api-root | include
    route: RouteFact  # where it is declared (for router routes: the `register()` call)
    actions: tuple[tuple[str, str], ...] = ()  # router routes: (HTTP method, action) bound on this URL
    decorators: tuple[str, ...] = ()  # decorators applied to the view in the URLconf, resolved
    wrapped: bool = False  # an URLconf on the way passes its urlpatterns through a function djvet does not follow

    @property
    def declared_at(self) -> str:
        return f"{self.route.path}:{self.route.line}"


def iter_endpoints(index: ProjectIndex) -> list[Endpoint]:
    """Every endpoint reachable from ROOT_URLCONF, in the order Django tries them. Without a
    known ROOT_URLCONF, every URLconf that no other includes is a root (in module order)."""
    return _Flattener(index).run()


def root_urlconfs(index: ProjectIndex) -> list[str]:
    book = policy_book(index)
    root = book.setting("ROOT_URLCONF")
    if isinstance(root, str) and root in index.modules:
        return [root]
    modules = sorted({r.module for r in index.routes if r.kind != "router"})
    included = {r.include for r in index.routes if r.kind == "include" and r.include}
    return [m for m in modules if m not in included]


def _strip(pattern: str | None) -> str:
    """A pattern part without its regex anchors: `^api/$` -> `api/`."""
    text = pattern or ""
    if text.startswith("^"):
        text = text[1:]
    for anchor in ("$", r"\Z"):
        if text.endswith(anchor):
            text = text[: -len(anchor)]
    return text


class _Flattener:
    def __init__(self, index: ProjectIndex) -> None:
        self.index = index
        self.by_module: dict[str, list[RouteFact]] = {}
        for route in index.routes:
            self.by_module.setdefault(route.module, []).append(route)
        self.endpoints: list[Endpoint] = []

    def run(self) -> list[Endpoint]:
        for root in root_urlconfs(self.index):
            self.urlconf(root, "", (), False, ())
        # `if X: urlpatterns = patterns` / `else: urlpatterns = [path(PREFIX, include(patterns))]`
        # reads both branches: the same endpoint twice is listed once
        unique = {(e.pattern, e.view, e.kind, e.actions, e.route): e for e in reversed(self.endpoints)}
        return [e for e in self.endpoints if unique[(e.pattern, e.view, e.kind, e.actions, e.route)] is e]

    def is_wrapping(self, module: str) -> bool:
        """`urlpatterns = decorate(urlpatterns, require_admin)`: a function djvet does not follow
        changes the module's patterns (it may add access checks)."""
        info = self.index.modules.get(module)
        if info is None:
            return False
        for statement in info.statements:
            value = statement.value
            if "urlpatterns" not in statement.targets or not isinstance(value, Call) or not isinstance(value.func, Name):
                continue
            resolved = policy_book(self.index).resolver.resolve(module, value.func.dotted)
            known = resolved in PATH_FUNCTIONS or resolved in PATTERN_WRAPPERS
            if not known and any(isinstance(a, Name) and a.dotted == "urlpatterns" for a in value.args):
                return True
        return False

    def urlconf(self, module: str, prefix: str, stack: tuple[str, ...], wrapped: bool, decorators: tuple[str, ...]) -> None:
        if module in stack or len(stack) > MAX_DEPTH:
            return
        stack = (*stack, module)
        wrapped = wrapped or self.is_wrapping(module)
        routes = [r for r in self.by_module.get(module, []) if r.kind != "router"]
        for route in routes:
            full = prefix + "".join(_strip(p) for p in route.prefix) + _strip(route.pattern)
            if route.kind == "include":
                self.include(route, routes, full, stack, wrapped, decorators)
            else:
                view = route.view
                kind = "view"
                self.endpoints.append(Endpoint(full, view, route.name, kind, route, (), decorators + route.decorators, wrapped))

    def include(self, route: RouteFact, siblings: list[RouteFact], full: str, stack: tuple[str, ...], wrapped: bool, decorators: tuple[str, ...]) -> None:
        target = route.include
        if target is not None and ":" in target:
            self.router(target, full, route, wrapped, decorators)
        elif target is not None and target in self.index.modules:
            self.urlconf(target, full, stack, wrapped, decorators)
        elif target is not None:
            self.endpoints.append(Endpoint(full, None, route.name, "include", route, (), decorators, wrapped))
        elif not self.is_inline(route, siblings):
            self.endpoints.append(Endpoint(full, None, route.name, "include", route, (), decorators, wrapped))

    @staticmethod
    def is_inline(route: RouteFact, siblings: list[RouteFact]) -> bool:
        inner = (*route.prefix, route.pattern or "")
        return any(r.prefix[: len(inner)] == inner for r in siblings if r is not route)

    # -- routers ------------------------------------------------------------------------------------

    def router(self, key: str, prefix: str, include: RouteFact, wrapped: bool, decorators: tuple[str, ...]) -> None:
        module, _, name = key.partition(":")
        router_class, trailing = self.router_class(module, name)
        for route in self.by_module.get(module, []):
            if route.kind == "router" and route.include == key:
                self.registration(route, prefix, trailing, wrapped, decorators)
        if router_class is not None and self.is_default_router(router_class):
            root = Endpoint(prefix, API_ROOT_VIEW, "api-root", "api-root", include, (("GET", "api-root"),), decorators, wrapped)
            self.endpoints.append(root)

    def router_class(self, module: str, name: str) -> tuple[str | None, str]:
        """The router's class and its trailing slash, from `name = DefaultRouter(trailing_slash=False)`."""
        info = self.index.modules.get(module)
        if info is None:
            return None, "/"
        for statement in reversed(info.statements):
            value = statement.value
            if name in statement.targets and isinstance(value, Call) and isinstance(value.func, Name):
                cls = policy_book(self.index).resolver.resolve_class(module, value.func.dotted)
                slash = value.kwarg("trailing_slash")
                trailing = "" if isinstance(slash, Const) and slash.value is False else "/"
                return cls, trailing
        return None, "/"

    def is_default_router(self, cls: str) -> bool:
        return DEFAULT_ROUTER in self.index.mros.get(cls, (cls,))

    def registration(self, route: RouteFact, prefix: str, trailing: str, wrapped: bool, decorators: tuple[str, ...]) -> None:
        base = _strip(route.pattern) if route.pattern is not None else "<?>"
        start = prefix + base
        view = self.index.views.get(route.view or "")
        basename = route.basename or (self.default_basename(view) if view else None)
        named = (lambda suffix: f"{basename}-{suffix}") if basename else (lambda suffix: None)

        def add(pattern: str, kind: str, name: str | None, actions: tuple[tuple[str, str], ...]) -> None:
            if prefix.endswith("/") and pattern.startswith("/"):
                pattern = pattern[1:]  # DRF drops the leading slash of an empty prefix
            self.endpoints.append(Endpoint(pattern, route.view, name, kind, route, actions, decorators, wrapped))

        if view is None:
            add(start + trailing, "router-list", named("list"), ())
            return
        lookup = "<" + self.lookup(view) + ">"
        bound = self.bound_actions(view)
        list_actions = tuple((m, a) for m, a in bound if a in ("list", "create"))
        detail_actions = tuple((m, a) for m, a in bound if a in ("retrieve", "update", "partial_update", "destroy"))
        if list_actions:
            add(start + trailing, "router-list", named("list"), list_actions)
        for action in view.actions:
            if action.detail is False:
                add(f"{start}/{action.url_path or action.name}{trailing}", "router-action", named(_url_name(action)), _methods(action))
        if detail_actions:
            add(f"{start}/{lookup}{trailing}", "router-detail", named("detail"), detail_actions)
        for action in view.actions:
            if action.detail is not False:
                middle = lookup if action.detail is True else "<?>"
                add(f"{start}/{middle}/{action.url_path or action.name}{trailing}", "router-action", named(_url_name(action)), _methods(action))

    def bound_actions(self, view: ViewFact) -> tuple[tuple[str, str], ...]:
        policy = policy_book(self.index).policy(view.qualname)
        if policy is None:
            return ()
        return tuple((op.method, op.action) for op in policy.operations if op.action is not None and op.action in ACTION_METHODS)

    def lookup(self, view: ViewFact) -> str:
        for attr in ("lookup_url_kwarg", "lookup_field"):
            for cls in self.index.mros.get(view.qualname, (view.qualname,)):
                info = self.index.classes.get(cls)
                value = info.attrs.get(attr) if info is not None else None
                if isinstance(value, Const) and isinstance(value.value, str):
                    return value.value
                if value is not None:
                    break
        return "pk"

    def default_basename(self, view: ViewFact) -> str | None:
        model = view.queryset.model if view.queryset is not None else None
        return model.rpartition(".")[2].lower() if model else None


def _url_name(action: ActionFact) -> str:
    return action.name.replace("_", "-")  # DRF's default url_name


def _methods(action: ActionFact) -> tuple[tuple[str, str], ...]:
    return tuple((m.upper(), action.name) for m in action.methods)
