"""DJV603 float-field-for-money: see rules/DJV603.yaml."""

from __future__ import annotations

from collections.abc import Iterator

from astroid import nodes

from djvet.astro.models import django_field_name, find_model, own_field_calls
from djvet.engine import ModuleContext
from djvet.rule import Hit, Rule

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


class FloatFieldForMoney(Rule):
    code = "DJV603"
    needs_text = ("FloatField",)

    def check_classdef(self, node: nodes.ClassDef, ctx: ModuleContext) -> Iterator[Hit]:
        model = find_model(node, ctx)
        if model is None:
            return
        for field, call in own_field_calls(node, model):
            if django_field_name(field) == "FloatField" and is_money_name(field.name):
                yield Hit(call, {"model": model.name, "field": field.name})
