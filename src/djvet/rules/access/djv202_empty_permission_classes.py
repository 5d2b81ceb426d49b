"""DJV202 empty-permission-classes: see rules/DJV202.yaml."""

from __future__ import annotations

from collections.abc import Iterator

from astroid import nodes

from djvet.astro.access import checks_access
from djvet.engine import ModuleContext
from djvet.index.policy import empty_class_lists
from djvet.rule import Hit, Rule

_ATTRS = ("permission_classes", "authentication_classes")
_EFFECT = {
    "permission_classes": "no permission check",
    "authentication_classes": "no authentication",
}


class EmptyPermissionClasses(Rule):
    code = "DJV202"
    needs_text = _ATTRS

    def applies_to(self, ctx: ModuleContext) -> bool:
        return super().applies_to(ctx) and checks_access(ctx)[1]

    def check_assign(self, node: nodes.Assign, ctx: ModuleContext) -> Iterator[Hit]:
        if len(node.targets) == 1 and isinstance(node.targets[0], nodes.AssignName):
            yield from self._check(node, node.targets[0].name, node.value, ctx)

    def check_annassign(self, node: nodes.AnnAssign, ctx: ModuleContext) -> Iterator[Hit]:
        if isinstance(node.target, nodes.AssignName) and node.value is not None:
            yield from self._check(node, node.target.name, node.value, ctx)

    def _check(self, node: nodes.NodeNG, attr: str, value: nodes.NodeNG, ctx: ModuleContext) -> Iterator[Hit]:
        if attr not in _ATTRS or not isinstance(value, (nodes.List, nodes.Tuple)) or value.elts:
            return
        if not isinstance(node.parent, nodes.ClassDef):
            return
        book, _ = checks_access(ctx)
        owner = ctx.qualname(node.parent)
        views = []
        for view in book.concrete_views(owner):
            policy = book.policy(view)
            if policy is None:
                continue
            classes = policy.permissions if attr == "permission_classes" else policy.authentication
            if classes.origin == owner and attr in empty_class_lists(book, policy):
                views.append(policy.view.rpartition(".")[2])
        if views:
            yield Hit(node, {"attr": attr, "owner": node.parent.name, "effect": _EFFECT[attr], "views": ", ".join(f"`{v}`" for v in views)})
