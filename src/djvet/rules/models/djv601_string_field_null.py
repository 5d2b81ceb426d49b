"""DJV601 string-field-null: see rules/DJV601.yaml."""

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

# Django's docs: "Avoid using null on string-based fields such as CharField and TextField"
# (GenericIPAddressField is left out: Django requires null=True on it when blank=True).
STRING_FIELDS = frozenset({"CharField", "TextField", "SlugField", "EmailField", "URLField", "FilePathField"})


class StringFieldNull(Rule):
    code = "DJV601"
    needs_text = ("null",)

    def check_classdef(self, node: nodes.ClassDef, ctx: ModuleContext) -> Iterator[Hit]:
        model = find_model(node, ctx)
        if model is None:
            return
        for field, call in own_field_calls(node, model):
            kind = django_field_name(field)
            if kind not in STRING_FIELDS:
                continue
            options = keywords(call)
            # unique=True: NULLs do not collide in a unique index where empty strings would
            if is_true(options.get("null")) and not is_true(options.get("unique")) and not is_true(options.get("primary_key")):
                yield Hit(call, {"model": model.name, "field": field.name, "field_class": kind})
