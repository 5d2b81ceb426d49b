"""DJV106 admin-list-display-relation: see rules/DJV106.yaml."""

from __future__ import annotations

from collections.abc import Iterator

from astroid import nodes

from djvet.astro.classes import find_class_assignment
from djvet.astro.exprs import dotted
from djvet.engine import ModuleContext
from djvet.index.admin import (
    MODEL_ADMIN,
    Changelist,
    changelist,
    is_default_registration,
    is_model_admin,
    list_display,
    registrations,
)
from djvet.index.bodies import function_node
from djvet.index.expr import Name
from djvet.index.facts import FunctionInfo, ModuleInfo, ProjectIndex
from djvet.index.querysets import index_resolver, relation_step
from djvet.index.relation_walks import (
    Miss,
    Read,
    RelationWalker,
    find_method,
    instance_reads,
)
from djvet.rule import Hit, Rule


class AdminListDisplayRelation(Rule):
    code = "DJV106"
    needs_text = ("register",)

    def applies_to(self, ctx: ModuleContext) -> bool:
        if not super().applies_to(ctx) or ctx.kinds & {"tests", "migrations"}:
            return False
        module = ctx.index.module_for_path(ctx.relpath)
        if module is None:
            return True
        registered = registrations(ctx.index)
        return any(cls in registered for cls in module.classes) or any(is_default_registration(s) for s in module.statements)

    def check_classdef(self, node: nodes.ClassDef, ctx: ModuleContext) -> Iterator[Hit]:
        admin = ctx.qualname(node)
        if not is_model_admin(ctx.index, admin):
            return
        for model in registrations(ctx.index).get(admin, ()):
            yield from _check_admin(ctx, admin, model, node)

    def check_call(self, node: nodes.Call, ctx: ModuleContext) -> Iterator[Hit]:
        """`admin.site.register(Model)`: the default ModelAdmin lists `__str__` only."""
        if not isinstance(node.func, nodes.Attribute) or node.func.attrname != "register" or not node.args:
            return
        if not isinstance(node.parent, nodes.Expr):
            return  # `@admin.register(Model)` decorates a class: check_classdef reads it
        if len(node.args) > 1 or node.keywords:
            admin = node.args[1] if len(node.args) > 1 else None
            if admin is None or index_resolver(ctx.index).resolve(ctx.module, dotted(admin) or "") not in MODEL_ADMIN:
                return
        for target in _model_nodes(node.args[0]):
            model = index_resolver(ctx.index).resolve(ctx.module, dotted(target) or "")
            if model in ctx.index.models:
                yield from _check_admin(ctx, None, model, target)


def _check_admin(ctx: ModuleContext, admin: str | None, model: str, where: nodes.NodeNG) -> Iterator[Hit]:
    index = ctx.index
    entries = list_display(index, admin)
    if entries is None:
        return
    loading = changelist(index, admin, model, entries)
    if loading is None or loading.loaded.values:
        return
    own = _own_items(where) if isinstance(where, nodes.ClassDef) else None
    if isinstance(where, nodes.ClassDef) and _is_mutated(where, "list_display"):
        return  # `list_display.append(...)` in the class body: djvet reads literals only
    for position, entry in enumerate(entries):
        walker = RelationWalker(index, loading.loaded)
        for read, via in _entry_reads(ctx, admin, model, entry):
            walker.walk(read, via=via)
        for miss in walker.final_misses():
            node = own[position] if own is not None and position < len(own) else where
            yield Hit(node, _args(index, admin, entry, miss, loading))


def _args(index: ProjectIndex, admin: str | None, entry: object, miss: Miss, loading: Changelist) -> dict[str, object]:
    return {
        "admin": admin.rsplit(".", 1)[-1] if admin else "ModelAdmin",
        "entry": entry if isinstance(entry, str) else getattr(entry, "dotted", "?"),
        "relation": miss.describe(index),
        "via": f" (in `{miss.via}`)" if miss.via else "",
        "reason": _reason(miss, loading),
    }


