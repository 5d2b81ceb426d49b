"""DJV606 mutable-field-default: see rules/DJV606.yaml."""

from __future__ import annotations

from collections.abc import Iterator

from astroid import nodes

from djvet.astro.models import ModelFieldRule, keywords
from djvet.index.facts import FieldFact, ModelFact
from djvet.rule import Hit

# `[]`, `{}`, `set()` ... as written: one object built once, when the class body runs.
MUTABLE_LITERALS = {
    nodes.List: "list", nodes.ListComp: "list", nodes.Dict: "dict", nodes.DictComp: "dict", nodes.Set: "set", nodes.SetComp: "set",
}
MUTABLE_CALLS = frozenset({"list", "dict", "set"})


def mutable_kind(value: nodes.NodeNG) -> str | None:
    """`list`, `dict` or `set` when `value` builds one in place; None for anything else."""
    kind = MUTABLE_LITERALS.get(type(value))
    if kind is not None:
        return kind
    if isinstance(value, nodes.Call) and isinstance(value.func, nodes.Name) and value.func.name in MUTABLE_CALLS:
        return str(value.func.name)
    return None


class MutableFieldDefault(ModelFieldRule):
    code = "DJV606"
    needs_text = ("default",)

    def inspect_field(self, model: ModelFact, field: FieldFact, call: nodes.Call) -> Iterator[Hit]:
        if not field.field_class.startswith("django."):
            return  # another package's field may copy the value it is given (django-countries does)
        default = keywords(call).get("default")
        kind = mutable_kind(default) if default is not None else None
        if kind is not None:
            yield Hit(default, {"model": model.name, "field": field.name, "default": kind})
