"""DJV609 run-python-without-reverse: see rules/DJV609.yaml."""

from __future__ import annotations

from collections.abc import Iterator

from astroid import nodes

from djvet.astro.migrations import MigrationRule
from djvet.engine import ModuleContext
from djvet.rule import Hit


class RunPythonWithoutReverse(MigrationRule):
    code = "DJV609"
    needs_text = ("RunPython",)

    def check_classdef(self, node: nodes.ClassDef, ctx: ModuleContext) -> Iterator[Hit]:
        for migration, operation, call in self.operations(node, ctx):
            if operation.kind != "RunPython" or "**" in operation.keywords or operation.positional >= 2:
                continue
            # reverse_code=None is Django's default: the operation cannot be unapplied
            if "reverse_code" in operation.keywords and operation.options.get("reverse_code") is not None:
                continue
            yield Hit(call, {"code": operation.code or "...", "migration": migration.name})
