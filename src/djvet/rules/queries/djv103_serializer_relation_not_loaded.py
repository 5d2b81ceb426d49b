"""DJV103 serializer-relation-not-loaded: see rules/DJV103.yaml."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import NamedTuple

from astroid import nodes

from djvet.astro.classes import find_class_assignment
from djvet.astro.serializers import defines_serializers
from djvet.engine import ModuleContext
from djvet.finding import Edit
from djvet.index.deps import shared
from djvet.index.drf import DRF_FIELD_MODULES
from djvet.index.expr import Call
from djvet.index.facts import DeclaredField, ProjectIndex, SerializerFact
from djvet.index.objreads import (
    LOAD,
    MANY_KINDS,
    QUERY,
    SINGLE_KINDS,
    Access,
    Segment,
    Step,
    first_unloaded,
    loading_method,
    lookup,
    model_function,
    model_name,
    walk,
)
from djvet.index.querysets import relation_step
from djvet.index.serving import Serving, Visit, renders, serializer_visits
from djvet.rule import Hit, Rule

SKIPPED_KINDS = frozenset({"tests", "migrations"})
# DRF fields that render a related object by its pk without loading it (`use_pk_only_optimization`)
PK_ONLY_FIELDS = frozenset({"PrimaryKeyRelatedField", "HyperlinkedRelatedField"})
# DRF fields whose value does not come from reading `source` on the object
NOT_READ_FIELDS = frozenset(
    {"SerializerMethodField", "HiddenField", "HyperlinkedIdentityField", "ManyRelatedField", "ListField", "DictField"}
)


class Locator(NamedTuple):
    cls: str  # qualname of the serializer or Meta class the finding is reported in
    option: str  # "" for a declared field; "fields" / "exclude" for a Meta option
    name: str | None  # the field; None: the whole option (`fields = "__all__"`)


@dataclass(frozen=True, slots=True)
class Pending:
    locator: Locator
    module: str
    args: Mapping[str, object]
    serving: Serving
    method: str
    lookup: str


class SerializerRelationNotLoaded(Rule):
    code = "DJV103"

    def applies_to(self, ctx: ModuleContext) -> bool:
        # the findings are computed over the whole project first: no tree for a file without one
        if ctx.kinds & SKIPPED_KINDS or not defines_serializers(ctx):
            return False
        return bool(findings_by_module(ctx.index).get(ctx.module))

    def check_module(self, node: nodes.Module, ctx: ModuleContext) -> Iterator[Hit]:
        pending = findings_by_module(ctx.index).get(ctx.module, ())
        if not pending:
            return
        classes = {ctx.qualname(c): c for c in node.nodes_of_class(nodes.ClassDef)}
        for item in pending:
            target = _locate(classes, item.locator)
            if target is not None:
                yield Hit(target, dict(item.args), edit=_edit(classes, item, ctx))


# ---- what each list rendering reads that its queryset does not load --------------------------

def findings_by_module(index: ProjectIndex) -> Mapping[str, tuple[Pending, ...]]:
    """The project's findings by the module they are reported in, computed once per index (a
    file's cached findings then depend on its own module's entry only, see index.deps)."""
    return shared("djv103-findings", index, _by_module)


def _by_module(index: ProjectIndex) -> dict[str, tuple[Pending, ...]]:
    grouped: dict[str, list[Pending]] = {}
    for pending in _compute(index):
        grouped.setdefault(pending.module, []).append(pending)
    return {module: tuple(items) for module, items in grouped.items()}


def _compute(index: ProjectIndex) -> tuple[Pending, ...]:
    groups: dict[tuple[Locator, str, str], dict[Serving, tuple[tuple[Step, ...], str, str]]] = {}
    for visit in serializer_visits(index):
        loaded = visit.serving.loaded
        if not visit.many or loaded is None or visit.model is None:
            continue
        if visit.prefix and first_unloaded(index, loaded, (), visit.prefix) is not None:
            continue  # the field that nests this serializer is reported instead
        for locator, field, access in _reads(index, visit):
            position = first_unloaded(index, loaded, visit.prefix, access.path)
            if position is None:
                continue
            steps = (*visit.prefix, *access.path[: position + 1])
            servings = groups.setdefault((locator, field, lookup(steps)), {})
            servings.setdefault(visit.serving, (steps, access.via, access.query))
    found = []
    for (locator, field, path), servings in groups.items():
        ordered = sorted(servings, key=lambda s: (s.path, s.line, s.view))
        first = ordered[0]
        steps, via, _ = servings[first]
        more = len(ordered) - 1
        args = {
            "field": field,
            "relation": f"{model_name(index, steps[-1].owner)}.{steps[-1].attr}",
            "via": f" through `{via}`" if via else "",
            "view": first.view,
            "where": first.where,
            "path": path,
            "more": f" (and {more} more view{'s' if more > 1 else ''})" if more else "",
            "method": loading_method(steps),
            "target": first.target,
        }
        module = index.classes[locator.cls].module
        found.append(Pending(locator, module, args, first, loading_method(steps), path))
    return tuple(sorted(found, key=lambda p: (p.locator.cls, p.locator.option, p.locator.name or "", p.lookup)))


def _reads(index: ProjectIndex, visit: Visit) -> Iterator[tuple[Locator, str, Access]]:
    fact = index.serializers[visit.serializer]
    model = visit.model
    assert model is not None
    if fact.is_model_serializer and fact.model != model:
        return  # Meta.model is not the model of the rows (or unknown): djvet cannot tell what is read
    for field in fact.declared.values():
        if not renders(fact, field.name):
            continue
        for access in _declared_accesses(index, model, field):
            if access.cost != QUERY and access.path:
                owner = index.classes[field.declared_in].name
                yield Locator(field.declared_in, "", field.name), f"{owner}.{field.name}", access
    if fact.is_model_serializer:
        yield from _implicit_reads(index, fact, model)


def _declared_accesses(index: ProjectIndex, model: str, field: DeclaredField) -> list[Access]:
    source = field.source or field.name
    if source == "*":
        return []
    segments = [Segment(attr) for attr in source.split(".")]
    if field.serializer is None:
        name = field.field_class.rpartition(".")[2]
        if not field.field_class.startswith(DRF_FIELD_MODULES) or name in NOT_READ_FIELDS:
            return []  # a project field class: what its to_representation reads is unknown
        if name in PK_ONLY_FIELDS and not field.many and _pk_lookup(index, field):
            segments = segments[:-1]  # DRF reads only the pk of the last relation (its `_id` column)
    return walk(index, model, segments, calls_methods=True)


def _pk_lookup(index: ProjectIndex, field: DeclaredField) -> bool:
    """HyperlinkedRelatedField keeps the pk-only optimization only with lookup_field="pk"."""
    if not field.field_class.endswith("HyperlinkedRelatedField"):
        return True
    value = index.classes[field.declared_in].attrs.get(field.name)
    lookup_field = value.kwarg("lookup_field") if isinstance(value, Call) else None
    return lookup_field is None or getattr(lookup_field, "value", None) == "pk"


def _implicit_reads(index: ProjectIndex, fact: SerializerFact, model: str) -> Iterator[tuple[Locator, str, Access]]:
    """Fields a ModelSerializer builds from Meta for the names it lists (or "__all__" / exclude)."""
    depth = fact.depth if fact.depth is not None else 0
    if not isinstance(depth, int) or isinstance(depth, bool) or _custom_related_field(index, fact):
        return  # `serializer_related_field` set in the project: the implicit relation fields are its own
    extra = fact.extra_kwargs if isinstance(fact.extra_kwargs, dict) else {}
    if isinstance(fact.fields, tuple) and fact.fields_origin:
        names = [n for n in fact.fields if n not in fact.declared]
        origin, option, each = fact.fields_origin, "fields", True
    elif fact.fields == "__all__" and fact.fields_origin:
        names = _forward_relations(index, model, fact, ())
        origin, option, each = fact.fields_origin, "fields", False
    elif fact.fields is None and isinstance(fact.exclude, tuple) and fact.exclude_origin:
        names = _forward_relations(index, model, fact, fact.exclude)
        origin, option, each = fact.exclude_origin, "exclude", False
    else:
        return
    hyperlinked = any(a.endswith("HyperlinkedModelSerializer") for a in fact.ancestors)
    for name in names:
        options = extra.get(name)
        options = options if isinstance(options, dict) else {}
        if options.get("write_only") is True:
            continue
        by_object = hyperlinked and options.get("lookup_field", "pk") != "pk"
        for access in _implicit_accesses(index, model, name, depth, by_object, ()):
            if access.cost != QUERY and access.path:
                yield Locator(origin, option, name if each else None), f"{fact.name}.{name}", access


def _forward_relations(index: ProjectIndex, model: str, fact: SerializerFact, exclude: tuple[str, ...]) -> list[str]:
    fields = index.models[model].fields.values()
    return [f.name for f in fields if f.relation in ("fk", "o2o", "m2m") and f.name not in exclude and f.name not in fact.declared]


def _custom_related_field(index: ProjectIndex, fact: SerializerFact) -> bool:
    return any("serializer_related_field" in index.classes[c].attrs for c in fact.ancestors if c in index.classes)


def _implicit_accesses(
    index: ProjectIndex, model: str, name: str, depth: int, by_object: bool, prefix: tuple[Step, ...]
) -> list[Access]:
    """What DRF's build_field makes of `name`: a pk field, a many-related field, a nested
    serializer (`depth`), or a read-only field for a model property or method."""
    step = relation_step(index, model, name)
    if step is None:
        if model_function(index, model, name) is None:
            return []
        return walk(index, model, [Segment(name)], prefix, calls_methods=True)
    kind, target, _ = step
    path = (*prefix, Step(name, kind, model))
    if kind in MANY_KINDS:
        accesses = [Access(path, LOAD, f"obj.{lookup(path).replace('__', '.')}.all()")]
    elif kind in SINGLE_KINDS and (depth > 0 or by_object):
        accesses = [Access(path, LOAD, f"obj.{lookup(path).replace('__', '.')}")]
    else:
        return []  # an fk through the pk-only optimization, a reverse one-to-one, a generic relation
    if depth > 0 and target in index.models:
        for field in index.models[target].fields.values():
            if field.relation in ("fk", "o2o", "m2m"):
                accesses.extend(_implicit_accesses(index, target, field.name, depth - 1, False, path))
    return accesses


# ---- where findings are reported and what a fix changes -------------------------------------------


def _locate(classes: Mapping[str, nodes.ClassDef], locator: Locator) -> nodes.NodeNG | None:
    cls = classes.get(locator.cls)
    if cls is None:
        return None
    if not locator.option:
        return find_class_assignment(cls, locator.name or "")
    assignment = find_class_assignment(cls, locator.option)
    if assignment is None:
        return cls
    if locator.name is not None:
        for const in assignment.nodes_of_class(nodes.Const):
            if const.value == locator.name:
                return const
    return assignment


def _edit(classes: Mapping[str, nodes.ClassDef], item: Pending, ctx: ModuleContext) -> Edit | None:
    """Append to the view's `queryset = ...` when it is written in this file."""
    owner = item.serving.queryset_class
    cls = classes.get(owner) if owner else None
    assignment = find_class_assignment(cls, "queryset") if cls is not None else None
    value = getattr(assignment, "value", None)
    if value is None or value.end_lineno is None or value.end_col_offset is None:
        return None
    return Edit(
        value.lineno,
        ctx.char_column(value.lineno, value.col_offset) + 1,
        value.end_lineno,
        ctx.char_column(value.end_lineno, value.end_col_offset) + 1,
        item.method,
        item.lookup,
    )
