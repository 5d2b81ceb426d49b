"""What a queryset loads: its model, the relations it selects or prefetches, and whether djvet can
know that at all. Used by the query rules (DJV1xx) on index facts and on function bodies alike.

Silence is the default: any step djvet cannot follow (a custom manager or QuerySet method that
itself selects or prefetches, a non-literal argument, a method it does not know) gives None."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from djvet.index.expr import UNKNOWN, Call, Const, Expr, Name, literal
from djvet.index.facts import FunctionInfo, ModelFact, ProjectIndex, QuerysetFact

# Methods that return a queryset of the same rows and keep what was selected or prefetched.
TRANSPARENT = frozenset(
    {
        "all", "filter", "exclude", "order_by", "distinct", "annotate", "alias", "only", "defer", "using",
        "reverse", "select_for_update", "none", "extra", "complex_filter", "filter_by",
    }
)  # fmt: skip
LOADING = frozenset({"select_related", "prefetch_related"})
VALUES = frozenset({"values", "values_list"})
# Calls on a related manager that a prefetch satisfies (no query when prefetched).
PREFETCH_SERVED = frozenset({"all", "count", "exists"})
MANAGER_NAMES = frozenset({"objects", "_default_manager", "_base_manager"})
# Calls inside a custom manager / QuerySet method that change what is loaded: djvet goes silent.
CHANGES_LOADING = frozenset({"select_related", "prefetch_related", "values", "values_list", "raw"})


@dataclass(frozen=True, slots=True)
class PrefetchSpec:
    """A `Prefetch("lookup", queryset=..., to_attr="x")` argument."""

    lookup: object  # str | UNKNOWN
    to_attr: str | None
    # Prefetch("x", queryset=...): the rows come from a queryset of its own, whose own loading
    # (select_related / prefetch_related inside it) djvet does not follow
    queryset: bool = False


@dataclass(frozen=True, slots=True)
class Loaded:
    """The rows a queryset yields and the relations they come with."""

    model: str
    select: frozenset[str] = frozenset()
    prefetch: frozenset[str] = frozenset()
    prefetch_attrs: frozenset[str] = frozenset()  # Prefetch(..., to_attr=...) names: plain lists
    select_all: bool = False  # select_related() without arguments follows every non-null FK
    values: bool = False  # .values() / .values_list(): rows are dicts or tuples, not instances
    # prefetch lookups made with Prefetch(..., queryset=...): what lies below them is unknown
    custom_prefetch: frozenset[str] = frozenset()

    def is_below_custom_prefetch(self, path: str) -> bool:
        """Whether `path` goes through a Prefetch with a queryset of its own (djvet cannot know)."""
        return any(path.startswith(lookup + "__") for lookup in self.custom_prefetch)

    def covers(self, path: str, *, forward: bool) -> bool:
        """Whether `path` ("author" or "author__publisher") is already loaded."""
        if forward and self.select_all:
            return True
        loaded = self.prefetch if not forward else self.select | self.prefetch
        return any(p == path or p.startswith(path + "__") for p in loaded)


def call_args(args: Iterable[Expr]) -> tuple[object, ...]:
    """select_related / prefetch_related arguments: strings, PrefetchSpec, or UNKNOWN."""
    out: list[object] = []
    for arg in args:
        if isinstance(arg, Const) and isinstance(arg.value, str):
            out.append(arg.value)
        elif isinstance(arg, Call) and isinstance(arg.func, Name) and arg.func.dotted.split(".")[-1] == "Prefetch":
            lookup = arg.arg(0, "lookup")
            to_attr = arg.kwarg("to_attr")
            out.append(
                PrefetchSpec(
                    lookup.value if isinstance(lookup, Const) and isinstance(lookup.value, str) else UNKNOWN,
                    to_attr.value if isinstance(to_attr, Const) and isinstance(to_attr.value, str) else None,
                    queryset=arg.arg(1, "queryset") is not None,
                )
            )
        else:
            value = literal(arg)
            out.append(value if isinstance(value, str) else UNKNOWN)
    return tuple(out)


def _method(index: ProjectIndex, classes: Iterable[str | None], name: str) -> FunctionInfo | None:
    for cls in classes:
        if cls is None:
            continue
        for ancestor in index.mros.get(cls, (cls,)):
            info = index.classes.get(ancestor)
            if info is not None and name in info.methods:
                return info.methods[name]
    return None


def _changes_loading(function: FunctionInfo) -> bool:
    return any(call.rsplit(".", 1)[-1] in CHANGES_LOADING for call in function.calls)


def _manager_classes(model: ModelFact, manager: str | None) -> tuple[str | None, str | None] | None:
    """(manager class, queryset class) of `Model.<manager>`; None when djvet cannot tell."""
    name = manager or "objects"
    fact = model.managers.get(name)
    if fact is None:
        return (None, None) if name in MANAGER_NAMES else None
    return fact.manager_class, fact.queryset_class


def loaded_after_calls(
    index: ProjectIndex, model: str, manager: str | None, calls: Iterable[tuple[str, tuple[object, ...]]]
) -> Loaded | None:
    """What `Model.<manager>.<calls...>` loads, or None when djvet cannot know."""
    fact = index.models.get(model)
    if fact is None or fact.partial:
        return None
    classes = _manager_classes(fact, manager)
    if classes is None:
        return None
    get_queryset = _method(index, classes, "get_queryset")
    if get_queryset is not None and _changes_loading(get_queryset):
        return None
    return apply_calls(index, Loaded(model), classes, calls)


def apply_calls(
    index: ProjectIndex, loaded: Loaded, classes: tuple[str | None, ...], calls: Iterable[tuple[str, tuple[object, ...]]]
) -> Loaded | None:
    select, prefetch, attrs = set(loaded.select), set(loaded.prefetch), set(loaded.prefetch_attrs)
    select_all, values, own_querysets = loaded.select_all, loaded.values, set(loaded.custom_prefetch)
    for method, args in calls:
        if method == "select_related":
            if not args:
                select_all = True
            for arg in args:
                if not isinstance(arg, str):
                    return None
                select.add(arg)
        elif method == "prefetch_related":
            for arg in args:
                if isinstance(arg, str):
                    prefetch.add(arg)
                elif isinstance(arg, PrefetchSpec) and isinstance(arg.lookup, str):
                    if arg.to_attr:
                        attrs.add(arg.to_attr)
                    else:
                        prefetch.add(arg.lookup)
                        if arg.queryset:
                            own_querysets.add(arg.lookup)
                else:
                    return None
        elif method in VALUES:
            values = True
        elif method in TRANSPARENT:
            continue
        else:
            function = _method(index, classes, method)
            if function is None or _changes_loading(function):
                return None
    return Loaded(loaded.model, frozenset(select), frozenset(prefetch), frozenset(attrs), select_all, values, frozenset(own_querysets))


def loaded_by_fact(index: ProjectIndex, fact: QuerysetFact | None) -> Loaded | None:
    if fact is None or fact.model is None:
        return None
    return loaded_after_calls(index, fact.model, fact.manager, fact.calls)


def relation_step(index: ProjectIndex, model: str, attr: str) -> tuple[str, str | None, bool] | None:
    """What `instance.<attr>` is on `model`: (relation kind, target model, forward) or None.

    Forward: fk / o2o fields. Reverse: accessors other models' relations create (fk -> a manager,
    o2o -> an instance). m2m either way is a manager."""
    fact = index.models.get(model)
    if fact is None:
        return None
    field = fact.fields.get(attr)
    if field is not None:
        if field.relation in ("fk", "o2o", "m2m", "generic-fk", "generic-relation"):
            return field.relation, field.target, True
        return None
    reverse = fact.reverse.get(attr)
    if reverse is not None:
        kind = "o2o-reverse" if reverse.relation == "o2o" else ("m2m" if reverse.relation == "m2m" else "fk-reverse")
        return kind, reverse.model if reverse.model in index.models else _concrete(index, reverse), False
    return None


def _concrete(index: ProjectIndex, field: object) -> str | None:
    model = getattr(field, "model", None)
    return model if model in index.models else None


# ---- following a queryset expression back to where it was built --------------------------------

MAX_TRACE_DEPTH = 4


@dataclass(frozen=True)
class TraceContext:
    """Where an expression was written: its module, the view class and method around it, and how to
    find the value of a local variable (supplied by the caller, who has the function body)."""

    module: str
    view: str | None = None  # qualname of the view class whose code this is (for self.*)
    owner: str | None = None  # the class in the view's MRO that wrote the code (for super())
    lookup_local: object = None  # Callable[[str, int], tuple[Expr, TraceContext] | None]


def unwind(expr: Expr) -> tuple[Expr, list[tuple[str, tuple[object, ...]]]]:
    """`Book.objects.filter(x).select_related("a")` -> (Name("Book.objects"), [filter, select_related])."""
    from djvet.index.expr import Attr

    calls: list[tuple[str, tuple[object, ...]]] = []
    current = expr
    for _ in range(60):
        if isinstance(current, Call) and isinstance(current.func, Name) and "." in current.func.dotted:
            head, _, method = current.func.dotted.rpartition(".")
            calls.append((method, call_args(current.args)))
            current = Name(head, current.line)
        elif isinstance(current, Call) and isinstance(current.func, Attr):
            calls.append((current.func.name, call_args(current.args)))
            current = current.func.obj
        else:
            break
    calls.reverse()
    return current, calls


def trace_queryset(index: ProjectIndex, expr: Expr, where: TraceContext, depth: int = 0) -> Loaded | None:
    """What the queryset `expr` loads, following local assignments, the view's `queryset` /
    `get_queryset`, and helper functions that return a queryset; None when djvet cannot know."""
    if depth > MAX_TRACE_DEPTH:
        return None
    head, calls = unwind(expr)
    base = _trace_head(index, head, calls, where, depth)
    if base is None:
        return None
    loaded, classes, calls = base
    return apply_calls(index, loaded, classes, calls)


def _trace_head(
    index: ProjectIndex, head: Expr, calls: list[tuple[str, tuple[object, ...]]], where: TraceContext, depth: int
) -> tuple[Loaded, tuple[str | None, ...], list[tuple[str, tuple[object, ...]]]] | None:
    resolver = index_resolver(index)
    if isinstance(head, Name):
        parts = head.dotted.split(".")
        if parts[0] == "self" and where.view is not None:
            return _from_view(index, parts[1:], calls, where, depth)
        if len(parts) == 1 and where.lookup_local is not None:
            found = where.lookup_local(parts[0], head.line)  # type: ignore[operator]
            if found is None:
                return None
            value, inner = found
            loaded = trace_queryset(index, value, inner, depth + 1)
            return None if loaded is None else (loaded, _classes_of(index, loaded.model, None), calls)
        for cut in range(len(parts), 0, -1):
            model = resolver.resolve(where.module, ".".join(parts[:cut]))
            if model in index.models:
                rest = parts[cut:]
                if len(rest) > 1:
                    return None
                manager = rest[0] if rest else None
                if manager is None:
                    return None  # the model class itself is not a queryset
                fact = index.models[model]
                if fact.partial:
                    return None
                classes = _manager_classes(fact, manager)
                if classes is None:
                    return None
                get_queryset = _method(index, classes, "get_queryset")
                if get_queryset is not None and _changes_loading(get_queryset):
                    return None
                return Loaded(model), classes, calls
        return None
    if isinstance(head, Call) and isinstance(head.func, Name) and not head.args:
        # super().get_queryset() is unwound as Call(Name("super")) with a get_queryset call after it
        if head.func.dotted == "super" and where.view is not None and calls and calls[0][0] == "get_queryset":
            return _from_view_queryset(index, where, calls[1:], depth, skip_own=True)
    if isinstance(head, Call) and isinstance(head.func, Name):
        function = resolver.resolve(where.module, head.func.dotted)
        info = resolver.functions.get(function)
        if info is None or len(info.returns) != 1:
            return None
        module = function.rsplit(".", 1)[0]
        loaded = trace_queryset(index, info.returns[0], TraceContext(module), depth + 1)
        return None if loaded is None else (loaded, _classes_of(index, loaded.model, None), calls)
    return None


def _classes_of(index: ProjectIndex, model: str, manager: str | None) -> tuple[str | None, ...]:
    fact = index.models.get(model)
    classes = _manager_classes(fact, manager) if fact is not None else None
    return classes or (None, None)


def _from_view(
    index: ProjectIndex, attrs: list[str], calls: list[tuple[str, tuple[object, ...]]], where: TraceContext, depth: int
) -> tuple[Loaded, tuple[str | None, ...], list[tuple[str, tuple[object, ...]]]] | None:
    if attrs == ["queryset"]:
        view = index.views.get(where.view or "")
        loaded = loaded_by_fact(index, view.queryset if view else None)
        return None if loaded is None else (loaded, _classes_of(index, loaded.model, None), calls)
    if attrs == [] and calls and calls[0][0] == "get_queryset":
        return _from_view_queryset(index, where, calls[1:], depth, skip_own=False)
    return None


def _from_view_queryset(
    index: ProjectIndex, where: TraceContext, calls: list[tuple[str, tuple[object, ...]]], depth: int, skip_own: bool
) -> tuple[Loaded, tuple[str | None, ...], list[tuple[str, tuple[object, ...]]]] | None:
    """`self.get_queryset()` (or `super().get_queryset()` inside get_queryset) of the view around."""
    view = index.views.get(where.view or "")
    if view is None:
        return None
    ancestors = list(view.ancestors)
    if skip_own:  # super(): the MRO after the class whose code this is
        owner = where.owner or view.qualname
        if owner not in ancestors:
            return None
        ancestors = ancestors[ancestors.index(owner) + 1 :]
    for cls in ancestors:
        info = index.classes.get(cls)
        if info is None:
            continue
        method = info.methods.get("get_queryset")
        if method is not None:
            if len(method.returns) != 1:
                return None
            inner = TraceContext(info.module, view=view.qualname, owner=cls)
            loaded = trace_queryset(index, method.returns[0], inner, depth + 1)
            return None if loaded is None else (loaded, _classes_of(index, loaded.model, None), calls)
        if "queryset" in info.attrs:
            break  # the class attribute below is the one in force
    loaded = loaded_by_fact(index, view.queryset)
    return None if loaded is None else (loaded, _classes_of(index, loaded.model, None), calls)


def index_resolver(index: ProjectIndex):  # type: ignore[no-untyped-def]
    """One Resolver per index (rules resolve names written in function bodies with it)."""
    from djvet.index.deps import RecordingResolver, TrackedIndex, untracked
    from djvet.index.resolve import resolver_for

    real = untracked(index)
    resolver = resolver_for(real.modules, real.source_roots, real.mros)  # the one the index was linked with
    # a recorded check sees each query as a read (see index.deps)
    return RecordingResolver(resolver, index_resolver) if type(index) is TrackedIndex else resolver
