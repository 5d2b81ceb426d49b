"""DJV601 string-field-null: see rules/DJV601.yaml."""

from __future__ import annotations

from collections.abc import Iterator

from astroid import nodes

from djvet.astro.models import ModelFieldRule, django_field_name, is_true, keywords
from djvet.index.facts import FieldFact, ModelFact
from djvet.rule import Hit

# Django's docs: "Avoid using null on string-based fields such as CharField and TextField"
# (GenericIPAddressField is left out: Django requires null=True on it when blank=True).
STRING_FIELDS = frozenset({"CharField", "TextField", "SlugField", "EmailField", "URLField", "FilePathField"})


class StringFieldNull(ModelFieldRule):
    code = "DJV601"
    needs_text = ("null",)

    def inspect_field(self, model: ModelFact, field: FieldFact, call: nodes.Call) -> Iterator[Hit]:
        kind = django_field_name(field)
        if kind not in STRING_FIELDS:
            return
        options = keywords(call)
        # unique=True: NULLs do not collide in a unique index where empty strings would
        if is_true(options.get("null")) and not is_true(options.get("unique")) and not is_true(options.get("primary_key")):
            yield Hit(call, {"model": model.name, "field": field.name, "field_class": kind})
