"""DJV701 sync-orm-in-async: see rules/DJV701.yaml."""

from __future__ import annotations

from collections.abc import Iterator

from astroid import nodes

from djvet.astro.exprs import dotted
from djvet.astro.instances import GET_OBJECT, Instance, find_instance
from djvet.astro.loops import is_production_code, mentions_querysets, short_source
from djvet.astro.querysets import loaded_by
from djvet.astro.requests import own_nodes
from djvet.engine import ModuleContext
from djvet.index.querysets import index_resolver, relation_step
from djvet.rule import Hit, Rule

# Manager / queryset methods that run a query when called (each has an `a`-prefixed async twin).
RUNS_QUERY = frozenset(
    {
        "get", "first", "last", "exists", "count", "aggregate", "earliest", "latest", "in_bulk", "contains",
        "update", "delete", "create", "get_or_create", "update_or_create", "bulk_create", "bulk_update", "explain",
    }
)  # fmt: skip
# Methods of a model instance that query (`asave()`, `adelete()`, `arefresh_from_db()` do not block).
INSTANCE_QUERIES = frozenset({"save", "delete", "refresh_from_db"})
# Calls that build a queryset without running it.
LAZY = frozenset(
    {
        "all", "filter", "exclude", "order_by", "distinct", "annotate", "alias", "only", "defer", "using",
        "reverse", "select_related", "prefetch_related", "values", "values_list", "none",
    }
)  # fmt: skip
# Builtins that iterate the queryset they are given.
EVALUATORS = frozenset({"list", "tuple", "set", "frozenset", "sorted", "len", "sum", "any", "all", "dict", "min", "max"})
SHORTCUTS = GET_OBJECT | {"django.shortcuts.get_list_or_404"}
MANAGERS = frozenset({"fk-reverse", "m2m", "generic-relation"})
RELATIONS = frozenset({"fk", "o2o", "o2o-reverse"})


class SyncOrmInAsync(Rule):
    code = "DJV701"
    needs_text = ("async def",)

    def applies_to(self, ctx: ModuleContext) -> bool:
        return super().applies_to(ctx) and is_production_code(ctx) and bool(ctx.index.models) and mentions_querysets(ctx)

    def check_asyncfunctiondef(self, node: nodes.AsyncFunctionDef, ctx: ModuleContext) -> Iterator[Hit]:
        for child in own_nodes(node):
            query = _sync_query(child, ctx)
            if query is not None:
                yield Hit(query, {"query": short_source(query), "function": node.name})


def _sync_query(node: nodes.NodeNG, ctx: ModuleContext) -> nodes.NodeNG | None:
    """The expression that runs a blocking query, when `node` is one."""
    if isinstance(node, nodes.Call):
        return node if _call_queries(node, ctx) else None
    if isinstance(node, (nodes.For, nodes.Comprehension)) and not isinstance(node, nodes.AsyncFor):
        if isinstance(node, nodes.Comprehension) and node.is_async:
            return None
        return node.iter if _is_queryset(node.iter, ctx) else None
    if isinstance(node, nodes.Attribute):
        return node if _loads_relation(node, ctx) else None
    return None


def _call_queries(call: nodes.Call, ctx: ModuleContext) -> bool:
    func = call.func
    if isinstance(func, nodes.Attribute):
        if func.attrname in RUNS_QUERY and _is_queryset(func.expr, ctx):
            return True
        return func.attrname in INSTANCE_QUERIES and find_instance(func.expr, ctx) is not None
    name = dotted(func)
    if name is None:
        return False
    if name in EVALUATORS:
        return len(call.args) == 1 and _is_queryset(call.args[0], ctx)
    return index_resolver(ctx.index).resolve(ctx.module, name) in SHORTCUTS


def _is_queryset(node: nodes.NodeNG, ctx: ModuleContext) -> bool:
    """A queryset or manager djvet traces to a model, or a related manager of a model instance
    (not one a prefetch of the instance's queryset already answers)."""
    if loaded_by(node, ctx) is not None:
        return True
    calls = []
    while isinstance(node, nodes.Call) and isinstance(node.func, nodes.Attribute) and node.func.attrname in LAZY:
        calls.append(node.func.attrname)
        node = node.func.expr
    if not isinstance(node, nodes.Attribute):
        return False
    owner = find_instance(node.expr, ctx)
    step = relation_step(ctx.index, owner.model, node.attrname) if owner is not None else None
    if step is None or step[0] not in MANAGERS:
        return False
    return not (_prefetched(owner, node.attrname) and set(calls) <= {"all"})


def _prefetched(owner: Instance | None, attr: str) -> bool:
    return owner is not None and owner.loaded is not None and owner.loaded.covers(attr, forward=False)


def _loads_relation(node: nodes.Attribute, ctx: ModuleContext) -> bool:
    """`book.author` on an instance fetched with `await ...aget()` (or a row of `async for`) whose
    queryset does not `select_related("author")`: the attribute runs a query."""
    owner = find_instance(node.expr, ctx)
    if owner is None or owner.loaded is None or not owner.awaited:
        return False
    step = relation_step(ctx.index, owner.model, node.attrname)
    if step is None or step[0] not in RELATIONS:
        return False
    return not owner.loaded.covers(node.attrname, forward=True) and not owner.loaded.is_below_custom_prefetch(node.attrname)
