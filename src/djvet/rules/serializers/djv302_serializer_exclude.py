"""DJV302 serializer-exclude: see rules/DJV302.yaml."""

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


class SerializerExclude(Rule):
    code = "DJV302"
    needs_text = ("Meta",)

    def applies_to(self, ctx: ModuleContext) -> bool:
        return super().applies_to(ctx) and defines_serializers(ctx)

    def check_classdef(self, node: nodes.ClassDef, ctx: ModuleContext) -> Iterator[Hit]:
        fact = ctx.index.serializers.get(ctx.qualname(node))
        if fact is None or not fact.is_model_serializer or fact.exclude is None:
            return
        if isinstance(fact.fields, tuple):
            return  # an explicit field list wins; DRF refuses both, so this is someone else's error
        target = meta_option_node(node, fact, "exclude", fact.exclude_origin)
        if target is None:
            return
        inherited = fact.exclude_origin != fact.own_meta
        yield Hit(
            target,
            {
                "serializer": fact.name,
                "model": model_display(ctx.index, fact),
                "meta": class_display(ctx.index, fact.exclude_origin),
            },
            confidence="inference" if inherited or not is_direct_model_serializer(fact) else None,
            edit=explicit_fields_edit(node, fact, "exclude", ctx, fact.exclude) if isinstance(fact.exclude, tuple) else None,
        )
