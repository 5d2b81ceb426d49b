"""DJV306 serializer-password-not-hashed: see rules/DJV306.yaml."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from astroid import nodes

from djvet.astro.classes import find_class_assignment
from djvet.astro.serializers import defines_serializers, field_report_node, in_tests
from djvet.engine import ModuleContext
from djvet.index.bodies import called_names, function_node, own_nodes
from djvet.index.exposure import Exposure, serializer_exposure
from djvet.index.facts import FunctionInfo, ProjectIndex
from djvet.index.field_roles import is_user_model
from djvet.index.serializer_usage import serializer_usage
from djvet.index.write_paths import methods_of
from djvet.rule import Hit, Rule

# calls that hash a password on its way to the database
HASHERS = frozenset({"set_password", "make_password", "create_user", "create_superuser", "set_unusable_password"})
# DRF's default create() / update() (no project override) hand validated_data to the model as is
PATH_METHOD = {"POST": "create", "PUT": "update", "PATCH": "update"}
VIEW_HOOKS = {"create": ("perform_create", "create", "post"), "update": ("perform_update", "update", "partial_update", "put", "patch")}


class SerializerPasswordNotHashed(Rule):
    code = "DJV306"

    def applies_to(self, ctx: ModuleContext) -> bool:
        return super().applies_to(ctx) and not in_tests(ctx) and defines_serializers(ctx)

    def check_classdef(self, node: nodes.ClassDef, ctx: ModuleContext) -> Iterator[Hit]:
        fact = ctx.index.serializers.get(ctx.qualname(node))
        exposure = serializer_exposure(ctx.index, fact) if fact is not None else None
        if exposure is None or exposure.dynamic or not _writes_password(ctx.index, exposure):
            return
        index = ctx.index
        methods = methods_of(index, exposure.serializer.ancestors)
        if _hashes_elsewhere(index, exposure, methods):
            return
        culprits = []
        for name in sorted({PATH_METHOD[m] for m in _write_methods(index, exposure)}):
            function = methods.get(name)
            if _stores_plaintext(index, function) and not _view_hashes(index, exposure, name):
                culprits.append((name, function))
        if not culprits:
            return
        own = [f for _, f in culprits if f is not None and f.qualname.rpartition(".")[0] == exposure.serializer.qualname]
        target = _method_node(node, own[0].name) if own else field_report_node(node, exposure.serializer, "password")
        yield Hit(
            target or node,
            {
                "serializer": exposure.serializer.name,
                "model": exposure.model.name,
                "methods": " and ".join(f"`{_describe(name, f)}`" for name, f in culprits),
            },
        )


def _writes_password(index: ProjectIndex, exposure: Exposure) -> bool:
    """The serializer's model is a user model and the client may send `password`."""
    if not is_user_model(index, exposure.model.qualname) or "password" not in exposure.model.fields:
        return False
    return any(f.writable is True and f.model_field is not None and f.model_field.name == "password" for f in exposure.fields.values())


def _write_methods(index: ProjectIndex, exposure: Exposure) -> set[str]:
    return {m for use in serializer_usage(index).writes(exposure.serializer.qualname) for m in use.methods}


def _describe(name: str, function: FunctionInfo | None) -> str:
    if function is None:
        return f"ModelSerializer.{name}()"  # DRF's own
    return f"{function.qualname.rsplit('.', 2)[-2]}.{name}()"


def _method_node(node: nodes.ClassDef, name: str) -> nodes.NodeNG | None:
    for child in node.body:
        if isinstance(child, (nodes.FunctionDef, nodes.AsyncFunctionDef)) and child.name == name:
            return child
    return find_class_assignment(node, name)


def _calls_hasher(index: ProjectIndex, function: FunctionInfo | None) -> bool:
    body = function_node(index, function) if function is not None else None
    return body is not None and bool(called_names(body) & HASHERS)


def _hashes_elsewhere(index: ProjectIndex, exposure: Exposure, methods: dict[str, FunctionInfo]) -> bool:
    """`validate_password()` returning `make_password(value)`, a model `save()` that hashes, or a
    helper djvet cannot follow: the password may be hashed before it is stored."""
    for name, function in methods.items():
        if name not in ("create", "update") and _calls_hasher(index, function):
            return True
    model_methods = methods_of(index, index.mros.get(exposure.model.qualname, (exposure.model.qualname,)))
    return _calls_hasher(index, model_methods.get("save"))


def _stores_plaintext(index: ProjectIndex, function: FunctionInfo | None) -> bool:
    """DRF's own create()/update() (None), or a project one that passes validated_data on to the
    model (`Model.objects.create(**validated_data)`, `super().create(validated_data)`, `setattr`)
    with no hashing call on the way. Anything else is not followed: False."""
    if function is None:
        return True
    body = function_node(index, function)
    if body is None or called_names(body) & HASHERS:
        return False
    data = function.args[-1] if len(function.args) >= 2 else "validated_data"
    for child in own_nodes(body):
        if isinstance(child, ast.Constant) and child.value == "password":
            return False  # the method handles the password itself (pops it, checks it ...)
    for child in own_nodes(body):
        if isinstance(child, ast.Call) and _passes(child, data):
            return True
    return False


def _passes(call: ast.Call, data: str) -> bool:
    values = [*call.args, *(k.value for k in call.keywords)]
    if any(isinstance(v, ast.Name) and v.id == data for v in values):
        return True
    return any(isinstance(v, ast.Starred) and isinstance(v.value, ast.Name) and v.value.id == data for v in call.args)


def _view_hashes(index: ProjectIndex, exposure: Exposure, method: str) -> bool:
    """A view writing through the serializer hashes the password itself (`perform_create`)."""
    for use in serializer_usage(index).writes(exposure.serializer.qualname):
        view = index.views.get(use.view) if use.view else None
        if view is None:
            continue
        hooks = methods_of(index, view.ancestors)
        if any(_calls_hasher(index, hooks.get(h)) for h in VIEW_HOOKS[method]):
            return True
    return False
