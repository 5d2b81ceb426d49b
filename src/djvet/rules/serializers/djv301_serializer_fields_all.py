"""DJV301 serializer-fields-all: see rules/DJV301.yaml."""

from __future__ import annotations

from collections.abc import Iterator

from astroid import nodes

from djvet.astro.serializers import (
    defines_serializers,
    explicit_fields_edit,
    meta_option_hit,
)
from djvet.engine import ModuleContext
from djvet.rule import Hit, Rule


class SerializerFieldsAll(Rule):
    code = "DJV301"
    needs_text = ("Meta",)

    def applies_to(self, ctx: ModuleContext) -> bool:
        return super().applies_to(ctx) and defines_serializers(ctx)

    def check_classdef(self, node: nodes.ClassDef, ctx: ModuleContext) -> Iterator[Hit]:
        fact = ctx.index.serializers.get(ctx.qualname(node))
        if fact is None or not fact.is_model_serializer or fact.fields != "__all__":
            return
        edit = explicit_fields_edit(node, fact, "fields", ctx)
        hit = meta_option_hit(node, ctx, fact, "fields", fact.fields_origin, edit)
        if hit is not None:
            yield hit
