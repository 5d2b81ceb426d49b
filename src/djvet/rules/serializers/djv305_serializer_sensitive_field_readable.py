"""DJV305 serializer-sensitive-field-readable: see rules/DJV305.yaml."""

from __future__ import annotations

from collections.abc import Iterator

from astroid import nodes

from djvet.astro.serializers import (
    defines_serializers,
    field_report_node,
    in_tests,
    reports_here,
    sensitive_names,
    write_only_edit,
)
from djvet.engine import ModuleContext
from djvet.index.exposure import READ_ONLY_CLASSES, ExposedField, Exposure, serializer_exposure, short_class
from djvet.index.field_roles import SensitiveNames, is_password_name
from djvet.index.serializer_usage import serializer_usage
from djvet.rule import Hit, Rule

HOW = {
    "__all__": ' (through `fields = "__all__"`)',
    "exclude": " (not named in `exclude`)",
    "fields": "",
}


class SerializerSensitiveFieldReadable(Rule):
    code = "DJV305"

    def applies_to(self, ctx: ModuleContext) -> bool:
        return super().applies_to(ctx) and not in_tests(ctx) and defines_serializers(ctx)

    def check_classdef(self, node: nodes.ClassDef, ctx: ModuleContext) -> Iterator[Hit]:
        fact = ctx.index.serializers.get(ctx.qualname(node))
        exposure = serializer_exposure(ctx.index, fact) if fact is not None else None
        # a project to_representation() may drop the field from the output (djvet cannot tell)
        if exposure is None or exposure.dynamic or "to_representation" in exposure.overrides:
            return
        names = sensitive_names(ctx)
        for field in exposure.fields.values():
            if not reports_here(exposure.serializer, field.name) or not _leaks(field, exposure, names, ctx):
                continue
            assert field.model_field is not None
            yield Hit(
                field_report_node(node, exposure.serializer, field.name),
                {
                    "serializer": exposure.serializer.name,
                    "model": exposure.model.name,
                    "field": field.model_field.name,
                    "how": "" if field.listed else HOW[exposure.via],
                },
                edit=write_only_edit(node, exposure.serializer, field.name, ctx) if field.writable is True else None,
            )


def _leaks(field: ExposedField, exposure: Exposure, names: SensitiveNames, ctx: ModuleContext) -> bool:
    """A sensitive model field in the output. Listed on purpose, a token the server makes and
    hands out (read-only, or in a serializer only used for output) is the API's job; one the
    client sends in needs no echo, and a password (or its hash) never leaves."""
    model_field = field.model_field
    if model_field is None or not field.readable:
        return False
    if field.declared is not None and short_class(field.declared.field_class) in READ_ONLY_CLASSES:
        return False
    if not names.is_sensitive(ctx.index, exposure.model, model_field.name, model_field):
        return False
    if not field.listed or is_password_name(model_field.name):
        return True
    # listed and writable: worth a finding where clients write through the serializer and a view
    # answers with it (a serializer fed `data=` in a handler may never be rendered)
    uses = serializer_usage(ctx.index).of(exposure.serializer.qualname)
    rendered = any(u.how in ("serializer_class", "get_serializer_class") for u in uses)
    return field.writable is True and rendered and any(u.methods for u in uses)
