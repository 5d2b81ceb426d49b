"""DJV105 function-query-per-row: see rules/DJV105.yaml."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from astroid import nodes

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
from djvet.engine import ModuleContext
from djvet.index.expr import Bin, Call, Expr, Name, Seq
from djvet.index.facts import FunctionInfo, ProjectIndex
from djvet.index.objreads import (
    QUERY,
    Access,
    Segment,
    first_unloaded,
    function_accesses,
    is_property,
    manager_model,
    model_function,
    model_name,
    walk,
)
from djvet.index.querysets import Loaded, index_resolver
from djvet.rule import Hit, Rule

# Writes per row are DJV102's (`row.save()`); these names are Django's, whatever a model adds.
NOT_REPORTED = frozenset({"save", "delete", "refresh_from_db", "full_clean", "clean", "clean_fields", "validate_unique"})
MAX_CALLED_DEPTH = 2


@dataclass(frozen=True, eq=False)
class _Call:
    node: nodes.NodeNG  # the call, or the property read
    function: str  # `Order.compute_total` / `order_total`
    query: str  # what runs: `self.items.aggregate(...)`


class FunctionQueryPerRow(LoopChecks, Rule):
    code = "DJV105"
    needs_text = ("for ",)

    def applies_to(self, ctx: ModuleContext) -> bool:
        return (
            super().applies_to(ctx)
            and is_production_code(ctx, commands=False)
            and bool(ctx.index.models)
            and mentions_querysets(ctx)
        )

    def _check_loop(self, loop: Loop, ctx: ModuleContext) -> Iterator[Hit]:
        rows = find_rows(loop, ctx)
        if rows is None:
            return
        seen: set[str] = set()
        for call in _row_calls(loop, rows, ctx):
            if call.function in seen:
                continue
            seen.add(call.function)
            yield Hit(
                call.node,
                {
                    "function": call.function,
                    "query": call.query,
                    "iterable": short_source(loop.iter),
                    "origin": origin(rows, ctx),
                },
            )


def _row_calls(loop: Loop, rows: Rows, ctx: ModuleContext) -> Iterator[_Call]:
    """Project methods, properties and functions given the row that query, in source order."""
    cutoff = rebound_line(loop, rows.var)
    found = []
    for node in walk_body(loop, shadowing=rows.var):
        if cutoff is not None and (node.lineno or 0) > cutoff:
            continue
        call = None
        if isinstance(node, nodes.Attribute) and isinstance(node.expr, nodes.Name) and node.expr.name == rows.var:
            call = _method_call(node, rows.loaded, ctx.index)
        elif isinstance(node, nodes.Call) and isinstance(node.func, nodes.Name):
            call = _function_call(node, rows, ctx)
        if call is not None and not runs_once(node, loop) and not runs_once_per_value(node, loop):
            found.append(call)
    yield from sorted(found, key=lambda c: (c.node.lineno, c.node.col_offset))


def _method_call(node: nodes.Attribute, loaded: Loaded, index: ProjectIndex) -> _Call | None:
    """`row.method(...)` or `row.some_property` on a model whose project class defines it."""
    if node.attrname in NOT_REPORTED or node.attrname.startswith("__"):
        return None
    found = model_function(index, loaded.model, node.attrname)
    if found is None:
        return None
    function, module = found
    called = isinstance(node.parent, nodes.Call) and node.parent.func is node
    if called == is_property(function):
        return None
    name = f"{model_name(index, loaded.model)}.{node.attrname}"
    accesses = _method_accesses(index, loaded.model, function, module, name, 1)
    query = _first_query(index, accesses, loaded)
    if query is None:
        return None
    return _Call(node.parent if called else node, name, query)


def _method_accesses(index: ProjectIndex, model: str, function: FunctionInfo, module: str, via: str, depth: int) -> list[Access]:
    """What a model method reads and queries, and the methods it calls on `self`, a few levels deep."""
    accesses = function_accesses(index, model, function, module, (), via, depth)
    if depth < MAX_CALLED_DEPTH:
        for call in sorted(function.calls):
            receiver, _, method = call.rpartition(".")
            found = model_function(index, model, method) if receiver == "self" and method not in NOT_REPORTED else None
            if found is not None:
                accesses += _method_accesses(index, model, found[0], found[1], via, depth + 1)
    return accesses


def _function_call(node: nodes.Call, rows: Rows, ctx: ModuleContext) -> _Call | None:
    """`helper(row)`: a module-level project function given the row."""
    parameter = _parameter_for(node, rows.var)
    if parameter is None:
        return None
    resolver = index_resolver(ctx.index)
    qualname = resolver.resolve(ctx.module, dotted(node.func) or "")
    function = resolver.functions.get(qualname)
    if function is None:
        return None
    position, keyword = parameter
    name = keyword if keyword is not None else function.args[position] if position < len(function.args) else None
    if name is None or name not in function.args:
        return None
    module = qualname.rsplit(".", 1)[0]
    accesses = _parameter_accesses(ctx.index, rows.loaded.model, function, module, name)
    query = _first_query(ctx.index, accesses, rows.loaded)
    if query is None:
        return None
    return _Call(node, function.name, query)


def _parameter_for(node: nodes.Call, var: str) -> tuple[int, str | None] | None:
    """(position, keyword) of the argument that passes the row itself."""
    for position, arg in enumerate(node.args):
        if isinstance(arg, nodes.Starred):
            return None
        if isinstance(arg, nodes.Name) and arg.name == var:
            return position, None
    for keyword in node.keywords or ():
        if keyword.arg and isinstance(keyword.value, nodes.Name) and keyword.value.name == var:
            return -1, keyword.arg
    return None


def _parameter_accesses(index: ProjectIndex, model: str, function: FunctionInfo, module: str, parameter: str) -> list[Access]:
    """What a function reads through its parameter (a row of `model`) and queries through managers."""
    accesses: list[Access] = []
    for call in sorted(function.calls):
        receiver, _, method = call.rpartition(".")
        parts = receiver.split(".") if receiver else []
        if parts and parts[0] == parameter:
            segments = [*(Segment(p) for p in parts[1:]), Segment(method, True)]
            accesses.extend(walk(index, model, segments, (), function.name, MAX_CALLED_DEPTH - 1, parameter))
        elif receiver and manager_model(index, module, receiver) is not None:
            accesses.append(Access((), QUERY, f"{receiver}.{method}()", function.name))
    for expr in function.returns:
        for read in sorted(set(_names_read(expr))):
            parts = read.split(".")
            if parts[0] == parameter and len(parts) > 1:
                segments = [Segment(p) for p in parts[1:]]
                accesses.extend(walk(index, model, segments, (), function.name, MAX_CALLED_DEPTH - 1, parameter))
    return accesses


def _names_read(expr: Expr | None, depth: int = 0) -> Iterator[str]:
    """Dotted names read in a returned expression (`invoice.client.email`)."""
    if expr is None or depth > 20:
        return
    if isinstance(expr, Name):
        yield expr.dotted
    elif isinstance(expr, Call):
        for arg in (*expr.args, *(value for _, value in expr.kwargs)):
            yield from _names_read(arg, depth + 1)
    elif isinstance(expr, Seq):
        for item in expr.items:
            yield from _names_read(item, depth + 1)
    elif isinstance(expr, Bin):
        yield from _names_read(expr.left, depth + 1)
        yield from _names_read(expr.right, depth + 1)


def _first_query(index: ProjectIndex, accesses: list[Access], loaded: Loaded) -> str | None:
    """What runs a query for a row of `loaded`: a query of its own, or a relation not loaded."""
    for access in accesses:
        if access.cost == QUERY or (access.path and first_unloaded(index, loaded, (), access.path) is not None):
            return access.query
    return None
