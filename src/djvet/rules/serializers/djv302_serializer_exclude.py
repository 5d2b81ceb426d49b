"""DJV302 serializer-exclude: see rules/DJV302.yaml."""

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
        edit = explicit_fields_edit(node, fact, "exclude", ctx, fact.exclude) if isinstance(fact.exclude, tuple) else None
        hit = meta_option_hit(node, ctx, fact, "exclude", fact.exclude_origin, edit)
        if hit is not None:
            yield hit
