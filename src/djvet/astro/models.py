"""Model classes as rules see them: the index's ModelFact next to the field calls in the class body."""

from __future__ import annotations

from collections.abc import Iterator

from astroid import nodes

from djvet.astro.loops import is_test_support
from djvet.engine import ModuleContext
from djvet.index.facts import FieldFact, ModelFact
from djvet.rule import Hit, Rule

DJANGO_FIELDS = "django.db.models."


def find_model(node: nodes.ClassDef, ctx: ModuleContext) -> ModelFact | None:
    """The model `node` defines, outside tests (test models are scaffolding, not the schema)."""
    if "tests" in ctx.kinds or is_test_support(ctx.relpath):
        return None
    return ctx.index.models.get(ctx.qualname(node))


def find_concrete_model(node: nodes.ClassDef, ctx: ModuleContext) -> ModelFact | None:
    """find_model, for a model with a table of its own whose bases djvet sees in full: not
    abstract, not a proxy, not partial (a base outside the project may define anything)."""
    model = find_model(node, ctx)
    return None if model is None or model.abstract or model.proxy or model.partial else model


def own_field_calls(node: nodes.ClassDef, model: ModelFact) -> Iterator[tuple[FieldFact, nodes.Call]]:
    """Each field written in the class body (`name = models.XField(...)`) with its fact."""
    for child in node.body:
        if not isinstance(child, nodes.Assign) or len(child.targets) != 1 or not isinstance(child.value, nodes.Call):
            continue
        target = child.targets[0]
        if not isinstance(target, nodes.AssignName):
            continue
        field = model.fields.get(target.name)
        if field is not None and field.model == model.qualname:
            yield field, child.value


def keywords(call: nodes.Call) -> dict[str, nodes.NodeNG]:
    """Keyword arguments by name; `**` for a `**kwargs` (whose keys djvet cannot know)."""
    return {k.arg or "**": k.value for k in call.keywords or ()}


def is_true(node: nodes.NodeNG | None) -> bool:
    return isinstance(node, nodes.Const) and node.value is True


def django_field_name(field: FieldFact) -> str | None:
    """`CharField` for Django's own `django.db.models.CharField`; None for any other class."""
    if not field.field_class.startswith(DJANGO_FIELDS):
        return None
    return field.field_class.rsplit(".", 1)[-1]


def defines_model(ctx: ModuleContext) -> bool:
    """Whether the file declares a model the index knows, outside tests: the only classes
    find_model finds (a class inside a function is no model to the index either)."""
    if "tests" in ctx.kinds or is_test_support(ctx.relpath):
        return False
    info = ctx.index.modules.get(ctx.module)
    return info is not None and any(qualname in ctx.index.models for qualname in info.classes)


class ModelFieldRule(Rule):
    """A rule that reads each field written in a model's class body, one at a time."""

    def applies_to(self, ctx: ModuleContext) -> bool:
        # "default" or "null" is in most files; a model class in few (netbox: 346 and 224 files
        # for DJV606 and DJV601 against 80 that define models): no astroid tree for the rest
        return super().applies_to(ctx) and defines_model(ctx)

    def check_classdef(self, node: nodes.ClassDef, ctx: ModuleContext) -> Iterator[Hit]:
        model = find_model(node, ctx)
        if model is None:
            return
        for field, call in own_field_calls(node, model):
            yield from self.inspect_field(model, field, call)

    def inspect_field(self, model: ModelFact, field: FieldFact, call: nodes.Call) -> Iterator[Hit]:
        raise NotImplementedError
