"""DJV102 query-in-loop: see rules/DJV102.yaml."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from astroid import nodes

from djvet.astro.exprs import dotted
from djvet.astro.loops import (
    Loop,
    enclosing_loops,
    find_rows,
    is_production_code,
    is_store_target,
    mentions_querysets,
    rebound_line,
    runs_once,
    runs_once_per_value,
    short_source,
    target_names,
    walk_body,
)
from djvet.astro.querysets import enclosing_function, find_local_value
from djvet.engine import ModuleContext
from djvet.index.facts import ProjectIndex
from djvet.index.querysets import (
    MANAGER_NAMES,
    PREFETCH_SERVED,
    TRANSPARENT,
    Loaded,
    index_resolver,
    relation_step,
)
from djvet.rule import Hit, Rule

# Calls that run a query when made (on a manager, a queryset or a related manager).
RUNS_QUERY = frozenset(
    {
        "get", "first", "last", "exists", "count", "aggregate", "earliest", "latest", "in_bulk", "contains",
        "update", "delete", "create", "get_or_create", "update_or_create",
    }
)  # fmt: skip
# Calls that build a queryset without running it; it runs when iterated.
LAZY = TRANSPARENT | {"values", "values_list", "select_related", "prefetch_related", "iterator"}
# Builtins that iterate the queryset they are given.
EVALUATORS = frozenset({"list", "tuple", "set", "frozenset", "sorted", "len", "sum", "any", "all", "dict", "min", "max"})
# Related-manager calls a prefetch of the relation may answer (first()/last() when ordered).
MAYBE_PREFETCHED = frozenset({"first", "last"})
MANAGERS = frozenset({"fk-reverse", "m2m", "generic-relation"})
# Iterables whose size the code fixes, and loops over batches (one query per batch is the point).
_BOUNDED_CALLS = frozenset({"range", "get_models", "get_app_configs", "get_fields"})
_BOUNDED_ATTRIBUTES = frozenset({"choices", "cleaned_data", "fields", "base_fields"})
_BATCH_WORDS = ("batch", "chunk")
_GROWING = frozenset({"add", "append", "extend", "update", "insert", "setdefault"})
# `Model.objects.create()` per row has bulk_create, unless save() does more than insert.
WRITES_WITH_SAVE = frozenset({"create"})


@dataclass(frozen=True, slots=True)
class _Query:
    calls: tuple[str, ...]  # the methods called after the manager / relation, in order
    model: str | None  # `Model.objects...`: the model
    row_var: str | None  # `row.items.filter()` / `row.save()`: the loop variable it runs on
    relation: tuple[str, ...] = ()  # the attributes from the row to the manager


class QueryInLoop(Rule):
    code = "DJV102"
    needs_text = ("for ",)

    def applies_to(self, ctx: ModuleContext) -> bool:
        # Management commands run offline, once, by an operator: a query per row there is a
        # deliberate trade of speed for simplicity far more often than a bug (see the YAML).
        return (
            super().applies_to(ctx)
            and is_production_code(ctx, commands=False)
            and bool(ctx.index.models)
            and mentions_querysets(ctx)
        )

    def check_call(self, node: nodes.Call, ctx: ModuleContext) -> Iterator[Hit]:
        if not isinstance(node.func, nodes.Attribute) or not _is_evaluated(node):
            return
        if next(enclosing_loops(node), None) is None:
            return
        query = _classify(node, ctx)
        if query is None:
            return
        loop = _reporting_loop(node, query, ctx)
        if loop is None:
            return
        yield Hit(node, {"query": short_source(node), "iterable": short_source(loop.iter), "line": loop.line})


def _is_evaluated(node: nodes.Call) -> bool:
    """Whether this call runs a query: a query method, or a queryset iterated right here."""
    method = node.func.attrname
    if method in RUNS_QUERY or method == "save":
        return True
    if method not in LAZY:
        return False
    parent = node.parent
    if isinstance(parent, (nodes.For, nodes.AsyncFor, nodes.Comprehension)) and parent.iter is node:
        return True
    return (
        isinstance(parent, nodes.Call)
        and isinstance(parent.func, nodes.Name)
        and parent.func.name in EVALUATORS
        and len(parent.args) == 1
        and parent.args[0] is node
    )


def _classify(node: nodes.Call, ctx: ModuleContext) -> _Query | None:
    calls: list[str] = []
    current: nodes.NodeNG = node
    while isinstance(current, nodes.Call) and isinstance(current.func, nodes.Attribute):
        calls.append(current.func.attrname)
        current = current.func.expr
    calls.reverse()
    if "none" in calls:
        return None
    if calls == ["save"]:
        return _Query(tuple(calls), None, current.name) if isinstance(current, nodes.Name) else None
    if "save" in calls:
        return None
    model = _manager_model(ctx.index, ctx.module, dotted(current) or "")
    if model is not None:
        if calls[-1] in WRITES_WITH_SAVE and _save_does_more(ctx.index, model):
            return None
        return _Query(tuple(calls), model, None)
    chain: list[str] = []
    while isinstance(current, nodes.Attribute):
        chain.append(current.attrname)
        current = current.expr
    if not chain or not isinstance(current, nodes.Name):
        return None
    return _Query(tuple(calls), None, current.name, tuple(reversed(chain)))


def _manager_model(index: ProjectIndex, module: str, name: str) -> str | None:
    """The project model of `Model.objects` (or another of its managers) written in `module`."""
    owner, _, manager = name.rpartition(".")
    if not owner:
        return None
    model = index_resolver(index).resolve(module, owner)
    fact = index.models.get(model)
    if fact is None or not (manager in fact.managers or manager in MANAGER_NAMES):
        return None
    return model


def _save_does_more(index: ProjectIndex, model: str) -> bool:
    """bulk_create / bulk_update skip save(): no bulk call replaces a project save() override, nor
    inserts multi-table inheritance children."""
    for ancestor in index.mros.get(model, (model,)):
        info = index.classes.get(ancestor)
        if info is not None and "save" in info.methods:
            return True
        parent = index.models.get(ancestor)
        if ancestor != model and parent is not None and not parent.abstract and not parent.proxy:
            return True
    return False


def _reporting_loop(node: nodes.Call, query: _Query, ctx: ModuleContext) -> Loop | None:
    for loop in enclosing_loops(node):
        if runs_once(node, loop) or runs_once_per_value(node, loop):
            return None
        if query.row_var is not None:
            if query.row_var not in target_names(loop.target):
                continue
            return loop if _row_query(node, query, loop, ctx) else None
        if _is_bounded(loop.iter, loop, ctx):
            continue
        if find_rows(loop, ctx) is not None or _uses_loop_values(node, loop):
            return loop
    return None


def _row_query(node: nodes.Call, query: _Query, loop: Loop, ctx: ModuleContext) -> bool:
    """`row.save()` or `row.items.filter(...)` on a row of a queryset djvet traced."""
    rows = find_rows(loop, ctx)
    if rows is None or rows.var != query.row_var:
        return False
    cutoff = rebound_line(loop, rows.var)
    if cutoff is not None and node.lineno > cutoff:
        return False
    if query.calls == ("save",):
        return not query.relation and not _save_does_more(ctx.index, rows.loaded.model)
    model, path = rows.loaded.model, []
    for i, attr in enumerate(query.relation):
        step = relation_step(ctx.index, model, attr)
        if step is None:
            return False
        kind, target, _ = step
        path.append(attr)
        if kind in MANAGERS:
            if i != len(query.relation) - 1:
                return False
            return _manager_call_queries(query.calls, "__".join(path), rows.loaded)
        if target is None or target not in ctx.index.models:
            return False
        model = target
    return False


def _manager_call_queries(calls: tuple[str, ...], path: str, loaded: Loaded) -> bool:
    """Whether calls on a related manager query even when the relation is prefetched."""
    if all(c in PREFETCH_SERVED for c in calls):
        return False  # DJV101 reports these: a prefetch answers them
    if set(calls) <= PREFETCH_SERVED | MAYBE_PREFETCHED:
        return not loaded.covers(path, forward=False) and not loaded.is_below_custom_prefetch(path)
    return calls[-1] in RUNS_QUERY or calls[-1] in LAZY


def _uses_loop_values(node: nodes.Call, loop: Loop) -> bool:
    """Whether the query's arguments use the loop variable or a value computed from it."""
    names = _loop_values(loop)
    return any(isinstance(n, nodes.Name) and n.name in names for n in node.nodes_of_class(nodes.Name))


