"""Finding the parts of a class body that rules report on."""

from __future__ import annotations

from astroid import nodes


def find_inner_class(node: nodes.ClassDef, name: str) -> nodes.ClassDef | None:
    """The class named `name` written directly in `node`'s body (the last one, as Python binds it)."""
    found = None
    for child in node.body:
        if isinstance(child, nodes.ClassDef) and child.name == name:
            found = child
    return found


def find_class_assignment(node: nodes.ClassDef, name: str) -> nodes.NodeNG | None:
    """The statement in `node`'s body that last assigns `name` (`name = ...` or `name: T = ...`)."""
    found = None
    for child in node.body:
        if isinstance(child, nodes.Assign):
            if any(isinstance(t, nodes.AssignName) and t.name == name for t in child.targets):
                found = child
        elif isinstance(child, nodes.AnnAssign):
            if isinstance(child.target, nodes.AssignName) and child.target.name == name:
                found = child
    return found


def short_name(qualname: str | None, module: str | None = None) -> str:
    """`BookSerializer.Meta` for `shop.serializers.BookSerializer.Meta` (the module is dropped)."""
    if not qualname:
        return ""
    if module and qualname.startswith(module + "."):
        return qualname[len(module) + 1 :]
    return qualname
