"""DJV612 alter-field-rewrites-table: see rules/DJV612.yaml."""

from __future__ import annotations

from collections.abc import Iterator

from astroid import nodes

from djvet.astro.migrations import MigrationRule
from djvet.engine import ModuleContext
from djvet.index.migrations import FieldSpec, created_models, field_before
from djvet.rule import Hit

# The PostgreSQL column type of Django's fields (django/db/backends/postgresql/base.py data_types).
PG_TYPES = {
    "AutoField": "integer", "BigAutoField": "bigint", "SmallAutoField": "smallint", "BinaryField": "bytea",
    "BooleanField": "boolean", "NullBooleanField": "boolean", "CharField": "varchar", "SlugField": "varchar",
    "EmailField": "varchar", "URLField": "varchar", "FileField": "varchar", "ImageField": "varchar",
    "FilePathField": "varchar", "DateField": "date", "DateTimeField": "timestamp with time zone",
    "DecimalField": "numeric", "DurationField": "interval", "FloatField": "double precision",
    "IntegerField": "integer", "PositiveIntegerField": "integer", "BigIntegerField": "bigint",
    "PositiveBigIntegerField": "bigint", "SmallIntegerField": "smallint", "PositiveSmallIntegerField": "smallint",
    "IPAddressField": "inet", "GenericIPAddressField": "inet", "JSONField": "jsonb", "TextField": "text",
    "TimeField": "time", "UUIDField": "uuid",
}  # fmt: skip
VARCHAR_DEFAULT_LENGTH = {"SlugField": 50, "EmailField": 254, "URLField": 200, "FileField": 100, "ImageField": 100, "FilePathField": 100}


def column_change(before: FieldSpec, after: FieldSpec) -> str | None:
    """What about the column changes in a way that rewrites or scans the whole table on PostgreSQL."""
    old, new = PG_TYPES.get(before.field_class), PG_TYPES.get(after.field_class)
    if old and new and old != new and not (old == "varchar" and new == "text"):
        return f"changes its type from `{before.field_class}` ({old}) to `{after.field_class}` ({new}): the table is rewritten"
    if old == new == "varchar":
        old_length, new_length = _length(before), _length(after)
        if isinstance(old_length, int) and isinstance(new_length, int) and new_length < old_length:
            return f"shortens `max_length` from {old_length} to {new_length}: the table is rewritten"
    if old == new == "numeric":
        old_scale, new_scale = before.options.get("decimal_places"), after.options.get("decimal_places")
        old_digits, new_digits = before.options.get("max_digits"), after.options.get("max_digits")
        if isinstance(old_scale, int) and isinstance(new_scale, int) and old_scale != new_scale:
            return f"changes `decimal_places` from {old_scale} to {new_scale}: the table is rewritten"
        if isinstance(old_digits, int) and isinstance(new_digits, int) and new_digits < old_digits:
            return f"lowers `max_digits` from {old_digits} to {new_digits}: the table is rewritten"
    if before.options.get("null") is True and after.options.get("null", False) is False:
        return "makes the column NOT NULL: every row is read under an exclusive lock"
    return None


def _length(spec: FieldSpec) -> object:
    return spec.options.get("max_length", VARCHAR_DEFAULT_LENGTH.get(spec.field_class))


class AlterFieldRewritesTable(MigrationRule):
    code = "DJV612"
    needs_text = ("AlterField",)

    def check_classdef(self, node: nodes.ClassDef, ctx: ModuleContext) -> Iterator[Hit]:
        for migration, operation, call in self.operations(node, ctx):
            after = operation.field
            if operation.kind != "AlterField" or after is None or after.opaque or migration.initial:
                continue
            if operation.model in created_models(migration):
                continue  # a table this migration creates is empty
            before = field_before(ctx.index, migration, operation)
            if before is None or before.opaque or not (before.is_django and after.is_django):
                continue
            change = column_change(before, after)
            if change is not None:
                yield Hit(call, {"model": operation.model, "field": operation.name, "change": change}, confidence="inference")
