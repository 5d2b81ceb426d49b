"""Which rows each serializer renders, and from which queryset: DRF views that list with it
(`serializer_class` with `queryset` / `get_queryset`), `Serializer(qs, many=True)` written in a
function or a view, and serializers nested in those, each with the relation path from the rows.

Computed once per index. Explicit calls are read from the files' source (the index keeps only
names of calls): modules whose text holds `many=`, outside tests and migrations."""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from djvet.index.bodies import module_text, module_tree, own_nodes
from djvet.index.deps import shared
from djvet.index.expr import Call, Expr, Name, dotted_name, to_expr
from djvet.index.facts import FunctionInfo, ProjectIndex, SerializerFact, ViewFact
from djvet.index.objreads import MANY_KINDS, SINGLE_KINDS, Step
from djvet.index.querysets import (
    Loaded,
    TraceContext,
    index_resolver,
    relation_step,
    trace_queryset,
)

_G, _V, _M = "rest_framework.generics.", "rest_framework.viewsets.", "rest_framework.mixins."
LIST_VIEWS = frozenset(
    {_G + "ListAPIView", _G + "ListCreateAPIView", _V + "ModelViewSet", _V + "ReadOnlyModelViewSet", _M + "ListModelMixin"}
)
SINGLE_VIEWS = frozenset(
    {
        *(_G + n for n in ("RetrieveAPIView", "RetrieveUpdateAPIView", "RetrieveDestroyAPIView", "RetrieveUpdateDestroyAPIView")),
        *(_G + n for n in ("UpdateAPIView", "DestroyAPIView", "CreateAPIView")),
        *(_M + n for n in ("RetrieveModelMixin", "UpdateModelMixin", "CreateModelMixin", "DestroyModelMixin")),
    }
)
# `self.<name>(...)` in a view: DRF's methods that return the view's serializer
VIEW_SERIALIZER_CALLS = frozenset({"self.get_serializer", "self.serializer_class", "self.get_serializer_class()"})
# wrappers that hand back the rows of the queryset they are given
ROW_WRAPPERS = frozenset({"self.paginate_queryset", "self.filter_queryset", "list"})
MAX_NESTING = 8


@dataclass(frozen=True, slots=True)
class Serving:
    """Where a serializer is given rows to render."""

    view: str  # as users name it: `BookViewSet`, `book_list`, `BookViewSet.recent`
    path: str  # file (relative to the project root) where the queryset is handed over
    line: int
    loaded: Loaded | None  # None: djvet cannot know what the queryset loads
    target: str  # what a fix changes, as a fix title names it
    many: bool  # many rows per request (a list), or one object
    queryset_class: str | None = None  # the class whose `queryset = ...` attribute is the queryset

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True, slots=True)
class Visit:
    """A serializer rendering objects of `model`, reached by `prefix` from the rows of `serving`."""

    serializer: str
    model: str | None
    prefix: tuple[Step, ...]
    serving: Serving
    many: bool  # many objects per request at this level


def serializer_visits(index: ProjectIndex) -> tuple[Visit, ...]:
    return shared("serializer-visits", index, _serializer_visits)


def _serializer_visits(index: ProjectIndex) -> tuple[Visit, ...]:
    roots = [*view_roots(index), *call_roots(index)]
    visits: list[Visit] = []
    for serializer, serving in roots:
        model = index.serializers[serializer].model
        if serving.loaded is not None:
            model = serving.loaded.model
        visits.extend(_nested_visits(index, Visit(serializer, model, (), serving, serving.many), 0, set()))
    return tuple(visits)


def renders(fact: SerializerFact, name: str) -> bool:
    """Whether the serializer outputs its declared field `name`: a ModelSerializer only renders
    the declared fields its `Meta.fields` lists (a subclass may list fewer than its base declares)."""
    field = fact.declared.get(name)
    if field is None or field.write_only:
        return False
    if not fact.is_model_serializer or fact.fields == "__all__":
        return True
    if isinstance(fact.fields, tuple):
        return name in fact.fields
    return fact.fields is None and isinstance(fact.exclude, tuple) and name not in fact.exclude


