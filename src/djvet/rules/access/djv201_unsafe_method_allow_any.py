"""DJV201 unsafe-method-allow-any: see rules/DJV201.yaml."""

from __future__ import annotations

from collections.abc import Iterator

from astroid import nodes

from djvet.astro.access import checks_access, describe_operations, describe_source
from djvet.engine import ModuleContext
from djvet.index.policy import open_unsafe_operations, policy_book
from djvet.rule import Hit, Rule


class UnsafeMethodAllowAny(Rule):
    code = "DJV201"

    def applies_to(self, ctx: ModuleContext) -> bool:
        return super().applies_to(ctx) and checks_access(ctx)[1]

    def check_classdef(self, node: nodes.ClassDef, ctx: ModuleContext) -> Iterator[Hit]:
        yield from self._check_view(node, ctx)

    def check_functiondef(self, node: nodes.FunctionDef, ctx: ModuleContext) -> Iterator[Hit]:
        yield from self._check_view(node, ctx)

    def _check_view(self, node: nodes.ClassDef | nodes.FunctionDef, ctx: ModuleContext) -> Iterator[Hit]:
        qualname = ctx.qualname(node)
        if qualname not in ctx.index.views:
            return
        policy = policy_book(ctx.index).policy(qualname)
        if policy is None or policy.abstract:
            return
        operations = open_unsafe_operations(policy)
        if not operations:
            return
        yield Hit(
            node,
            {
                "view": node.name,
                "operations": describe_operations(operations),
                "cause": describe_source(operations[0].permissions),
            },
        )
