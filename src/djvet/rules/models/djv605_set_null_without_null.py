"""DJV605 set-null-without-null: see rules/DJV605.yaml."""

from __future__ import annotations

from collections.abc import Iterator

from astroid import nodes

from djvet.astro.exprs import dotted
from djvet.astro.models import ModelFieldRule, keywords
from djvet.index.facts import FieldFact, ModelFact
from djvet.rule import Hit


class SetNullWithoutNull(ModelFieldRule):
    code = "DJV605"
    needs_text = ("SET_NULL",)

    def inspect_field(self, model: ModelFact, field: FieldFact, call: nodes.Call) -> Iterator[Hit]:
        if field.relation not in ("fk", "o2o"):
            return
        options = keywords(call)
        on_delete = options.get("on_delete")
        if on_delete is None and len(call.args) >= 2:
            on_delete = call.args[1]
        if on_delete is None or (dotted(on_delete) or "").rsplit(".", 1)[-1] != "SET_NULL":
            return
        null = options.get("null")
        # null=<a name> or **kwargs: djvet cannot know; Django's default is null=False
        if "**" in options or (null is not None and not isinstance(null, nodes.Const)):
            return
        if null is None or null.value is not True:
            yield Hit(call, {"model": model.name, "field": field.name})
