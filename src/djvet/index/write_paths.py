"""How client input reaches a serializer field: each write path (an HTTP method of a view, or a
function feeding the serializer `data=`) and whether the server sets the field itself on that path
(`perform_create` calling `serializer.save(owner=self.request.user)`, a `create()` that handles
the field), plus who may call it (only administrators?)."""

from __future__ import annotations

from dataclasses import dataclass

from djvet.index.bodies import function_node, mentions, sets_from_current_user
from djvet.index.facts import FunctionInfo, ProjectIndex, SerializerFact, ViewFact
from djvet.index.policy import policy_book
from djvet.index.serializer_usage import SerializerUse, serializer_usage

_P = "rest_framework.permissions."
# permission classes that keep a write to administrators, or to users an administrator gave the
# model permission to
ADMIN_PERMISSIONS = frozenset(
    {_P + "IsAdminUser", _P + "DjangoModelPermissions", _P + "DjangoObjectPermissions", _P + "DjangoModelPermissionsOrAnonReadOnly"}
)
ADMIN_WORDS = ("Admin", "Staff", "Superuser")
HOOKS = {"POST": ("perform_create", "create", "post"), "PUT": ("perform_update", "update", "put"), "PATCH": ("perform_update", "partial_update", "update", "patch")}
SERIALIZER_METHOD = {"POST": "create", "PUT": "update", "PATCH": "update"}


@dataclass(frozen=True, slots=True)
class WritePath:
    method: str  # POST | PUT | PATCH
    where: str  # qualname of the view or function
    set_by_view: bool  # the view sets the field from the requesting user on this path
    handled: bool  # the server sets or checks the field on this path (view or serializer code)
    admin_only: bool  # only administrators (or holders of the model permission) reach it


def methods_of(index: ProjectIndex, classes: tuple[str, ...]) -> dict[str, FunctionInfo]:
    found: dict[str, FunctionInfo] = {}
    for cls in classes:
        info = index.classes.get(cls)
        if info is not None:
            for name, method in info.methods.items():
                found.setdefault(name, method)
    return found


def _sets(index: ProjectIndex, function: FunctionInfo | None, field: str) -> bool:
    if function is None:
        return False
    node = function_node(index, function)
    return node is not None and sets_from_current_user(node, field)


def _mentions(index: ProjectIndex, function: FunctionInfo | None, field: str) -> bool:
    if function is None:
        return False
    node = function_node(index, function)
    return node is not None and mentions(node, field)


def is_admin_permission(index: ProjectIndex, name: str) -> bool:
    parts = [p.strip() for p in name.split("&")]  # `A & B`: one admin class is enough
    for part in parts:
        if "|" in part:
            continue
        classes = (part, *index.mros.get(part, ()))
        if any(c in ADMIN_PERMISSIONS for c in classes) or any(w in part.rpartition(".")[2] for w in ADMIN_WORDS):
            return True
    return False


def _admin_only(index: ProjectIndex, view: ViewFact | None, method: str) -> bool:
    if view is None:
        return False
    policy = policy_book(index).policy(view.qualname)
    if policy is None:
        return False
    ops = [op for op in policy.operations if op.method == method]
    return bool(ops) and all(
        isinstance(op.permissions.names, tuple) and any(is_admin_permission(index, n) for n in op.permissions.names) for op in ops
    )


def _view_path(index: ProjectIndex, use: SerializerUse, fact: SerializerFact, field: str, method: str) -> WritePath:
    view = index.views.get(use.view) if use.view else None
    serializer_methods = methods_of(index, fact.ancestors)
    by_serializer = _mentions(index, serializer_methods.get(SERIALIZER_METHOD[method]), field)
    if use.how == "data" or view is None:
        function = _function(index, use.where)
        by_view = _sets(index, function, field)
        return WritePath(method, use.where, by_view, by_view or by_serializer, _admin_only(index, view, method))
    methods = methods_of(index, view.ancestors)
    by_view = any(_sets(index, methods.get(hook), field) for hook in HOOKS[method])
    return WritePath(method, view.qualname, by_view, by_view or by_serializer, _admin_only(index, view, method))


def _function(index: ProjectIndex, qualname: str) -> FunctionInfo | None:
    owner, _, name = qualname.rpartition(".")
    if owner in index.classes:
        return index.classes[owner].methods.get(name)
    info = index.modules.get(owner)
    return info.functions.get(name) if info is not None else None


def write_paths(index: ProjectIndex, fact: SerializerFact, field: str, certain_only: bool = True) -> list[WritePath]:
    """Every way a client writes `field` through the serializer, as far as djvet can see."""
    paths = []
    for use in serializer_usage(index).writes(fact.qualname, certain_only):
        for method in use.methods:
            paths.append(_view_path(index, use, fact, field, method))
    return paths


def validates_field(index: ProjectIndex, fact: SerializerFact, field: str) -> bool:
    """The serializer checks or rewrites the field itself: `validate_<field>()`, or `validate()` /
    `to_internal_value()` naming it."""
    methods = methods_of(index, fact.ancestors)
    if f"validate_{field}" in methods:
        return True
    return any(_mentions(index, methods.get(name), field) for name in ("validate", "to_internal_value"))
