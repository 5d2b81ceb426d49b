"""DJV603 float-field-for-money: see rules/DJV603.yaml."""

from __future__ import annotations

from collections.abc import Iterator

from astroid import nodes

from djvet.astro.models import ModelFieldRule, django_field_name
from djvet.index.facts import FieldFact, ModelFact
from djvet.rule import Hit

# Words of a field name that say it holds money ...
MONEY_WORDS = frozenset(
    {
        "price", "prices", "amount", "amounts", "cost", "costs", "balance", "fee", "fees", "salary",
        "wage", "wages", "revenue", "budget", "subtotal", "payment", "payout", "refund", "money",
        "cash", "earnings", "income", "expense", "expenses", "tip", "deposit", "usd", "eur",
    }
)  # fmt: skip
# ... and words that say it holds a ratio, a count or a measure of something else.
NOT_MONEY_WORDS = frozenset(
    {
        "rate", "ratio", "percent", "percentage", "pct", "factor", "multiplier", "weight", "count",
        "score", "qty", "quantity", "hours", "minutes", "seconds", "time", "duration", "points",
        "share", "fraction", "coefficient", "threshold", "tolerance", "multiplicator",
    }
)  # fmt: skip


def is_money_name(name: str) -> bool:
    words = set(name.lower().strip("_").split("_"))
    return bool(words & MONEY_WORDS) and not words & NOT_MONEY_WORDS


class FloatFieldForMoney(ModelFieldRule):
    code = "DJV603"
    needs_text = ("FloatField",)

    def inspect_field(self, model: ModelFact, field: FieldFact, call: nodes.Call) -> Iterator[Hit]:
        if django_field_name(field) == "FloatField" and is_money_name(field.name):
            yield Hit(call, {"model": model.name, "field": field.name})