def _nested_visits(index: ProjectIndex, visit: Visit, depth: int, seen: set[tuple[str, str]]) -> Iterator[Visit]:
    yield visit
    fact = index.serializers.get(visit.serializer)
    if fact is None or depth >= MAX_NESTING:
        return
    for field in fact.declared.values():
        if field.serializer is None or field.serializer not in index.serializers or not renders(fact, field.name):
            continue
        source = field.source or field.name
        model, prefix, many = visit.model, visit.prefix, visit.many or field.many
        if source != "*":
            for attr in source.split("."):
                step = relation_step(index, model, attr) if model is not None else None
                if step is None or step[0] not in SINGLE_KINDS | MANY_KINDS:
                    model = None
                    break
                prefix = (*prefix, Step(attr, step[0], model))  # type: ignore[arg-type]
                many = many or step[0] in MANY_KINDS
                model = step[1]
        key = (field.serializer, "__".join(s.attr for s in prefix) if model else f"?{field.name}")
        if key in seen:
            continue
        seen.add(key)
        nested = Visit(field.serializer, model, prefix if model else (), visit.serving, many)
        yield from _nested_visits(index, nested, depth + 1, seen)


# ---- views ----------------------------------------------------------------------------------


def _class_method(index: ProjectIndex, view: ViewFact, name: str) -> tuple[FunctionInfo, str, str] | None:
    """A method the view's project classes define: (function, module, class qualname)."""
    for ancestor in view.ancestors:
        info = index.classes.get(ancestor)
        if info is not None and name in info.methods:
            return info.methods[name], info.module, ancestor
    return None


def view_serializer(index: ProjectIndex, view: ViewFact) -> str | None:
    """The serializer a class view renders with; None when it depends on the request."""
    if _class_method(index, view, "get_serializer") is not None:
        return None
    found = _class_method(index, view, "get_serializer_class")
    if found is not None:
        function, module, _ = found
        names = {r.dotted for r in function.returns if isinstance(r, Name)}
        if len(names) != 1 or len(function.returns) != len([r for r in function.returns if isinstance(r, Name)]):
            return None
        serializer = index_resolver(index).resolve(module, names.pop())
        return serializer if serializer in index.serializers else None
    return view.serializer_class if view.serializer_class in index.serializers else None


def _view_queryset(index: ProjectIndex, view: ViewFact) -> tuple[Loaded | None, str, int, str, str | None]:
    """What the view's get_queryset() loads, where it is built, and what a fix would change."""
    loaded = trace_queryset(index, Call(Name("self.get_queryset"), (), ()), TraceContext(view.module, view.qualname, view.qualname))
    found = _class_method(index, view, "get_queryset")
    if found is not None:
        function, module, owner = found
        line = function.returns[0].line if len(function.returns) == 1 else function.line
        return loaded, index.modules[module].path, line, f"`{_short(index, owner)}.get_queryset()`", None
    for ancestor in view.ancestors:
        info = index.classes.get(ancestor)
        if info is not None and "queryset" in info.attrs:
            path = index.modules[info.module].path
            return loaded, path, info.attr_lines["queryset"], f"`{_short(index, ancestor)}.queryset`", ancestor
    return None, view.path, view.line, f"`{view.name}.queryset`", None


def view_roots(index: ProjectIndex) -> Iterator[tuple[str, Serving]]:
    for view in index.views.values():
        if view.kind not in ("drf-generic", "drf-viewset") or "tests" in index.modules[view.module].kinds:
            continue
        ancestors = set(view.ancestors)
        lists = bool(ancestors & LIST_VIEWS)
        if not (lists or ancestors & SINGLE_VIEWS):
            continue
        serializer = view_serializer(index, view)
        if serializer is None:
            continue
        loaded, path, line, target, owner = _view_queryset(index, view)
        if lists and "list" in view.methods:
            loaded = None  # a list() of its own: what it renders is not necessarily get_queryset()
        yield serializer, Serving(view.name, path, line, loaded, target, lists, owner)


def _short(index: ProjectIndex, qualname: str) -> str:
    info = index.classes.get(qualname)
    return qualname[len(info.module) + 1 :] if info is not None else qualname.rsplit(".", 1)[-1]


# ---- Serializer(qs, many=True) written in functions --------------------------------------------


