"""DJV203 get-permissions-opens-writes: see rules/DJV203.yaml."""

from __future__ import annotations

from collections.abc import Iterator

from astroid import nodes

from djvet.astro.access import checks_access, class_names, describe_operations
from djvet.engine import ModuleContext
from djvet.index.policy import Operation, opened_by_get_permissions
from djvet.rule import Hit, Rule


class GetPermissionsOpensWrites(Rule):
    code = "DJV203"
    needs_text = ("get_permissions",)

    def applies_to(self, ctx: ModuleContext) -> bool:
        return super().applies_to(ctx) and checks_access(ctx)[1]

    def check_functiondef(self, node: nodes.FunctionDef, ctx: ModuleContext) -> Iterator[Hit]:
        if node.name != "get_permissions" or not isinstance(node.parent, nodes.ClassDef):
            return
        book, _ = checks_access(ctx)
        function = ctx.qualname(node)
        opened: list[Operation] = []
        for view in book.concrete_views(ctx.qualname(node.parent)):
            policy = book.policy(view)
            if policy is not None:
                opened += [op for op in opened_by_get_permissions(policy) if op.permissions.origin == function]
        if opened:
            yield Hit(
                node,
                {
                    "owner": node.parent.name,
                    "operations": describe_operations(opened),
                    "classes": class_names(opened[0].permissions) or "[]",
                },
            )
