"""ModelAdmin classes read statically: the models each is registered for, its `list_display`, and
what its changelist's queryset loads, the way Django's `ChangeList.get_queryset` and
`apply_select_related` decide it (django/contrib/admin/views/main.py)."""

from __future__ import annotations

import ast
from dataclasses import dataclass, replace

from djvet.index.bodies import function_node, own_nodes
from djvet.index.deps import shared
from djvet.index.expr import Attr, Bin, Call, Const, Expr, Name, Seq, literal, to_expr
from djvet.index.facts import FunctionInfo, ProjectIndex, Statement
from djvet.index.querysets import (
    Loaded,
    TraceContext,
    apply_calls,
    index_resolver,
    trace_queryset,
    unwind,
)
from djvet.index.relation_walks import (
    default_loaded,
    find_method,
)

MODEL_ADMIN = frozenset({"django.contrib.admin.ModelAdmin", "django.contrib.admin.options.ModelAdmin"})
REGISTER = frozenset({"django.contrib.admin.register", "django.contrib.admin.decorators.register"})
# Overriding these changes what the changelist lists or loads in ways djvet does not follow.
# `__init__` may set `self.list_display` / `self.list_select_related` on the instance.
OPAQUE_METHODS = ("get_list_select_related", "get_list_display", "get_changelist", "get_changelist_instance", "__init__")
# Overriding these without calling the parent's may mean the changelist is never shown.
REPLACED_VIEWS = ("get_urls", "changelist_view")
DEFAULT_LIST_DISPLAY = ("__str__",)  # django.contrib.admin.options.BaseModelAdmin


@dataclass(frozen=True, slots=True)
class Changelist:
    """What the changelist's rows come with, and what decided it."""

    loaded: Loaded
    source: str  # get_queryset | list_select_related | auto | none
    get_queryset_line: int | None


def registrations(index: ProjectIndex) -> dict[str, tuple[str, ...]]:
    """Admin class -> the models it is registered for (`@admin.register(...)` or
    `<site>.register(Model, Admin)` at the top level of any module)."""
    return shared("admin-registrations", index, _registrations)


def _registrations(index: ProjectIndex) -> dict[str, tuple[str, ...]]:
    resolver = index_resolver(index)
    found: dict[str, list[str]] = {}

    def models_of(module: str, expr: Expr | None) -> list[str]:
        items = expr.items if isinstance(expr, Seq) else (expr,)
        names = [resolver.resolve(module, i.dotted) for i in items if isinstance(i, Name)]
        return [n for n in names if n in index.models]

    for module in index.modules.values():
        for cls in module.classes.values():
            for decorator in cls.decorators:
                is_call = isinstance(decorator, Call) and isinstance(decorator.func, Name)
                if is_call and resolver.resolve(module.name, decorator.func.dotted) in REGISTER:  # type: ignore[union-attr]
                    for arg in decorator.args:  # type: ignore[union-attr]
                        found.setdefault(cls.qualname, []).extend(models_of(module.name, arg))
        for statement in module.statements:
            call = statement.value
            if statement.kind != "call" or not isinstance(call, Call) or not isinstance(call.func, Name):
                continue
            admin = call.arg(1, "admin_class")
            if call.func.dotted.endswith(".register") and isinstance(admin, Name):
                found.setdefault(resolver.resolve(module.name, admin.dotted), []).extend(models_of(module.name, call.arg(0)))
    return {admin: tuple(dict.fromkeys(models)) for admin, models in found.items()}


def _outside_bases(index: ProjectIndex, admin: str) -> list[str]:
    return [c for c in index.mros.get(admin, (admin,)) if c not in index.classes and c not in ("object", "builtins.object")]


def is_model_admin(index: ProjectIndex, admin: str) -> bool:
    """A ModelAdmin whose every base outside the project is one of Django's own admins (a
    third-party base may load the changelist its own way)."""
    outside = _outside_bases(index, admin)
    return bool(outside) and all(c.startswith("django.contrib.") and c.endswith("Admin") for c in outside)


def _attr_value(index: ProjectIndex, admin: str | None, name: str, default: object) -> object:
    for ancestor in index.mros.get(admin, ()) if admin else ():
        info = index.classes.get(ancestor)
        if info is not None and name in info.attrs:
            return literal(info.attrs[name])
    return default


def list_display(index: ProjectIndex, admin: str | None) -> tuple[object, ...] | None:
    """The entries: strings, Name for a callable, None for anything else; None when unknown."""
    if admin is None:
        return DEFAULT_LIST_DISPLAY
    for ancestor in index.mros.get(admin, (admin,)):
        info = index.classes.get(ancestor)
        if info is not None and "list_display" in info.attrs:
            return _entries(info.attrs["list_display"])
    return DEFAULT_LIST_DISPLAY if set(_outside_bases(index, admin)) <= MODEL_ADMIN else None


def _entries(expr: Expr) -> tuple[object, ...] | None:
    if isinstance(expr, Bin) and expr.op == "Add":
        left, right = _entries(expr.left), _entries(expr.right)
        return None if left is None or right is None else left + right
    if not isinstance(expr, Seq):
        return None
    return tuple(i.value if isinstance(i, Const) and isinstance(i.value, str) else i if isinstance(i, Name) else None for i in expr.items)