def call_roots(index: ProjectIndex) -> Iterator[tuple[str, Serving]]:
    for name, info in sorted(index.modules.items()):
        if info.kinds & {"tests", "migrations"} or not index.serializers:
            continue
        text = module_text(index, name)
        if text is None or ("many=" not in text and "get_serializer(" not in text):
            continue
        tree = module_tree(index, name)
        if tree is not None:
            yield from _module_calls(index, name, info.path, tree)


def _functions(tree: ast.Module, module: str) -> Iterator[tuple[ast.FunctionDef | ast.AsyncFunctionDef, str, str | None]]:
    """Every function with its display name and the qualname of the class it is a method of."""
    stack: list[tuple[ast.AST, str, str | None]] = [(tree, module, None)]
    while stack:
        node, qualname, owner = stack.pop()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                stack.append((child, f"{qualname}.{child.name}", f"{qualname}.{child.name}"))
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                yield child, f"{qualname}.{child.name}", owner
                stack.append((child, f"{qualname}.{child.name}", None))
            elif not isinstance(child, ast.Lambda):
                stack.append((child, qualname, owner))


def _module_calls(index: ProjectIndex, module: str, path: str, tree: ast.Module) -> Iterator[tuple[str, Serving]]:
    resolver = index_resolver(index)
    for function, qualname, owner in _functions(tree, module):
        view = index.views.get(owner) if owner else None
        display = qualname[len(module) + 1 :]
        for node in own_nodes(function):
            if not isinstance(node, ast.Call):
                continue
            callee = _callee(node)
            if callee is None:
                continue
            if callee in VIEW_SERIALIZER_CALLS:
                serializer = view_serializer(index, view) if view is not None else None
            else:
                serializer = resolver.resolve(module, callee)
            if serializer not in index.serializers:
                continue
            many = next((k.value for k in node.keywords if k.arg == "many"), None)
            is_many = many is not None and not (isinstance(many, ast.Constant) and many.value is not True)
            rows = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "instance"), None)
            if rows is None:
                continue
            loaded = None
            if is_many:
                where = TraceContext(module, view.qualname if view else None, owner, _local_lookup(function, module, view, owner))
                loaded = trace_queryset(index, _unwrap(to_expr(rows)), where)
            target = f"the queryset given to `{_short(index, serializer)}` in `{display}`"  # type: ignore[arg-type]
            yield serializer, Serving(display, path, node.lineno, loaded, target, is_many)  # type: ignore[misc]


def _callee(node: ast.Call) -> str | None:
    func = node.func
    if isinstance(func, ast.Call) and not func.args and not func.keywords:  # self.get_serializer_class()(...)
        inner = dotted_name(func.func)
        return f"{inner}()" if inner else None
    return dotted_name(func)


def _unwrap(expr: Expr) -> Expr:
    """`self.paginate_queryset(qs)` and the like hand back rows of `qs`."""
    for _ in range(4):
        if isinstance(expr, Call) and isinstance(expr.func, Name) and expr.func.dotted in ROW_WRAPPERS and len(expr.args) == 1:
            expr = expr.args[0]
        else:
            break
    return expr


def _local_lookup(
    function: ast.FunctionDef | ast.AsyncFunctionDef, module: str, view: ViewFact | None, owner: str | None
) -> Callable[[str, int], tuple[Expr, TraceContext] | None]:
    """The value last assigned to a local name before a line, when every binding of the name is a
    plain assignment directly in the function's body (else djvet cannot know which one ran)."""

    def lookup(name: str, line: int) -> tuple[Expr, TraceContext] | None:
        args = function.args
        if name in {a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)}:
            return None
        bindings: list[ast.Assign] = []
        for node in own_nodes(function):
            if isinstance(node, ast.Name) and node.id == name and isinstance(node.ctx, ast.Store):
                statement = next((s for s in function.body if _contains(s, node)), None)
                if not (isinstance(statement, ast.Assign) and len(statement.targets) == 1 and statement.targets[0] is node):
                    return None
                bindings.append(statement)
        before = [b for b in bindings if b.lineno < line]
        if not before:
            return None
        value = max(before, key=lambda b: b.lineno).value
        where = TraceContext(module, view.qualname if view else None, owner, lookup)
        return _unwrap(to_expr(value)), where

    return lookup


def _contains(statement: ast.stmt, node: ast.AST) -> bool:
    return any(child is node for child in ast.walk(statement))

