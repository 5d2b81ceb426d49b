"""DJV308 serializer-ownership-field-writable: see rules/DJV308.yaml."""

from __future__ import annotations

from collections.abc import Iterator

from astroid import nodes

from djvet.astro.serializers import defines_serializers, field_report_node, in_tests, read_only_edit
from djvet.engine import ModuleContext
from djvet.index.exposure import serializer_exposure
from djvet.index.field_roles import is_ownership_field
from djvet.index.write_paths import WritePath, validates_field, write_paths
from djvet.rule import Hit, Rule


class SerializerOwnershipFieldWritable(Rule):
    code = "DJV308"

    def applies_to(self, ctx: ModuleContext) -> bool:
        return super().applies_to(ctx) and not in_tests(ctx) and defines_serializers(ctx)

    def check_classdef(self, node: nodes.ClassDef, ctx: ModuleContext) -> Iterator[Hit]:
        fact = ctx.index.serializers.get(ctx.qualname(node))
        exposure = serializer_exposure(ctx.index, fact) if fact is not None else None
        if exposure is None or exposure.dynamic:
            return
        for field in exposure.fields.values():
            model_field = field.model_field
            if field.writable is not True or model_field is None or not is_ownership_field(ctx.index, model_field):
                continue
            if validates_field(ctx.index, exposure.serializer, field.name):
                continue
            paths = write_paths(ctx.index, exposure.serializer, field.name)
            open_paths = [p for p in paths if not p.handled]
            if not open_paths:
                continue  # no write path, or the server sets the field on every one of them
            set_by_view = [p for p in paths if p.set_by_view]
            yield Hit(
                field_report_node(node, exposure.serializer, field.name),
                {
                    "serializer": exposure.serializer.name,
                    "model": exposure.model.name,
                    "field": model_field.name,
                    "methods": _methods(open_paths),
                    "also": _also(set_by_view),
                },
                confidence="high" if set_by_view else None,
                edit=read_only_edit(node, exposure.serializer, field.name, ctx),
            )


def _methods(paths: list[WritePath]) -> str:
    return ", ".join(f"`{m}`" for m in dict.fromkeys(sorted(p.method for p in paths)))


def _also(paths: list[WritePath]) -> str:
    """How the view shows the field is the server's to set."""
    if not paths:
        return ""
    methods = ", ".join(dict.fromkeys(p.method for p in paths))
    view = paths[0].where.rpartition(".")[2]
    return f"; `{view}` sets it from `request.user` on {methods}"
