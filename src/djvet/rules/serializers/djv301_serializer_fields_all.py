"""DJV301 serializer-fields-all: see rules/DJV301.yaml."""

from __future__ import annotations

from collections.abc import Iterator

from astroid import nodes

from djvet.astro.serializers import (
    class_display,
    defines_serializers,
    explicit_fields_edit,
    is_direct_model_serializer,
    meta_option_node,
    model_display,
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
        target = meta_option_node(node, fact, "fields", fact.fields_origin)
        if target is None:
            return
        inherited = fact.fields_origin != fact.own_meta
        yield Hit(
            target,
            {
                "serializer": fact.name,
                "model": model_display(ctx.index, fact),
                "meta": class_display(ctx.index, fact.fields_origin),
            },
            confidence="inference" if inherited or not is_direct_model_serializer(fact) else None,
            edit=explicit_fields_edit(node, fact, "fields", ctx),
        )
