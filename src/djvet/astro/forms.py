"""What the ModelForm rules (DJV303, DJV304) share: which forms to look at, where a Meta option
is reported, and Django's model-form factories and generic editing views."""

from __future__ import annotations

from astroid import nodes

from djvet.astro.classes import find_class_assignment, find_inner_class
from djvet.astro.exprs import dotted
from djvet.astro.serializers import edit_at, has_concrete_parent, in_tests, sensitive_names
from djvet.engine import ModuleContext
from djvet.finding import Edit
from djvet.index.drf import resolve_model
from djvet.index.exposure import AUTO_FIELDS, PRIVATE_RELATIONS, find_model, short_class
from djvet.index.facts import FormFact, ModelFact
from djvet.index.querysets import index_resolver

_F = "django.forms."
FACTORIES = frozenset(
    {
        *(_F + n for n in ("modelform_factory", "modelformset_factory", "inlineformset_factory")),
        *(_F + "models." + n for n in ("modelform_factory", "modelformset_factory", "inlineformset_factory")),
        "django.contrib.contenttypes.forms.generic_inlineformset_factory",
    }
)
MODEL_FORM_VIEWS = frozenset(
    {
        "django.views.generic.edit.ModelFormMixin",
        "django.views.generic.CreateView",
        "django.views.generic.UpdateView",
        "django.views.generic.edit.CreateView",
        "django.views.generic.edit.UpdateView",
        "django.views.generic.edit.BaseCreateView",
        "django.views.generic.edit.BaseUpdateView",
    }
)


def forms_here(ctx: ModuleContext) -> bool:
    """The module defines a ModelForm or a class-based view, or calls a model-form factory, outside
    tests and the admin (which is staff-only and edits every field by default anyway)."""
    if "admin" in ctx.kinds or in_tests(ctx) or not ("fields" in ctx.text or "exclude" in ctx.text):
        return False
    if "_factory(" in ctx.text:
        return True
    module = ctx.index.modules.get(ctx.module)
    return module is not None and any(q in ctx.index.forms or q in ctx.index.views for q in module.classes)


def checked_form(ctx: ModuleContext, node: nodes.ClassDef) -> FormFact | None:
    fact = ctx.index.forms.get(ctx.qualname(node))
    return None if fact is None or fact.admin else fact


def form_option_node(node: nodes.ClassDef, fact: FormFact, option: str, origin: str | None) -> nodes.NodeNG | None:
    """The assignment in the form's own Meta, or its `class Meta(Base.Meta):` line when the
    option is inherited; None without a Meta of its own (the base's finding covers it)."""
    meta = find_inner_class(node, "Meta")
    if meta is None or fact.own_meta is None:
        return None
    if origin == fact.own_meta:
        return find_class_assignment(meta, option) or meta
    return meta


def is_model_form_view(ctx: ModuleContext, node: nodes.ClassDef) -> bool:
    mro = ctx.index.mros.get(ctx.qualname(node), ())
    return any(c in MODEL_FORM_VIEWS for c in mro)


def factory_name(ctx: ModuleContext, call: nodes.Call) -> str | None:
    name = dotted(call.func)
    if name is None or not name.rpartition(".")[2].endswith("_factory"):
        return None
    resolved = index_resolver(ctx.index).resolve(ctx.module, name) if ctx.module in ctx.index.modules else name
    return resolved if resolved in FACTORIES else None


def keyword(call: nodes.Call, name: str) -> nodes.NodeNG | None:
    for item in call.keywords or ():
        if item.arg == name:
            return item.value
    return None


def is_all(value: nodes.NodeNG | None) -> bool:
    """`"__all__"`, or Django's `ALL_FIELDS` constant."""
    if isinstance(value, nodes.Const):
        return bool(value.value == "__all__")
    name = dotted(value) if value is not None else None
    return name is not None and name.rpartition(".")[2] == "ALL_FIELDS"


def form_field_names(model: ModelFact) -> list[str]:
    """What `fields = "__all__"` means for a ModelForm: the model's editable fields, in order."""
    names = []
    for field in model.fields.values():
        if field.relation in PRIVATE_RELATIONS or short_class(field.field_class) in AUTO_FIELDS:
            continue
        if field.options.get("editable") is False or field.options.get("auto_now") or field.options.get("auto_now_add"):
            continue
        names.append(field.name)
    return names


def form_fields_edit(node: nodes.NodeNG, model_class: str | None, ctx: ModuleContext, excluded: tuple[str, ...] = ()) -> Edit | None:
    """Replace the assignment `node` (`fields = "__all__"` / `exclude = [...]`) with the model's
    editable fields today, minus sensitive ones (and minus `excluded`)."""
    model = find_model(ctx.index, model_class)
    if model is None or model.partial or has_concrete_parent(ctx.index, model):
        return None
    if not isinstance(node, nodes.Assign) or len(node.targets) != 1:
        return None
    names = sensitive_names(ctx)
    keep = tuple(
        n for n in form_field_names(model) if n not in excluded and not names.is_sensitive(ctx.index, model, n, model.fields[n])
    )
    return edit_at(node, ctx, "replace-assignment", "fields", "", keep) if keep else None


def model_display(ctx: ModuleContext, model_class: str | None, written: str | None) -> str:
    model = find_model(ctx.index, model_class)
    if model is not None:
        return model.name
    return written or (model_class.rpartition(".")[2] if model_class else "Meta.model")


def view_model(ctx: ModuleContext, node: nodes.ClassDef) -> str | None:
    """The model of a generic editing view: `model = ...`, else its `queryset`'s."""
    qualname = ctx.qualname(node)
    for cls in ctx.index.mros.get(qualname, (qualname,)):
        info = ctx.index.classes.get(cls)
        if info is not None and "model" in info.attrs:
            return resolve_model(index_resolver(ctx.index), info.module, info.attrs["model"], ctx.index.user_model)
    view = ctx.index.views.get(qualname)
    return view.queryset.model if view is not None and view.queryset is not None else None


def factory_model(call: nodes.Call, factory: str) -> str:
    """The model a factory builds a form for, as written: `inlineformset_factory(Parent, Child)`
    builds forms for Child."""
    position = 1 if "inline" in factory else 0
    value = call.args[position] if len(call.args) > position else keyword(call, "model")
    name = dotted(value) if value is not None else None
    return name.rpartition(".")[2] if name else "the model"
