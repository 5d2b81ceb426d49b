"""Tracing a queryset written in a function body: local assignments, and the view around it."""

from __future__ import annotations

from astroid import nodes

from djvet.astro.exprs import to_expr
from djvet.engine import ModuleContext
from djvet.index.expr import Expr
from djvet.index.querysets import Loaded, TraceContext, trace_queryset

_COMPOUND = (nodes.If, nodes.For, nodes.While, nodes.Try, nodes.With, nodes.Match, nodes.AsyncFor, nodes.AsyncWith)
_SCOPES = (nodes.FunctionDef, nodes.AsyncFunctionDef, nodes.Lambda, nodes.ClassDef)


def enclosing_function(node: nodes.NodeNG) -> nodes.FunctionDef | None:
    scope = node.scope()
    while not isinstance(scope, (nodes.FunctionDef, nodes.Module)):
        scope = scope.parent.scope() if scope.parent is not None else scope.root()
    return scope if isinstance(scope, nodes.FunctionDef) else None


def _assignments(function: nodes.FunctionDef, name: str) -> list[nodes.AssignName] | None:
    """Every binding of `name` in the function's own body; None if one is not a plain statement
    directly in the body (a branch, a loop target, a with-target): then djvet cannot know."""
    if name in function.argnames():
        return None
    found = []
    stack = list(function.body)
    while stack:
        node = stack.pop()
        if isinstance(node, _SCOPES):
            continue
        if isinstance(node, nodes.AssignName) and node.name == name:
            statement = node.statement()
            if not isinstance(statement, (nodes.Assign, nodes.AnnAssign)) or statement.parent is not function:
                return None
            found.append(node)
        stack.extend(node.get_children())
    return found


def find_local_value(function: nodes.FunctionDef, name: str, line: int) -> nodes.NodeNG | None:
    """The value last assigned to the local `name` before `line`, when every binding of it is a
    plain `name = value` directly in the function body; None when djvet cannot know."""
    bindings = _assignments(function, name)
    before = [b for b in bindings or () if b.lineno < line]
    if not before:
        return None
    statement = max(before, key=lambda b: b.lineno).statement()
    if isinstance(statement, nodes.Assign) and (
        len(statement.targets) != 1 or not isinstance(statement.targets[0], nodes.AssignName)
    ):
        return None
    return statement.value


def local_lookup(function: nodes.FunctionDef, module: str, view: str | None):  # type: ignore[no-untyped-def]
    """A lookup for TraceContext: the value last assigned to a local name before a line."""

    def lookup(name: str, line: int) -> tuple[Expr, TraceContext] | None:
        bindings = _assignments(function, name)
        if not bindings:
            return None
        before = [b for b in bindings if b.lineno < line]
        if not before:
            return None
        statement = max(before, key=lambda b: b.lineno).statement()
        value = statement.value
        if value is None or (isinstance(statement, nodes.Assign) and len(statement.targets) != 1):
            return None
        if isinstance(statement, nodes.Assign) and not isinstance(statement.targets[0], nodes.AssignName):
            return None
        return to_expr(value), TraceContext(module, view=view, owner=view, lookup_local=lookup)

    return lookup


def trace_context(node: nodes.NodeNG, ctx: ModuleContext) -> TraceContext:
    """Module, view class and local-variable lookup for an expression inside a function."""
    function = enclosing_function(node)
    view = None
    if function is not None and isinstance(function.parent, nodes.ClassDef):
        qualname = ctx.qualname(function.parent)
        if qualname in ctx.index.views:
            view = qualname
    if function is None:
        return TraceContext(ctx.module, view=view, owner=view)
    return TraceContext(ctx.module, view=view, owner=view, lookup_local=local_lookup(function, ctx.module, view))


def loaded_by(node: nodes.NodeNG, ctx: ModuleContext) -> Loaded | None:
    """What the queryset expression `node` loads, or None when djvet cannot know."""
    return trace_queryset(ctx.index, to_expr(node), trace_context(node, ctx))
