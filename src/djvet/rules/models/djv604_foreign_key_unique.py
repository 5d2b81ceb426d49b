"""DJV604 foreign-key-unique: see rules/DJV604.yaml."""

from __future__ import annotations

from collections.abc import Iterator

from astroid import nodes

from djvet.astro.models import ModelFieldRule, django_field_name, is_true, keywords
from djvet.index.facts import FieldFact, ModelFact
from djvet.rule import Hit


class ForeignKeyUnique(ModelFieldRule):
    code = "DJV604"
    needs_text = ("unique",)

    def inspect_field(self, model: ModelFact, field: FieldFact, call: nodes.Call) -> Iterator[Hit]:
        # Django's fields.W342 names ForeignKey itself; subclasses may mean something else
        if django_field_name(field) == "ForeignKey" and is_true(keywords(call).get("unique")):
            yield Hit(call, {"model": model.name, "field": field.name})
