"""DJV608 filtered-field-without-index: see rules/DJV608.yaml."""

from __future__ import annotations

from collections.abc import Iterator

from astroid import nodes

from djvet.astro.classes import find_class_assignment, find_inner_class
from djvet.astro.models import (
    django_field_name,
    find_concrete_model,
    is_true,
    keywords,
    own_field_calls,
)
from djvet.engine import ModuleContext
from djvet.index.facts import ModelFact
from djvet.index.lookups import FieldLookup, field_lookups
from djvet.rule import Hit, Rule

FILTERING = frozenset({"filter", "exclude", "get", "get_or_create", "update_or_create", "order_by"})
# Django indexes these by default (SlugField: db_index=True), an index rarely helps (two values), or
# a B-tree index does not serve their lookups (JSON keys).
SKIPPED_CLASSES = frozenset(
    {"SlugField", "BooleanField", "NullBooleanField", "AutoField", "BigAutoField", "SmallAutoField", "JSONField"}
)
INDEX_OPTIONS = ("indexes", "constraints", "unique_together", "index_together")


class FilteredFieldWithoutIndex(Rule):
    code = "DJV608"
    needs_text = ("Field",)

    def check_classdef(self, node: nodes.ClassDef, ctx: ModuleContext) -> Iterator[Hit]:
        model = find_concrete_model(node, ctx)
        if model is None:
            return
        lookups = field_lookups(ctx.index).get(model.qualname, ())
        if not lookups:
            return
        indexed = self._indexed_fields(node, model, ctx)
        if indexed is None:
            return  # Meta written in a way djvet cannot read: it may index anything
        for field, call in own_field_calls(node, model):
            kind = django_field_name(field)
            if kind is None or kind in SKIPPED_CLASSES or field.relation is not None or field.name in indexed:
                continue
            options = keywords(call)
            if "**" in options or any(is_true(options.get(k)) or (k in options and not isinstance(options[k], nodes.Const)) for k in ("db_index", "unique", "primary_key")):
                continue
            used = next((f for f in lookups if self._served_by_index(f, field.name) and not _narrowed(f.siblings, model, indexed)), None)
            if used is not None:
                where = f"`.{used.method}()` in {used.path}:{used.line}"
                yield Hit(call, {"model": model.name, "field": field.name, "where": where})

    @staticmethod
    def _served_by_index(lookup: FieldLookup, name: str) -> bool:
        """A filter or ordering on the field that a B-tree index on it would serve (`__isnull`
        tests, mostly in cleanup jobs, are left out)."""
        return lookup.field == name and lookup.method in FILTERING and not lookup.lookup.endswith("__isnull")

    @staticmethod
    def _indexed_fields(node: nodes.ClassDef, model: ModelFact, ctx: ModuleContext) -> set[str] | None:
        """Fields named by an index or unique constraint in the model's own Meta (anywhere in it: a
        composite index may serve a query that filters on its first fields and orders by a later
        one); None when the Meta (or an inherited one) is out of reach."""
        for ancestor in ctx.index.mros.get(model.qualname, ())[1:]:
            info = ctx.index.classes.get(ancestor)
            if info is not None and "Meta" in info.inner:
                return None  # an abstract base's Meta may be inherited with its indexes
        meta = find_inner_class(node, "Meta")
        if meta is None:
            return set()
        if meta.bases:
            return None
        named: set[str] = set()
        for option in INDEX_OPTIONS:
            statement = find_class_assignment(meta, option)
            if statement is None:
                continue
            names = _leading_fields(statement.value, option)
            if names is None:
                return None
            named |= names
        return named


def _narrowed(siblings: frozenset[str], model: ModelFact, indexed: set[str]) -> bool:
    """Another condition of the same query uses an index (a relation, the primary key, a unique or
    indexed field): the database narrows the rows by it first."""
    for name in siblings:
        field = model.fields.get(name) or model.fields.get(name.removesuffix("_id"))
        if name in ("pk", "id") or name in indexed:
            return True
        if field is not None and (field.relation is not None or any(field.options.get(k) is True for k in ("unique", "db_index", "primary_key"))):
            return True
    return False


def _leading_fields(value: nodes.NodeNG, option: str) -> set[str] | None:
    if not isinstance(value, (nodes.List, nodes.Tuple, nodes.Set)):
        return None
    out: set[str] = set()
    items = value.elts
    if option.endswith("_together") and items and all(isinstance(i, nodes.Const) for i in items):
        items = [value]  # unique_together = ("a", "b"): one group
    for item in items:
        if isinstance(item, (nodes.List, nodes.Tuple)):
            out |= {str(e.value) for e in item.elts if isinstance(e, nodes.Const)}
        elif isinstance(item, nodes.Call):
            fields = keywords(item).get("fields")
            if not isinstance(fields, (nodes.List, nodes.Tuple)):
                return None  # expressions, or something djvet cannot read
            out |= {str(e.value).lstrip("-") for e in fields.elts if isinstance(e, nodes.Const)}
        else:
            return None
    return out
