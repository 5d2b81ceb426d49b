"""DJV610 add-non-null-column-without-default: see rules/DJV610.yaml."""

from __future__ import annotations

from collections.abc import Iterator

from astroid import nodes

from djvet.astro.migrations import MigrationRule
from djvet.engine import ModuleContext
from djvet.index.migrations import created_models
from djvet.rule import Hit


class AddNonNullColumnWithoutDefault(MigrationRule):
    code = "DJV610"
    needs_text = ("AddField",)

    def check_classdef(self, node: nodes.ClassDef, ctx: ModuleContext) -> Iterator[Hit]:
        for migration, operation, call in self.operations(node, ctx):
            spec = operation.field
            if operation.kind != "AddField" or spec is None or spec.opaque or not spec.is_django or migration.initial:
                continue
            if operation.model in created_models(migration) or "ManyToMany" in spec.field_class:
                continue  # a table created by this migration is empty; a many-to-many has no column
            options = spec.options
            if ("null" in options and options["null"] is not False) or "db_default" in options or options.get("primary_key") is True:
                continue
            if "default" not in options:
                if options.get("auto_now") is True or options.get("auto_now_add") is True or options.get("blank") is True:
                    continue  # Django fills the rows itself (now(), or "" for a blank string field)
                how = "no default: the migration fails on a table with rows"
            elif operation.options.get("preserve_default") is False:
                how = "a one-off default (`preserve_default=False`)"
            else:
                continue  # the model keeps a default of its own (see the rule's docs)
            yield Hit(call, {"model": operation.model, "field": operation.name, "how": how})
