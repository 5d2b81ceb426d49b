"""DJV101 n-plus-one-loop-access: see rules/DJV101.yaml."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from astroid import nodes

from djvet.astro.classes import find_class_assignment
from djvet.astro.exprs import dotted
from djvet.astro.loops import (
    Loop,
    LoopChecks,
    Rows,
    find_rows,
    is_production_code,
    mentions_querysets,
    origin,
    rebound_line,
    runs_once,
    runs_once_per_value,
    short_source,
    walk_body,
)
from djvet.astro.querysets import enclosing_function
from djvet.engine import ModuleContext
from djvet.finding import Edit
from djvet.index.facts import ProjectIndex
from djvet.index.querysets import PREFETCH_SERVED, Loaded, relation_step
from djvet.rule import Hit, Rule

MANAGERS = frozenset({"fk-reverse", "m2m", "generic-relation"})
# After `.all()` on a prefetched manager these still read the prefetched rows.
_SERVED_AFTER_ALL = frozenset({"count", "exists"})


@dataclass(frozen=True, eq=False)
class _Read:
    path: str  # the lookup a select_related / prefetch_related needs ("order__customer")
    node: nodes.Attribute  # where the first query is triggered
    relation: str  # `Order.customer`
    method: str  # select_related | prefetch_related
    argument: str  # what the fix adds: the deepest path of the forward chain


class NPlusOneLoopAccess(LoopChecks, Rule):
    code = "DJV101"
    needs_text = ("for ",)

    def applies_to(self, ctx: ModuleContext) -> bool:
        return super().applies_to(ctx) and is_production_code(ctx) and bool(ctx.index.models) and mentions_querysets(ctx)

    def _check_loop(self, loop: Loop, ctx: ModuleContext) -> Iterator[Hit]:
        rows = find_rows(loop, ctx)
        if rows is None:
            return
        reads = _relation_reads(loop, rows, ctx.index)
        for read in sorted(reads, key=lambda r: (r.node.lineno, r.node.col_offset)):
            target = _edit_target(rows, ctx)
            yield Hit(
                read.node,
                {
                    "relation": read.relation,
                    "iterable": short_source(loop.iter),
                    "origin": origin(rows, ctx),
                    "method": read.method,
                    "argument": read.argument,
                    "queryset": short_source(target if target is not None else rows.source),
                },
                edit=_edit(target, read, rows, ctx),
            )


def _relation_reads(loop: Loop, rows: Rows, index: ProjectIndex) -> list[_Read]:
    """The first read of each relation path of the loop variable that the queryset does not load."""
    cutoff = rebound_line(loop, rows.var)
    assigned: dict[str, int] = {}  # `row.author = ...` in the body: later reads use that value
    for node in walk_body(loop, shadowing=rows.var):
        if isinstance(node, nodes.AssignAttr) and isinstance(node.expr, nodes.Name) and node.expr.name == rows.var:
            assigned[node.attrname] = min(assigned.get(node.attrname, node.lineno), node.lineno)
    reads: dict[str, _Read] = {}
    for node in walk_body(loop, shadowing=rows.var):
        if not (isinstance(node, nodes.Attribute) and isinstance(node.expr, nodes.Name) and node.expr.name == rows.var):
            continue
        if cutoff is not None and node.lineno > cutoff:
            continue
        if node.attrname in assigned and node.lineno > assigned[node.attrname]:
            continue
        chain_reads = list(_chain_reads(node, rows.loaded, index))
        if chain_reads and (runs_once(node, loop) or runs_once_per_value(node, loop)):
            continue
        for read in chain_reads:
            known = reads.get(read.path)
            if known is None or (read.node.lineno, read.node.col_offset) < (known.node.lineno, known.node.col_offset):
                reads[read.path] = read
    return list(reads.values())


def _chain_reads(first: nodes.Attribute, loaded: Loaded, index: ProjectIndex) -> Iterator[_Read]:
    """`row.a.b.c`: each relation step the queryset does not load, forward steps then a manager."""
    chain = [first]
    while isinstance(chain[-1].parent, nodes.Attribute) and chain[-1].parent.expr is chain[-1]:
        chain.append(chain[-1].parent)
    model = loaded.model
    path: list[str] = []
    forward: list[tuple[str, nodes.Attribute, str, str]] = []
    for i, node in enumerate(chain):
        step = relation_step(index, model, node.attrname)
        if step is None:
            break
        kind, target, _ = step
        path.append(node.attrname)
        joined = "__".join(path)
        if loaded.is_below_custom_prefetch(joined):
            break  # a Prefetch(queryset=...) loads what its own queryset says: djvet does not know
        relation = f"{index.models[model].name}.{node.attrname}"
        if kind in MANAGERS:
            if _is_prefetch_served(chain, i) and not loaded.covers(joined, forward=False):
                yield _Read(joined, node, relation, "prefetch_related", joined)
            break
        if not loaded.covers(joined, forward=True):
            method = "prefetch_related" if kind == "generic-fk" else "select_related"
            forward.append((joined, node, relation, method))
        if kind == "generic-fk" or target is None or target not in index.models:
            break
        model = target
    deepest = {method: joined for joined, _, _, method in forward}
    for joined, node, relation, method in forward:
        yield _Read(joined, node, relation, method, deepest[method])


def _is_prefetch_served(chain: list[nodes.Attribute], index: int) -> bool:
    """`row.tags.all()` / `.count()` / `.exists()`: what a prefetch answers without a query."""
    if index + 1 >= len(chain):
        return False
    method = chain[index + 1]
    call = method.parent
    if method.attrname not in PREFETCH_SERVED or not (isinstance(call, nodes.Call) and call.func is method):
        return False
    after = call.parent
    if isinstance(after, nodes.Attribute) and after.expr is call:
        return method.attrname == "all" and after.attrname in _SERVED_AFTER_ALL
    return True


def _edit_target(rows: Rows, ctx: ModuleContext) -> nodes.NodeNG | None:
    """The expression in this file that builds the loop's queryset, where the fix appends a call."""
    if isinstance(rows.source, nodes.Call):
        return rows.source
    if dotted(rows.source) == "self.queryset":
        return _view_queryset_attribute(rows.source, ctx)
    return None


def _view_queryset_attribute(node: nodes.NodeNG, ctx: ModuleContext) -> nodes.NodeNG | None:
    """The `queryset = ...` class attribute in force for the view around `node`, if in this file."""
    function = enclosing_function(node)
    if function is None or not isinstance(function.parent, nodes.ClassDef):
        return None
    view = ctx.index.views.get(ctx.qualname(function.parent))
    if view is None:
        return None
    owner = next((c for c in view.ancestors if "queryset" in getattr(ctx.index.classes.get(c), "attrs", {})), None)
    if owner is None:
        return None
    for cls in node.root().nodes_of_class(nodes.ClassDef):
        if ctx.qualname(cls) == owner:
            statement = find_class_assignment(cls, "queryset")
            return getattr(statement, "value", None)
    return None


def _edit(target: nodes.NodeNG | None, read: _Read, rows: Rows, ctx: ModuleContext) -> Edit | None:
    if target is None or target.lineno is None or target.end_lineno is None:
        return None
    if read.method == "prefetch_related" and rows.through_iterator:
        return None  # QuerySet.iterator() needs a chunk_size to prefetch; the fix cannot choose one
    return Edit(
        target.lineno,
        ctx.char_column(target.lineno, target.col_offset or 0) + 1,
        target.end_lineno,
        ctx.char_column(target.end_lineno, target.end_col_offset or 0) + 1,
        read.method,
        read.argument,
    )