def is_default_registration(statement: Statement) -> bool:
    """`<site>.register(Model)` or `<site>.register(Model, admin.ModelAdmin)` at the top level."""
    call = statement.value
    if statement.kind != "call" or not isinstance(call, Call) or not isinstance(call.func, Name):
        return False
    return call.func.dotted.endswith(".register") and 1 <= len(call.args) <= 2 and not call.kwargs


# ---- the changelist: what its queryset loads ----------------------------------------------------


def changelist(index: ProjectIndex, admin: str | None, model: str, entries: tuple[object, ...]) -> Changelist | None:
    """Django's ChangeList.get_queryset: select_related is applied only when `get_queryset` did
    not select anything itself (django/contrib/admin/views/main.py, apply_select_related)."""
    for name in (*OPAQUE_METHODS, *REPLACED_VIEWS) if admin is not None else ():
        found = find_method(index, admin, name)  # type: ignore[arg-type]
        # `super().<name>(...)` is recorded in `calls` as `<name>`: a replaced view that calls it is fine
        if found is not None and (name in OPAQUE_METHODS or name not in found[1].calls):
            return None
    found = find_method(index, admin, "get_queryset") if admin else None
    line = None
    if found is None:
        loaded = default_loaded(index, model)
    else:
        loaded, line = _admin_queryset(index, model, *found), found[1].line
    if loaded is None or loaded.model != model:
        return None
    if loaded.select or loaded.select_all:
        return Changelist(loaded, "get_queryset", line)
    setting = _attr_value(index, admin, "list_select_related", False)
    if setting is True or (setting is False and any(_is_foreign_key(index, model, e) for e in entries)):
        return Changelist(replace(loaded, select_all=True), "auto" if setting is False else "list_select_related", line)
    if setting is False:
        return Changelist(loaded, "none", line)
    if isinstance(setting, tuple) and all(isinstance(s, str) for s in setting):
        return Changelist(replace(loaded, select=frozenset(setting)), "list_select_related", line)
    return None


def _is_foreign_key(index: ProjectIndex, model: str, entry: object) -> bool:
    """has_related_field_in_list_display: a forward FK / one-to-one field listed by name."""
    field = index.models[model].fields.get(entry) if isinstance(entry, str) else None
    return field is not None and field.relation in ("fk", "o2o")


def _admin_queryset(index: ProjectIndex, model: str, owner: str, method: FunctionInfo) -> Loaded | None:
    """What an admin's `get_queryset` returns: `super().get_queryset(request)` (the default
    manager) or a queryset written out, with calls added directly or through local variables."""
    module = index.modules.get(index.classes[owner].module)
    if module is None or len(method.returns) != 1:
        return None
    function = function_node(index, method)
    if function is None or not isinstance(function.body[-1], ast.Return) or function.body[-1].value is None:
        return None
    found = _unwind_locals(function, function.body[-1].value, function.body[-1].lineno, 0)
    if found is None:
        return None
    head, calls = found
    if isinstance(head, Call) and isinstance(head.func, Name) and head.func.dotted == "super":
        if not calls or calls[0][0] != "get_queryset":
            return None
        base, manager, calls = default_loaded(index, model), next(iter(index.models[model].managers), None), calls[1:]
    elif isinstance(head, Name) and "." in head.dotted:
        base, manager = trace_queryset(index, Call(Attr(head, "all"), (), ()), TraceContext(module.name)), head.dotted.rsplit(".", 1)[1]
    else:
        return None
    return None if base is None else apply_calls(index, base, _manager_classes(index, model, manager), calls)


def _manager_classes(index: ProjectIndex, model: str, manager: str | None) -> tuple[str | None, ...]:
    fact = index.models[model].managers.get(manager or "objects")
    return (fact.manager_class, fact.queryset_class) if fact is not None else (None, None)


def _unwind_locals(
    function: ast.FunctionDef | ast.AsyncFunctionDef, value: ast.expr, line: int, depth: int
) -> tuple[Expr, list[tuple[str, tuple[object, ...]]]] | None:
    """`qs = super().get_queryset(request); return qs.select_related("a")` as one chain of calls,
    when every binding of the local is a plain assignment directly in the body."""
    head, calls = unwind(to_expr(value))
    if not isinstance(head, Name) or "." in head.dotted or head.dotted == "super":
        return head, calls
    if depth > 4 or head.dotted in {a.arg for a in function.args.args}:
        return None
    stores = [n for n in own_nodes(function) if isinstance(n, ast.Name) and n.id == head.dotted and not isinstance(n.ctx, ast.Load)]
    plain = [s for s in function.body if isinstance(s, ast.Assign) and len(s.targets) == 1 and s.targets[0] in stores]
    if len(plain) != len(stores):
        return None
    before = [s for s in plain if s.lineno < line]
    if not before:
        return None
    found = _unwind_locals(function, before[-1].value, before[-1].lineno, depth + 1)
    return None if found is None else (found[0], [*found[1], *calls])

