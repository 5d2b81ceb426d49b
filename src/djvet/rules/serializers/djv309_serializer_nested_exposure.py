"""DJV309 serializer-nested-exposure: see rules/DJV309.yaml."""

from __future__ import annotations

from collections.abc import Iterator

from astroid import nodes

from djvet.astro.classes import find_class_assignment, find_inner_class
from djvet.astro.serializers import defines_serializers, field_report_node, in_tests, sensitive_names
from djvet.engine import ModuleContext
from djvet.index.bodies import function_node, mentions
from djvet.index.exposure import PRIVATE_RELATIONS, Exposure, find_model, serializer_exposure
from djvet.index.facts import ModelFact, ProjectIndex
from djvet.index.field_roles import SensitiveNames, is_ownership_field, is_privilege_field
from djvet.index.write_paths import methods_of, write_paths
from djvet.rule import Hit, Rule

# serializers that save nested data themselves (drf-writable-nested)
WRITABLE_NESTED = frozenset(
    {"drf_writable_nested.serializers.WritableNestedModelSerializer", "drf_writable_nested.WritableNestedModelSerializer",
     "drf_writable_nested.mixins.NestedCreateMixin", "drf_writable_nested.mixins.NestedUpdateMixin",
     "drf_writable_nested.NestedCreateMixin", "drf_writable_nested.NestedUpdateMixin"}
)
MAX_DEPTH = 10


class SerializerNestedExposure(Rule):
    code = "DJV309"

    def applies_to(self, ctx: ModuleContext) -> bool:
        return super().applies_to(ctx) and not in_tests(ctx) and defines_serializers(ctx)

    def check_classdef(self, node: nodes.ClassDef, ctx: ModuleContext) -> Iterator[Hit]:
        fact = ctx.index.serializers.get(ctx.qualname(node))
        exposure = serializer_exposure(ctx.index, fact) if fact is not None else None
        if exposure is None or exposure.dynamic:
            return
        yield from self._depth(node, exposure, ctx)
        yield from self._nested_writes(node, exposure, ctx)

    def _depth(self, node: nodes.ClassDef, exposure: Exposure, ctx: ModuleContext) -> Iterator[Hit]:
        fact = exposure.serializer
        if not isinstance(fact.depth, int) or fact.depth < 1 or "to_representation" in exposure.overrides:
            return
        if fact.own_meta is None:
            return  # the finding on the base whose Meta sets `depth` covers it
        names = sensitive_names(ctx)
        leaks: list[str] = []
        for field in exposure.fields.values():
            model_field = field.model_field
            if field.declared is None and field.readable and model_field is not None and model_field.relation not in (None, *PRIVATE_RELATIONS):
                target = find_model(ctx.index, model_field.target)
                if target is not None:
                    leaks += [f"{field.name}.{p}" for p in _sensitive_paths(ctx.index, target, fact.depth, names, 0)]
        if not leaks:
            return
        meta = find_inner_class(node, "Meta")
        target_node = (find_class_assignment(meta, "depth") or meta) if meta is not None else node
        yield Hit(
            target_node,
            {"serializer": fact.name, "detail": f"sends {_names(leaks)} to clients through `depth = {fact.depth}`"},
        )

    def _nested_writes(self, node: nodes.ClassDef, exposure: Exposure, ctx: ModuleContext) -> Iterator[Hit]:
        fact = exposure.serializer
        index = ctx.index
        writes_nested = any(c in WRITABLE_NESTED for c in fact.ancestors)
        for field in exposure.fields.values():
            declared = field.declared
            if declared is None or declared.serializer is None or declared.read_only or declared.declared_in != fact.qualname:
                continue
            if not (writes_nested or _saves_nested(index, exposure, field.name)):
                continue
            nested = index.serializers.get(declared.serializer)
            inner = serializer_exposure(index, nested) if nested is not None else None
            if inner is None or inner.dynamic or not write_paths(index, fact, field.name):
                continue
            risky = [
                f.name
                for f in inner.fields.values()
                if f.writable is True and f.model_field is not None
                and (is_privilege_field(index, inner.model, f.model_field) or is_ownership_field(index, f.model_field))
            ]
            if risky:
                detail = f"lets clients write {_names([f'{field.name}.{r}' for r in risky])} through the nested `{nested.name}`"  # type: ignore[union-attr]
                yield Hit(field_report_node(node, fact, field.name), {"serializer": fact.name, "detail": detail})


def _names(paths: list[str]) -> str:
    shown = ", ".join(f"`{p}`" for p in paths[:4])
    return shown + (f" and {len(paths) - 4} more" if len(paths) > 4 else "")


def _sensitive_paths(index: ProjectIndex, model: ModelFact, depth: int, names: SensitiveNames, level: int) -> list[str]:
    """The sensitive fields DRF's nested `"__all__"` serializers show, `depth` levels down."""
    if level >= MAX_DEPTH or model.partial:
        return []
    found = []
    for field in model.fields.values():
        if field.relation is None:
            if names.is_sensitive(index, model, field.name, field):
                found.append(field.name)
        elif depth > 1 and field.relation not in PRIVATE_RELATIONS:
            target = find_model(index, field.target)
            if target is not None:
                found += [f"{field.name}.{p}" for p in _sensitive_paths(index, target, depth - 1, names, level + 1)]
    return found


def _saves_nested(index: ProjectIndex, exposure: Exposure, name: str) -> bool:
    """A project create()/update() that takes the nested data out of validated_data and saves it."""
    methods = methods_of(index, exposure.serializer.ancestors)
    for method in ("create", "update"):
        function = methods.get(method)
        body = function_node(index, function) if function is not None else None
        if body is not None and mentions(body, name):
            return True
    return False
