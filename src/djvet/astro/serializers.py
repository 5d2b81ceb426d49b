"""Where a serializer's Meta option is reported: on the assignment in its own Meta, or on the
`class Meta(Base.Meta):` line when the option is inherited."""

from __future__ import annotations

from astroid import nodes

from djvet.astro.classes import find_class_assignment, find_inner_class
from djvet.engine import ModuleContext
from djvet.finding import Edit
from djvet.index.drf import MODEL_SERIALIZER_BASES
from djvet.index.exposure import find_model, serializer_exposure
from djvet.index.facts import ModelFact, ProjectIndex, SerializerFact
from djvet.index.field_roles import SensitiveNames
from djvet.rule import Hit


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
    module = ctx.index.modules.get(ctx.module)
    return module is not None and any(q in ctx.index.serializers for q in module.classes)


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


def sensitive_names(ctx: ModuleContext) -> SensitiveNames:
    """The sensitive-field test with the project's `[tool.djvet]` additions and removals."""
    return SensitiveNames(ctx.sensitive_fields, ctx.not_sensitive_fields)


def meta_list_item(meta: nodes.ClassDef, option: str, name: str) -> nodes.NodeNG | None:
    """The string `name` in the list a Meta assigns to `option` (`fields = ["id", "owner"]`)."""
    assignment = find_class_assignment(meta, option)
    value = getattr(assignment, "value", None)
    if isinstance(value, (nodes.List, nodes.Tuple, nodes.Set)):
        for item in value.elts:
            if isinstance(item, nodes.Const) and item.value == name:
                return item
    return None


def declared_field_node(node: nodes.ClassDef, name: str) -> nodes.NodeNG | None:
    """`name = serializers.Field(...)` written in the class body."""
    return find_class_assignment(node, name)


def field_report_node(node: nodes.ClassDef, fact: SerializerFact, name: str) -> nodes.NodeNG:
    """Where a finding about one field of a serializer goes: its declaration in the class body,
    its name in the own Meta's `fields` list, the own Meta's `fields` / `exclude` line, the own
    Meta, else the class."""
    declared = fact.declared.get(name)
    if declared is not None and declared.declared_in == fact.qualname:
        found = declared_field_node(node, name)
        if found is not None:
            return found
    meta = find_inner_class(node, "Meta")
    if meta is None:
        return node
    item = meta_list_item(meta, "fields", name)
    if item is not None:
        return item
    for option in ("fields", "exclude"):
        assignment = find_class_assignment(meta, option)
        if assignment is not None:
            return assignment
    return meta


def reports_here(fact: SerializerFact, name: str) -> bool:
    """A serializer with neither a Meta nor the field's declaration of its own exposes the field
    as its base does: the finding on the base covers it."""
    declared = fact.declared.get(name)
    return fact.own_meta is not None or (declared is not None and declared.declared_in == fact.qualname)


def in_tests(ctx: ModuleContext) -> bool:
    """Serializers and forms in test code (test modules, `tests/`, `test_utils/` ...) are fixtures
    of the tests, not an API."""
    folders = ctx.relpath.split("/")[:-1]
    return "tests" in ctx.kinds or any(f in ("test", "testing") or f.startswith(("test_", "tests_")) for f in folders)


def edit_at(node: nodes.NodeNG, ctx: ModuleContext, kind: str, method: str, argument: str = "", values: tuple[str, ...] = ()) -> Edit | None:
    """An Edit of `kind` on the node (a fixer finds the node by where it starts)."""
    if node.lineno is None or node.end_lineno is None:
        return None
    return Edit(
        node.lineno,
        ctx.char_column(node.lineno, node.col_offset or 0) + 1,
        node.end_lineno,
        ctx.char_column(node.end_lineno, node.end_col_offset or 0) + 1,
        method,
        argument,
        kind,
        values,
    )


