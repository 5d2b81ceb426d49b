"""Where a serializer's Meta option is reported: on the assignment in its own Meta, or on the
`class Meta(Base.Meta):` line when the option is inherited."""

from __future__ import annotations

from astroid import nodes

from djvet.engine import ModuleContext
from djvet.astro.classes import find_class_assignment, find_inner_class
from djvet.index.drf import MODEL_SERIALIZER_BASES
from djvet.index.facts import ProjectIndex, SerializerFact


def meta_option_node(node: nodes.ClassDef, fact: SerializerFact, option: str, origin: str | None) -> nodes.NodeNG | None:
    """None when the serializer has no Meta of its own: the base that wrote it is reported instead."""
    meta = find_inner_class(node, "Meta")
    if meta is None or fact.own_meta is None:
        return None
    if origin == fact.own_meta:
        return find_class_assignment(meta, option) or meta
    return meta


def defines_serializers(ctx: ModuleContext) -> bool:
    """Whether the index knows a serializer class written in this module."""
    return any(fact.module == ctx.module for fact in ctx.index.serializers.values())


def class_display(index: ProjectIndex, qualname: str | None) -> str:
    """A class's name within its module (`BookSerializer.Meta`), as users read it in their code."""
    if not qualname:
        return ""
    info = index.classes.get(qualname)
    if info is None:
        return qualname.rsplit(".", 1)[-1]
    return qualname[len(info.module) + 1 :]


def model_display(index: ProjectIndex, fact: SerializerFact) -> str:
    if fact.model and fact.model in index.models:
        return index.models[fact.model].name
    return fact.model_written or "Meta.model"


def is_direct_model_serializer(fact: SerializerFact) -> bool:
    """Seen in syntax alone: a base is DRF's ModelSerializer itself (no project class in between)."""
    return any(base in MODEL_SERIALIZER_BASES for base in fact.bases)
