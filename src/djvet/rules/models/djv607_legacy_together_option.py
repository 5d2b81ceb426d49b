"""DJV607 legacy-together-option: see rules/DJV607.yaml."""

from __future__ import annotations

from collections.abc import Iterator

from astroid import nodes

from djvet.astro.classes import find_class_assignment, find_inner_class
from djvet.astro.models import find_model
from djvet.engine import ModuleContext
from djvet.index.versions import django_version
from djvet.rule import Hit, Rule

# index_together: deprecated in Django 4.2, removed in 5.1. unique_together: "may be deprecated in
# the future" (Django's docs); constraints (UniqueConstraint) exist since Django 2.2.
REPLACEMENT = {"index_together": "indexes", "unique_together": "constraints"}


class LegacyTogetherOption(Rule):
    code = "DJV607"
    needs_text = ("_together",)

    def check_classdef(self, node: nodes.ClassDef, ctx: ModuleContext) -> Iterator[Hit]:
        model = find_model(node, ctx)
        meta = find_inner_class(node, "Meta") if model is not None else None
        if model is None or meta is None:
            return
        for option in ("index_together", "unique_together"):
            statement = find_class_assignment(meta, option)
            value = getattr(statement, "value", None)
            if value is None or (isinstance(value, (nodes.List, nodes.Tuple, nodes.Set)) and not value.elts):
                continue  # an empty option does nothing
            severity = self._severity(option, ctx)
            if severity is not None:
                args: dict[str, object] = {"model": model.name, "option": option, "replacement": REPLACEMENT[option], "status": self._status(option, severity)}
                yield Hit(statement, args, severity=severity)

    @staticmethod
    def _severity(option: str, ctx: ModuleContext) -> str | None:
        version = django_version(ctx.index)
        if option == "unique_together":
            return None if version.at_least((2, 2)) is False else "info"
        if version.at_least((5, 1)):
            return "error"
        return None if version.at_least((4, 2)) is False else "warning"

    @staticmethod
    def _status(option: str, severity: str) -> str:
        if option == "unique_together":
            return "may be deprecated in a later Django"
        return "was removed in Django 5.1, which the project requires" if severity == "error" else "is deprecated since Django 4.2"