def read_only_edit(node: nodes.ClassDef, fact: SerializerFact, name: str, ctx: ModuleContext) -> Edit | None:
    """Add `name` to the own Meta's `read_only_fields`; None when DRF would ignore it (a declared
    field) or when adding it would hide a `read_only_fields` the Meta inherits."""
    if name in fact.declared or fact.own_meta is None:
        return None
    if fact.read_only_fields_origin not in (None, fact.own_meta):
        return None
    meta = find_inner_class(node, "Meta")
    return edit_at(meta, ctx, "meta-add-name", "read_only_fields", name) if meta is not None else None


def write_only_edit(node: nodes.ClassDef, fact: SerializerFact, name: str, ctx: ModuleContext) -> Edit | None:
    """`write_only=True` on the field: a keyword of the field declared in this class, else an
    `extra_kwargs` entry in the own Meta (DRF ignores extra_kwargs for declared fields)."""
    declared = fact.declared.get(name)
    if declared is not None:
        if declared.declared_in != fact.qualname or declared.read_only:
            return None
        assignment = declared_field_node(node, name)
        value = getattr(assignment, "value", None)
        return edit_at(value, ctx, "add-keyword", "write_only", "True") if isinstance(value, nodes.Call) else None
    if fact.own_meta is None or fact.extra_kwargs_origin not in (None, fact.own_meta):
        return None
    meta = find_inner_class(node, "Meta")
    return edit_at(meta, ctx, "meta-set-option", "extra_kwargs", name, ("write_only",)) if meta is not None else None


def has_concrete_parent(index: ProjectIndex, model: ModelFact) -> bool:
    """Multi-table inheritance: the pk is the parent link (`<parent>_ptr`), not `id`."""
    return any(b in index.models and not index.models[b].abstract for b in model.bases)


def explicit_fields_edit(
    node: nodes.ClassDef, fact: SerializerFact, option: str, ctx: ModuleContext, excluded: tuple[str, ...] = ()
) -> Edit | None:
    """Replace the own Meta's `fields = "__all__"` / `exclude = [...]` (`option`) with the fields
    the serializer has today, in DRF's order, minus the sensitive fields clients cannot write (a
    token the server makes). A sensitive field clients write stays listed (DJV305's fix makes it
    write-only), and so does a field declared on the serializer (DRF requires it in the list)."""
    model = find_model(ctx.index, fact.model_class)
    origin = fact.fields_origin if option == "fields" else fact.exclude_origin
    if model is None or model.partial or origin is None or origin != fact.own_meta or has_concrete_parent(ctx.index, model):
        return None
    meta = find_inner_class(node, "Meta")
    assignment = find_class_assignment(meta, option) if meta is not None else None
    exposure = serializer_exposure(ctx.index, fact)
    if not isinstance(assignment, nodes.Assign) or len(assignment.targets) != 1 or exposure is None:
        return None
    names = sensitive_names(ctx)
    keep = []
    for name, field in exposure.fields.items():
        model_field = field.model_field
        secret = model_field is not None and names.is_sensitive(ctx.index, model, model_field.name, model_field)
        if name in excluded or (secret and field.declared is None and field.writable is False):
            continue
        keep.append(name)
    return edit_at(assignment, ctx, "replace-assignment", "fields", "", tuple(keep))


def meta_option_hit(
    node: nodes.ClassDef, ctx: ModuleContext, fact: SerializerFact, option: str, origin: str | None, edit: Edit | None
) -> Hit | None:
    """The Hit DJV301 / DJV302 report for a Meta option giving "every field" (`fields = "__all__"`,
    `exclude`): where it is written or inherited, with the confidence that took."""
    target = meta_option_node(node, fact, option, origin)
    if target is None:
        return None
    inherited = origin != fact.own_meta
    return Hit(
        target,
        {"serializer": fact.name, "model": model_display(ctx.index, fact), "meta": class_display(ctx.index, origin)},
        confidence="inference" if inherited or not is_direct_model_serializer(fact) else None,
        edit=edit,
    )
