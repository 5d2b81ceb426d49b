"""DJV604 foreign-key-unique: see rules/DJV604.yaml."""

from __future__ import annotations

from collections.abc import Iterator

from astroid import nodes

from djvet.astro.models import (
    django_field_name,
    find_model,
    is_true,
    keywords,
    own_field_calls,
)
from djvet.engine import ModuleContext
from djvet.rule import Hit, Rule


class ForeignKeyUnique(Rule):
    code = "DJV604"
    needs_text = ("unique",)

    def check_classdef(self, node: nodes.ClassDef, ctx: ModuleContext) -> Iterator[Hit]:
        model = find_model(node, ctx)
        if model is None:
            return
        for field, call in own_field_calls(node, model):
            # Django's fields.W342 names ForeignKey itself; subclasses may mean something else
            if django_field_name(field) == "ForeignKey" and is_true(keywords(call).get("unique")):
                yield Hit(call, {"model": model.name, "field": field.name})
