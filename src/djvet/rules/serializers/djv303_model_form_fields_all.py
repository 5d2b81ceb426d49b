"""DJV303 model-form-fields-all: see rules/DJV303.yaml."""

from __future__ import annotations

from collections.abc import Iterator

from astroid import nodes

from djvet.astro.classes import find_class_assignment
from djvet.astro.forms import (
    checked_form,
    factory_model,
    factory_name,
    form_fields_edit,
    form_option_node,
    forms_here,
    is_all,
    is_model_form_view,
    keyword,
    model_display,
    view_model,
)
from djvet.astro.serializers import class_display
from djvet.engine import ModuleContext
from djvet.rule import Hit, Rule

SOURCE = '`fields = "__all__"` in `{}`'


class ModelFormFieldsAll(Rule):
    code = "DJV303"

    def applies_to(self, ctx: ModuleContext) -> bool:
        return super().applies_to(ctx) and forms_here(ctx)

    def check_classdef(self, node: nodes.ClassDef, ctx: ModuleContext) -> Iterator[Hit]:
        fact = checked_form(ctx, node)
        if fact is not None:
            target = form_option_node(node, fact, "fields", fact.fields_origin) if fact.fields == "__all__" else None
            if target is None:
                return
            own = fact.fields_origin == fact.own_meta
            yield Hit(
                target,
                {
                    "form": fact.name,
                    "model": model_display(ctx, fact.model_class, fact.model_written),
                    "source": SOURCE.format(class_display(ctx.index, fact.fields_origin)),
                },
                confidence=None if own else "inference",
                edit=form_fields_edit(target, fact.model_class, ctx) if own else None,
            )
            return
        assignment = find_class_assignment(node, "fields")
        if assignment is not None and is_all(getattr(assignment, "value", None)) and is_model_form_view(ctx, node):
            model = view_model(ctx, node)
            yield Hit(
                assignment,
                {"form": node.name, "model": model_display(ctx, model, None), "source": SOURCE.format(node.name)},
                confidence="inference",
                edit=form_fields_edit(assignment, model, ctx),
            )

    def check_call(self, node: nodes.Call, ctx: ModuleContext) -> Iterator[Hit]:
        name = factory_name(ctx, node)
        if name is not None and is_all(keyword(node, "fields")):
            yield Hit(
                node,
                {"form": f"{name.rpartition('.')[2]}(...)", "model": factory_model(node, name), "source": '`fields="__all__"`'},
                confidence="inference",
            )
