"""The qualified name a dotted name in a function body refers to: through the module's imports (the
index's resolver), or through an import written inside the function (`from .tasks import x`, the
usual way around a circular import)."""

from __future__ import annotations

from astroid import nodes

from djvet.astro.exprs import dotted
from djvet.engine import ModuleContext
from djvet.index.querysets import index_resolver


def resolve_dotted(node: nodes.NodeNG, ctx: ModuleContext) -> str | None:
    """`tasks.send_mail` -> `shop.tasks.send_mail`; None when `node` is not a dotted name."""
    name = dotted(node)
    if name is None or ctx.module not in ctx.index.modules:
        return None
    first, _, rest = name.partition(".")
    local = _local_import(node, first)
    if local is not None:
        return str(index_resolver(ctx.index).canonical(f"{local}.{rest}" if rest else local))
    return str(index_resolver(ctx.index).resolve(ctx.module, name))


def _local_import(node: nodes.NodeNG, name: str) -> str | None:
    """The absolute name `name` is bound to by an import inside the function around `node`."""
    scope = node.scope()
    if not isinstance(scope, (nodes.FunctionDef, nodes.Lambda)):
        return None
    try:
        _, assignments = node.lookup(name)
    except Exception:  # astroid's lookup can fail on unusual trees: then the module's imports decide
        return None
    for assignment in assignments:
        if assignment.scope() is node.root():
            continue
        if isinstance(assignment, nodes.ImportFrom):
            module = assignment.modname
            if assignment.level:
                module = assignment.root().relative_to_absolute_name(module, assignment.level)
            for imported, alias in assignment.names:
                if (alias or imported) == name:
                    return f"{module}.{imported}"
        if isinstance(assignment, nodes.Import):
            for imported, alias in assignment.names:
                if alias == name:
                    return str(imported)
                if alias is None and imported.split(".")[0] == name:
                    return name
    return None