def _reason(miss: Miss, loading: Changelist) -> str:
    last = miss.steps[-1].attr
    if not miss.select:
        where = f"`get_queryset` (line {loading.get_queryset_line})" if loading.get_queryset_line else "the changelist queryset"
        return f"{where} does not prefetch `{miss.path}`"
    if loading.source == "get_queryset":
        return f"`get_queryset` (line {loading.get_queryset_line}) selects other relations, so Django ignores `list_select_related`"
    if loading.loaded.select_all:
        if miss.nullable:
            return f"`select_related()` does not follow the nullable `{last}`"
        return f"`select_related()` does not follow `{miss.path}`"
    if loading.source == "list_select_related":
        return f"`list_select_related` does not include `{miss.path}`"
    return "no foreign key field is listed, so Django selects nothing"


# ---- list_display entries and what showing them reads --------------------------------------------


def _own_items(node: nodes.ClassDef) -> list[nodes.NodeNG] | None:
    """The entry nodes of `list_display` written in this class's body, in order."""
    statement = find_class_assignment(node, "list_display")
    return _items(statement.value) if statement is not None and statement.value is not None else None


def _is_mutated(node: nodes.ClassDef, name: str) -> bool:
    for child in node.body:
        if isinstance(child, nodes.AugAssign) and getattr(child.target, "name", None) == name:
            return True
        if isinstance(child, nodes.Expr) and isinstance(child.value, nodes.Call):
            func = child.value.func
            if isinstance(func, nodes.Attribute) and isinstance(func.expr, nodes.Name) and func.expr.name == name:
                return True
    return False


def _items(value: nodes.NodeNG) -> list[nodes.NodeNG] | None:
    if isinstance(value, (nodes.Tuple, nodes.List)):
        return list(value.elts)
    if isinstance(value, nodes.BinOp) and value.op == "+":
        left, right = _items(value.left), _items(value.right)
        return None if left is None or right is None else left + right
    return None


def _model_nodes(node: nodes.NodeNG) -> list[nodes.NodeNG]:
    return list(node.elts) if isinstance(node, (nodes.Tuple, nodes.List)) else [node]


def _entry_reads(ctx: ModuleContext, admin: str | None, model: str, entry: object) -> list[tuple[Read, str | None]]:
    """What showing one list_display entry reads on each row, in the order Django's
    `lookup_field` tries: a model field, a callable, an admin method, a model attribute or path."""
    index = ctx.index
    if isinstance(entry, Name):
        resolved = index_resolver(index).resolve(ctx.module, entry.dotted)
        function = index_resolver(index).functions.get(resolved)
        return _function_reads(index, function, 0, entry.dotted)
    if not isinstance(entry, str):
        return []
    step = relation_step(index, model, entry)
    if step is not None:
        return [(Read((entry,), rendered=True), None)] if step[0] in ("fk", "o2o", "o2o-reverse") else []
    if entry in index.models[model].fields:
        return []
    found = find_method(index, admin, entry) if admin and entry != "__str__" else None
    if found is not None:
        return _function_reads(index, found[1], 1, f"{admin.rsplit('.', 1)[-1]}.{entry}" if admin else None)
    if "__" in entry.strip("_"):
        return [(Read(tuple(entry.split("__")), rendered=True), None)]
    return [(Read((entry,), called=True), None)]


def _function_reads(index: ProjectIndex, function: FunctionInfo | None, position: int, via: str | None) -> list[tuple[Read, str | None]]:
    if function is None or len(function.args) <= position:
        return []
    module = index.modules.get(function.qualname.rsplit(".", 1)[0]) or _module_of_method(index, function)
    node = function_node(index, function) if module is not None else None
    if node is None:
        return []
    return [(read, via) for read in instance_reads(node, function.args[position])]


def _module_of_method(index: ProjectIndex, function: FunctionInfo) -> ModuleInfo | None:
    cls = index.classes.get(function.qualname.rsplit(".", 1)[0])
    return index.modules.get(cls.module) if cls is not None else None
