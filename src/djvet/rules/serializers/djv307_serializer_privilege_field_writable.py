"""DJV307 serializer-privilege-field-writable: see rules/DJV307.yaml."""

from __future__ import annotations

from collections.abc import Iterator

from astroid import nodes

from djvet.astro.serializers import defines_serializers, field_report_node, in_tests, read_only_edit
from djvet.engine import ModuleContext
from djvet.index.exposure import serializer_exposure
from djvet.index.field_roles import is_privilege_field
from djvet.index.write_paths import validates_field, write_paths
from djvet.rule import Hit, Rule


class SerializerPrivilegeFieldWritable(Rule):
    code = "DJV307"

    def applies_to(self, ctx: ModuleContext) -> bool:
        return super().applies_to(ctx) and not in_tests(ctx) and defines_serializers(ctx)

    def check_classdef(self, node: nodes.ClassDef, ctx: ModuleContext) -> Iterator[Hit]:
        fact = ctx.index.serializers.get(ctx.qualname(node))
        exposure = serializer_exposure(ctx.index, fact) if fact is not None else None
        if exposure is None or exposure.dynamic:
            return
        for field in exposure.fields.values():
            model_field = field.model_field
            if field.writable is not True or model_field is None or not is_privilege_field(ctx.index, exposure.model, model_field):
                continue
            if validates_field(ctx.index, exposure.serializer, field.name):
                continue
            # administrators granting privileges is what an admin API is for
            paths = [p for p in write_paths(ctx.index, exposure.serializer, field.name) if not p.handled and not p.admin_only]
            if not paths:
                continue
            yield Hit(
                field_report_node(node, exposure.serializer, field.name),
                {
                    "serializer": exposure.serializer.name,
                    "model": exposure.model.name,
                    "field": model_field.name,
                    "methods": ", ".join(f"`{m}`" for m in sorted({p.method for p in paths})),
                    "views": ", ".join(f"`{w}`" for w in sorted({p.where.rpartition('.')[2] for p in paths})),
                },
                edit=read_only_edit(node, exposure.serializer, field.name, ctx),
            )