def _loop_values(loop: Loop) -> set[str]:
    names = target_names(loop.target)
    assignments: list[tuple[set[str], nodes.NodeNG]] = []
    for node in walk_body(loop):
        if isinstance(node, (nodes.Assign, nodes.AnnAssign, nodes.AugAssign)) and node.value is not None:
            targets = node.targets if isinstance(node, nodes.Assign) else [node.target]
            assignments.append((set().union(*(target_names(t) for t in targets)), node.value))
        elif isinstance(node, (nodes.For, nodes.AsyncFor, nodes.Comprehension)):
            assignments.append((target_names(node.target), node.iter))
    for _ in range(3):  # values computed from values computed from the loop variable
        for targets, value in assignments:
            if not targets <= names and any(n.name in names for n in value.nodes_of_class(nodes.Name)):
                names |= targets
    return names


def _is_bounded(iterable: nodes.NodeNG, loop: Loop, ctx: ModuleContext) -> bool:
    """A handful of iterations the code's author chose, not rows that grow with the data: a literal
    (or a local bound to one), a constant, a `range()`, a settings value, a class (an enum,
    choices), a form's fields, the models of an app; or batches, each a query by design."""
    if isinstance(iterable, (nodes.List, nodes.Tuple, nodes.Set, nodes.Dict)):
        return True
    if any(word in name.lower() for name in target_names(loop.target) for word in _BATCH_WORDS):
        return True
    if isinstance(iterable, nodes.Call):
        called = (dotted(iterable.func) or "").rsplit(".", 1)[-1]
        if called in _BOUNDED_CALLS or any(word in called.lower() for word in _BATCH_WORDS):
            return True
        if isinstance(iterable.func, nodes.Attribute) and called in ("items", "keys", "values") and not iterable.args:
            return _is_bounded(iterable.func.expr, loop, ctx)
        return False
    if isinstance(iterable, nodes.Name) and _is_fixed_literal(iterable):
        return True
    name = dotted(iterable)
    if name is None:
        return False
    last = name.rsplit(".", 1)[-1]
    if last.isupper() or last in _BOUNDED_ATTRIBUTES or name.startswith("settings."):
        return True
    return index_resolver(ctx.index).resolve(ctx.module, name) in ctx.index.classes


def _is_fixed_literal(name: nodes.Name) -> bool:
    """A local assigned a non-empty literal (`sources = {"ecb": ..., "fed": ...}`) and never added to."""
    function = enclosing_function(name)
    if function is None:
        return False
    value = find_local_value(function, name.name, name.lineno or 0)
    items = value.items if isinstance(value, nodes.Dict) else getattr(value, "elts", None)
    if not isinstance(value, (nodes.List, nodes.Tuple, nodes.Set, nodes.Dict)) or not items:
        return False
    for node in function.nodes_of_class((nodes.Subscript, nodes.Call, nodes.AugAssign)):
        if isinstance(node, nodes.Subscript):
            grows = is_store_target(node) and dotted(node.value) == name.name
        elif isinstance(node, nodes.Call):
            func = node.func
            grows = isinstance(func, nodes.Attribute) and func.attrname in _GROWING and dotted(func.expr) == name.name
        else:
            grows = isinstance(node.target, nodes.AssignName) and node.target.name == name.name
        if grows:
            return False
    return True
