"""What reading an attribute path of a model instance costs: the relations it loads and the queries
it runs, through model properties and methods too (read from the index's FunctionInfo, across files).

Used by the serializer query rules on `obj.author.name`, `source="author.name"` and the like. The
answer only ever names relations the index knows; anything else (an annotation, a plain attribute,
a generic relation, a method djvet cannot read) ends the walk, and silence is the default."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from djvet.index.expr import Attr, Bin, Call, Expr, Map, Name, Seq, Starred
from djvet.index.facts import FunctionInfo, ProjectIndex
from djvet.index.querysets import MANAGER_NAMES, Loaded, index_resolver, relation_step

# relation kinds whose accessor gives one instance (select_related follows them)
SINGLE_KINDS = frozenset({"fk", "o2o", "o2o-reverse"})
# relation kinds whose accessor is a manager (prefetch_related serves it)
MANY_KINDS = frozenset({"m2m", "fk-reverse"})
# Manager calls the prefetched rows answer: no query once prefetched, one per object otherwise.
ROW_CALLS = frozenset({"all", "first", "last"})
COUNT_CALLS = frozenset({"count", "exists"})
# Manager / QuerySet calls that run a query of their own whatever was prefetched.
QUERY_CALLS = frozenset(
    {
        "filter", "exclude", "get", "order_by", "values", "values_list", "aggregate", "annotate", "latest",
        "earliest", "distinct", "in_bulk", "iterator", "select_related", "prefetch_related", "only", "defer",
        "reverse", "dates", "datetimes", "get_or_create", "update_or_create",
    }
)  # fmt: skip
PROPERTY_DECORATORS = frozenset({"property", "cached_property"})
MAX_DEPTH = 3

# What an access costs: "load" (a relation select_related / prefetch_related would load),
# "count" (count() / exists() on a manager: a prefetch serves it, nothing else does),
# "query" (a query that runs whatever the queryset loaded).
LOAD, COUNT, QUERY = "load", "count", "query"


@dataclass(frozen=True, slots=True)
class Step:
    attr: str
    kind: str  # fk | o2o | o2o-reverse | m2m | fk-reverse
    owner: str  # qualname of the model the attribute is read on

    @property
    def many(self) -> bool:
        return self.kind in MANY_KINDS


@dataclass(frozen=True, slots=True)
class Access:
    path: tuple[Step, ...]  # relations walked from the instance, in order
    cost: str  # load | count | query
    query: str  # what runs, as written: "self.reviews.filter()", "Review.objects.filter()"
    via: str = ""  # the model property or method it happens in ("Book.average_rating"), if any


@dataclass(frozen=True, slots=True)
class Segment:
    """One `.name` of an attribute chain, and whether it is called (`.name(...)`)."""

    name: str
    called: bool = False
    args: bool = False  # called with arguments (shown as `(...)` in messages)

    def text(self) -> str:
        return f".{self.name}(...)" if self.args else f".{self.name}()" if self.called else f".{self.name}"


def lookup(path: Sequence[Step]) -> str:
    return "__".join(step.attr for step in path)


def loading_method(path: Sequence[Step]) -> str:
    return "prefetch_related" if any(step.many for step in path) else "select_related"


def model_name(index: ProjectIndex, model: str) -> str:
    fact = index.models.get(model)
    return fact.name if fact is not None else model.rsplit(".", 1)[-1]


def first_unloaded(index: ProjectIndex, loaded: Loaded, prefix: Sequence[Step], path: Sequence[Step]) -> int | None:
    """The index in `path` of the first relation `loaded` does not load (below `prefix`), or None
    when every step is loaded or djvet cannot know (a Prefetch with a queryset of its own)."""
    if loaded.values:
        return None
    for position in range(len(path)):
        steps = [*prefix, *path[: position + 1]]
        name = lookup(steps)
        if loaded.is_below_custom_prefetch(name):
            return None
        if len(steps) > 1 and is_back_reference(index, steps[-2], steps[-1]):
            continue
        if not loaded.covers(name, forward=not steps[-1].many):
            return position
    return None


def is_back_reference(index: ProjectIndex, previous: Step, step: Step) -> bool:
    """`album.ratings.all()[0].album`, `user.profile.user`: Django sets the way back on the rows
    it fetched through a relation (a related manager's rows, a one-to-one's other side)."""
    if step.kind in ("fk", "o2o") and previous.kind in ("fk-reverse", "o2o-reverse"):
        model = index.models.get(previous.owner)
        field = model.reverse.get(previous.attr) if model is not None else None
        return field is not None and field.name == step.attr
    if step.kind == "o2o-reverse" and previous.kind == "o2o":
        model = index.models.get(step.owner)
        field = model.reverse.get(step.attr) if model is not None else None
        return field is not None and field.name == previous.attr
    return False


def model_function(index: ProjectIndex, model: str, name: str) -> tuple[FunctionInfo, str] | None:
    """A method a project model class (or a base) defines, with the module it is written in."""
    for ancestor in index.mros.get(model, (model,)):
        info = index.classes.get(ancestor)
        if info is not None and name in info.methods:
            return info.methods[name], info.module
    return None


def is_property(function: FunctionInfo) -> bool:
    for decorator in function.decorators:
        if isinstance(decorator, Name) and decorator.dotted.rsplit(".", 1)[-1] in PROPERTY_DECORATORS:
            return True
    return False


def manager_model(index: ProjectIndex, module: str, dotted: str) -> str | None:
    """The project model of `Model.objects` (or another of its managers) written in `module`."""
    parts = dotted.split(".")
    if len(parts) < 2:
        return None
    resolver = index_resolver(index)
    model = resolver.resolve(module, ".".join(parts[:-1]))
    fact = index.models.get(model)
    if fact is None or not (parts[-1] in fact.managers or parts[-1] in MANAGER_NAMES):
        return None
    return model


def walk(
    index: ProjectIndex,
    model: str,
    segments: Sequence[Segment],
    prefix: tuple[Step, ...] = (),
    via: str = "",
    depth: int = 0,
    text: str = "obj",
    calls_methods: bool = False,
) -> list[Access]:
    """What `<instance of model>.<segments>` loads and queries. With `calls_methods`, a method
    reached is called (DRF's get_attribute calls what it finds at the end of a `source`)."""
    accesses: list[Access] = []
    path = prefix
    current = model
    for position, segment in enumerate(segments):
        step = None if segment.called else relation_step(index, current, segment.name)
        text += segment.text()
        if step is not None:
            kind, target, _ = step
            path = (*path, Step(segment.name, kind, current))
            if kind in SINGLE_KINDS:
                if target is None:
                    break
                current = target
                continue
            if kind in MANY_KINDS:
                access = _manager_access(path, segments[position + 1 :], text, via)
                return [access] if access is not None else []
            path = path[:-1]
            break  # a generic relation is not followed
        found = model_function(index, current, segment.name)
        callable_read = calls_methods and position == len(segments) - 1
        if found is not None and depth < MAX_DEPTH and (segment.called or callable_read or is_property(found[0])):
            function, module = found
            name = f"{model_name(index, current)}.{segment.name}"
            accesses.extend(function_accesses(index, current, function, module, path, via or name, depth + 1))
        break
    if len(path) > len(prefix):
        # the relations walked on the way load whatever follows them
        accesses.insert(0, Access(path, LOAD, text, via))
    return accesses


def _manager_access(path: tuple[Step, ...], rest: Sequence[Segment], text: str, via: str) -> Access | None:
    """`obj.reviews` followed by `rest`: which calls run on the related manager."""
    calls = []
    for segment in rest:
        if not segment.called:
            break
        calls.append(segment.name)
        text += segment.text()
    if any(call in QUERY_CALLS for call in calls):
        return Access(path, QUERY, text, via)
    if not calls or all(call in ROW_CALLS for call in calls):
        return Access(path, LOAD, text, via)  # a bare manager is read through .all() (DRF, templates)
    if all(call in ROW_CALLS | COUNT_CALLS for call in calls):
        return Access(path, COUNT, text, via)
    return None  # a custom manager method: djvet does not know what it runs


def function_accesses(
    index: ProjectIndex,
    model: str,
    function: FunctionInfo,
    module: str,
    prefix: tuple[Step, ...] = (),
    via: str = "",
    depth: int = 0,
) -> list[Access]:
    """What a model property or method reads through `self` and queries through managers."""
    accesses: list[Access] = []
    for call in sorted(function.calls):
        receiver, _, method = call.rpartition(".")
        if not receiver:
            continue
        parts = receiver.split(".")
        if parts[0] == "self" and len(parts) > 1:
            segments = [*(Segment(p) for p in parts[1:]), Segment(method, True)]
            accesses.extend(walk(index, model, segments, prefix, via, depth, "self"))
        elif manager_model(index, module, receiver) is not None:
            accesses.append(Access(prefix, QUERY, f"{receiver}.{method}()", via))
    for expr in function.returns:
        for dotted in sorted(set(_read_names(expr))):
            parts = dotted.split(".")
            if parts[0] == "self" and len(parts) > 1:
                accesses.extend(walk(index, model, [Segment(p) for p in parts[1:]], prefix, via, depth, "self"))
    return _unique(accesses)


def _read_names(expr: Expr | None, depth: int = 0) -> Iterator[str]:
    """Dotted names read (not called) in an expression."""
    if expr is None or depth > 20:
        return
    if isinstance(expr, Name):
        yield expr.dotted
    elif isinstance(expr, Call):
        if not isinstance(expr.func, Name):
            yield from _read_names(expr.func, depth + 1)
        for arg in expr.args:
            yield from _read_names(arg, depth + 1)
        for _, value in expr.kwargs:
            yield from _read_names(value, depth + 1)
    elif isinstance(expr, Attr):
        yield from _read_names(expr.obj, depth + 1)
    elif isinstance(expr, Seq):
        for item in expr.items:
            yield from _read_names(item, depth + 1)
    elif isinstance(expr, Map):
        for key, value in expr.items:
            yield from _read_names(key, depth + 1)
            yield from _read_names(value, depth + 1)
    elif isinstance(expr, Bin):
        yield from _read_names(expr.left, depth + 1)
        yield from _read_names(expr.right, depth + 1)
    elif isinstance(expr, Starred):
        yield from _read_names(expr.value, depth + 1)


def _unique(accesses: Iterable[Access]) -> list[Access]:
    return list(dict.fromkeys(accesses))
