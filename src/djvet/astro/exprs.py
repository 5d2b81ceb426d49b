"""astroid expressions as the index's small Expr values, so rules reason about code in a function
body with the same helpers the index uses for class attributes."""

from __future__ import annotations

from astroid import nodes

from djvet.index.expr import Attr, Call, Const, Expr, Name, Opaque, Seq, Starred

MAX_DEPTH = 40


def dotted(node: nodes.NodeNG) -> str | None:
    parts = []
    while isinstance(node, nodes.Attribute):
        parts.append(node.attrname)
        node = node.expr
    if isinstance(node, nodes.Name):
        parts.append(node.name)
        return ".".join(reversed(parts))
    return None


def to_expr(node: nodes.NodeNG | None, depth: int = 0) -> Expr:
    line = getattr(node, "lineno", 0) or 0
    if node is None or depth > MAX_DEPTH:
        return Opaque("deep", line)
    if isinstance(node, nodes.Const):
        return Const(node.value, line)
    if isinstance(node, (nodes.Name, nodes.Attribute)):
        name = dotted(node)
        if name is not None:
            return Name(name, line)
        assert isinstance(node, nodes.Attribute)
        return Attr(to_expr(node.expr, depth + 1), node.attrname, line)
    if isinstance(node, (nodes.List, nodes.Tuple, nodes.Set)):
        kind = "list" if isinstance(node, nodes.List) else "tuple" if isinstance(node, nodes.Tuple) else "set"
        return Seq(kind, tuple(to_expr(e, depth + 1) for e in node.elts), line)
    if isinstance(node, nodes.Call):
        args = tuple(to_expr(a, depth + 1) for a in node.args)
        kwargs = tuple((k.arg or "**", to_expr(k.value, depth + 1)) for k in node.keywords or ())
        return Call(to_expr(node.func, depth + 1), args, kwargs, line)
    if isinstance(node, nodes.Starred):
        return Starred(to_expr(node.value, depth + 1), line)
    return Opaque(type(node).__name__, line)
