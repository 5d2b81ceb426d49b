"""DJV611 removed-column-still-read: see rules/DJV611.yaml."""

from __future__ import annotations

from collections.abc import Iterator

from astroid import nodes

from djvet.astro.migrations import MigrationRule
from djvet.engine import ModuleContext
from djvet.index.lookups import lookups_naming
from djvet.index.migrations import migration_app_label
from djvet.rule import Hit


class RemovedColumnStillRead(MigrationRule):
    code = "DJV611"
    needs_text = ("RemoveField", "RenameField")

    def check_classdef(self, node: nodes.ClassDef, ctx: ModuleContext) -> Iterator[Hit]:
        label = migration_app_label(ctx.index, ctx.module)
        for _, operation, call in self.operations(node, ctx):
            if operation.kind not in ("RemoveField", "RenameField") or not operation.model or not operation.name:
                continue
            model = ctx.index.model_by_label(f"{label}.{operation.model}")
            if model is None or model.abstract:
                continue
            old = operation.name
            if operation.kind == "RemoveField" and old in model.fields:
                continue  # the model declares it again: a later AddField, not code reading a dropped column
            lookups = lookups_naming(ctx.index, frozenset({old}))
            read = next((f for f in lookups.get(model.qualname, ()) if f.field in (old, f"{old}_id")), None)
            if read is None:
                continue
            where = f"`.{read.method}()` in {read.path}:{read.line}"
            yield Hit(call, {"model": model.name, "field": old, "operation": operation.kind, "where": where}, confidence="inference")
