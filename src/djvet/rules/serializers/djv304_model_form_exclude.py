"""DJV304 model-form-exclude: see rules/DJV304.yaml."""

from __future__ import annotations

from collections.abc import Iterator

from astroid import nodes

from djvet.astro.forms import (
    checked_form,
    factory_model,
    factory_name,
    form_fields_edit,
    form_option_node,
    forms_here,
    keyword,
    model_display,
)
from djvet.astro.serializers import class_display
from djvet.engine import ModuleContext
from djvet.rule import Hit, Rule


class ModelFormExclude(Rule):
    code = "DJV304"

    def applies_to(self, ctx: ModuleContext) -> bool:
        return super().applies_to(ctx) and forms_here(ctx)

    def check_classdef(self, node: nodes.ClassDef, ctx: ModuleContext) -> Iterator[Hit]:
        fact = checked_form(ctx, node)
        # an explicit field list wins over exclude (Django applies exclude to it)
        if fact is None or fact.exclude is None or fact.fields is not None:
            return
        target = form_option_node(node, fact, "exclude", fact.exclude_origin)
        if target is None:
            return
        own = fact.exclude_origin == fact.own_meta
        excluded = fact.exclude if isinstance(fact.exclude, tuple) else None
        yield Hit(
            target,
            {
                "form": fact.name,
                "model": model_display(ctx, fact.model_class, fact.model_written),
                "source": f"`{class_display(ctx.index, fact.exclude_origin)}.exclude`",
            },
            confidence=None if own else "inference",
            edit=form_fields_edit(target, fact.model_class, ctx, excluded) if own and excluded is not None else None,
        )

    def check_call(self, node: nodes.Call, ctx: ModuleContext) -> Iterator[Hit]:
        name = factory_name(ctx, node)
        if name is None or keyword(node, "exclude") is None or keyword(node, "fields") is not None:
            return
        yield Hit(
            node,
            {"form": f"{name.rpartition('.')[2]}(...)", "model": factory_model(node, name), "source": "`exclude=`"},
            confidence="inference",
        )
