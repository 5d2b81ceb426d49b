"""DJV204 permission-always-allows: see rules/DJV204.yaml."""

from __future__ import annotations

from collections.abc import Iterator

from astroid import nodes

from djvet.engine import ModuleContext
from djvet.index.policy import always_allows, policy_book
from djvet.rule import Hit, Rule

_CHECKS = ("has_permission", "has_object_permission")


class PermissionAlwaysAllows(Rule):
    code = "DJV204"
    needs_text = _CHECKS

    def applies_to(self, ctx: ModuleContext) -> bool:
        return super().applies_to(ctx) and "tests" not in ctx.kinds

    def check_classdef(self, node: nodes.ClassDef, ctx: ModuleContext) -> Iterator[Hit]:
        qualname = ctx.qualname(node)
        info = ctx.index.classes.get(qualname)
        if info is None or not always_allows(policy_book(ctx.index), qualname):
            return
        written = [f"`{name}`" for name in _CHECKS if name in info.methods]
        checks = " and ".join(written) + (" never refuse one" if len(written) > 1 else " never refuses one")
        yield Hit(node, {"permission": node.name, "checks": checks})
