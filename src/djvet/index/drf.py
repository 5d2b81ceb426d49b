"""Serializer and view facts: DRF serializers with their effective Meta, DRF and Django views with
their effective attributes, all inherited across files."""

from __future__ import annotations

from collections.abc import Mapping

from djvet.index.expr import (
    UNKNOWN,
    Attr,
    Bin,
    Call,
    Const,
    Expr,
    Name,
    Seq,
    literal,
    string_items,
)
from djvet.index.facts import (
    ActionFact,
    DeclaredField,
    FunctionInfo,
    QuerysetFact,
    SerializerFact,
    ViewFact,
)
from djvet.index.querysets import call_args
from djvet.index.resolve import Resolver

_S = "rest_framework.serializers."
SERIALIZER_BASES = frozenset(
    {_S + "BaseSerializer", _S + "Serializer", _S + "ModelSerializer", _S + "HyperlinkedModelSerializer", _S + "ListSerializer"}
)
# ModelSerializer and well-known third-party subclasses of it.
MODEL_SERIALIZER_BASES = frozenset(
    {
        _S + "ModelSerializer",
        _S + "HyperlinkedModelSerializer",
        "rest_framework_gis.serializers.GeoFeatureModelSerializer",
        "drf_writable_nested.serializers.WritableNestedModelSerializer",
        "drf_writable_nested.WritableNestedModelSerializer",
        "rest_flex_fields.FlexFieldsModelSerializer",
        "rest_flex_fields.serializers.FlexFieldsModelSerializer",
    }
)
ALL_FIELDS_NAMES = frozenset({_S + "ALL_FIELDS", _S + "ModelSerializer.ALL_FIELDS", "django.forms.models.ALL_FIELDS"})
DRF_FIELD_MODULES = ("rest_framework.serializers.", "rest_framework.fields.", "rest_framework.relations.")

DRF_VIEW_KINDS = (
    ("rest_framework.viewsets.", "drf-viewset"),
    ("rest_framework.generics.", "drf-generic"),
    ("rest_framework.views.APIView", "drf-apiview"),
)
DJANGO_VIEW_PREFIX = ("django.views.", "django.contrib.auth.views.")
DJANGO_VIEW_EXCLUDE = frozenset({"django.views.generic.base.ContextMixin", "django.views.generic.base.TemplateResponseMixin"})
API_VIEW = frozenset({"rest_framework.decorators.api_view"})
ACTION_DECORATORS = frozenset(
    {"rest_framework.decorators.action", "rest_framework.decorators.detail_route", "rest_framework.decorators.list_route"}
)


def meta_names(resolver: Resolver, meta_qualname: str, expr: Expr | None, depth: int = 0) -> object:
    """A Meta's `fields`/`exclude` (serializers and ModelForms alike) as a tuple of names,
    "__all__", None when unset, or UNKNOWN."""
    if expr is None:
        return None
    if depth > 8:
        return UNKNOWN
    module = resolver.classes[meta_qualname].module
    if isinstance(expr, Const):
        if expr.value is None:
            return None  # `exclude = None` in a subclass Meta undoes an inherited exclude
        return expr.value if isinstance(expr.value, str) else UNKNOWN
    if isinstance(expr, Seq):
        names = string_items(expr)
        return names if names is not None else UNKNOWN
    if isinstance(expr, Name):
        resolved = resolver.resolve(module, expr.dotted)
        if resolved in ALL_FIELDS_NAMES or expr.dotted.endswith("ALL_FIELDS"):
            return "__all__"
        owner, _, attr = expr.dotted.rpartition(".")
        owner_qn = resolver.resolve_class(module, owner) if owner else None
        if owner_qn in resolver.classes:
            found = resolver.lookup_attr(owner_qn, attr)  # type: ignore[arg-type]
            if found is not None:
                return meta_names(resolver, found[0], found[1], depth + 1)
        constant = _module_constant(resolver, resolved)
        if constant is not None:
            return meta_names(resolver, meta_qualname, constant, depth + 1)
        return UNKNOWN
    if isinstance(expr, Bin) and expr.op == "Add":
        left = meta_names(resolver, meta_qualname, expr.left, depth + 1)
        right = meta_names(resolver, meta_qualname, expr.right, depth + 1)
        if isinstance(left, tuple) and isinstance(right, tuple):
            return left + right
    return UNKNOWN


def _module_constant(resolver: Resolver, qualname: str) -> Expr | None:
    """The literal a module assigns once, unconditionally, to a name (`FIELDS = ("id", "name")`);
    None when it is assigned again, conditionally, or not a literal."""
    module, _, name = qualname.rpartition(".")
    info = resolver.modules.get(module)
    if info is None:
        return None
    values = [s for s in info.statements if name in s.targets and s.kind in ("assign", "augassign")]
    if len(values) != 1 or values[0].kind != "assign" or values[0].conditional or values[0].targets != (name,):
        return None
    value = values[0].value
    return value if isinstance(value, (Const, Seq)) else None


def _kwarg_bool(call: Call, name: str) -> bool:
    value = call.kwarg(name)
    return isinstance(value, Const) and value.value is True


GET_USER_MODEL = "django.contrib.auth.get_user_model"


def meta_option(resolver: Resolver, meta: str | None, key: str) -> tuple[Expr | None, str | None]:
    """A Meta option in force (own or inherited) and the Meta class that writes it."""
    found = resolver.lookup_attr(meta, key) if meta is not None else None
    return (found[1], found[0]) if found is not None else (None, None)


def meta_model(resolver: Resolver, meta: str | None, user_model: str | None) -> tuple[Expr | None, str | None]:
    """`Meta.model` as written and the model class it names, resolved in the module that writes it
    (an inherited Meta may live in another module)."""
    expr, origin = meta_option(resolver, meta, "model")
    if origin is None:
        return expr, None
    return expr, resolve_model(resolver, resolver.classes[origin].module, expr, user_model)


def resolve_model(resolver: Resolver, module: str, expr: Expr | None, user_model: str | None) -> str | None:
    """Meta.model as a qualname: a name resolved where it is written, `get_user_model()` as the
    AUTH_USER_MODEL in force (None when that is unknown)."""
    if isinstance(expr, Name):
        resolved = resolver.resolve(module, expr.dotted)
        if resolved not in resolver.classes:
            # `User = get_user_model()` at module level, then `model = User`
            owner, _, name = resolved.rpartition(".")
            info = resolver.modules.get(owner)
            assigned = [s for s in info.statements if s.targets == (name,)] if info is not None else []
            if len(assigned) == 1 and not assigned[0].conditional and isinstance(assigned[0].value, Call):
                return resolve_model(resolver, owner, assigned[0].value, user_model)
        return resolved
    if isinstance(expr, Call) and isinstance(expr.func, Name) and not expr.args:
        if resolver.resolve(module, expr.func.dotted) == GET_USER_MODEL:
            return user_model
    return None


class DrfLinker:
    def __init__(self, resolver: Resolver, models: Mapping[str, object], user_model: str | None = None) -> None:
        self.resolver = resolver
        self.models = models
        self.user_model = user_model
        self.serializer_classes = {
            qn for qn in resolver.classes if qn not in SERIALIZER_BASES and resolver.inherits(qn, SERIALIZER_BASES | MODEL_SERIALIZER_BASES)
        }

    # -- serializers -----------------------------------------------------------------------------

    def meta_value(self, meta_qualname: str, expr: Expr | None, depth: int = 0) -> object:
        """`fields`/`exclude` as a tuple of names, "__all__", None when unset, or UNKNOWN."""
        return meta_names(self.resolver, meta_qualname, expr, depth)

    def declared_fields(self, cls: str) -> dict[str, DeclaredField]:
        declared: dict[str, DeclaredField] = {}
        for ancestor in reversed(self.resolver.mro(cls)):
            info = self.resolver.classes.get(ancestor)
            if info is None:
                continue
            for name, value in info.attrs.items():
                if isinstance(value, Const) and value.value is None:
                    declared.pop(name, None)  # DRF: a field set to None is removed
                    continue
                if not isinstance(value, Call) or not isinstance(value.func, Name):
                    continue
                field_class = self.resolver.resolve(info.module, value.func.dotted)
                nested = field_class if field_class in self.serializer_classes else None
                is_drf = field_class.startswith(DRF_FIELD_MODULES) or nested is not None
                if not is_drf and not (field_class in self.resolver.classes and self._is_drf_field(field_class)):
                    continue
                source = value.kwarg("source")
                declared[name] = DeclaredField(
                    name=name,
                    line=info.attr_lines.get(name, info.line),
                    field_class=field_class,
                    serializer=nested,
                    many=_kwarg_bool(value, "many"),
                    source=source.value if isinstance(source, Const) and isinstance(source.value, str) else None,
                    read_only=_kwarg_bool(value, "read_only"),
                    write_only=_kwarg_bool(value, "write_only"),
                    declared_in=ancestor,
                )
        return declared

    def _is_drf_field(self, cls: str) -> bool:
        return any(c.startswith(DRF_FIELD_MODULES) for c in self.resolver.mro(cls))

    def serializer(self, cls: str) -> SerializerFact:
        info = self.resolver.classes[cls]
        module = self.resolver.modules[info.module]
        meta = self.resolver.find_inner(cls, "Meta")
        own_meta = info.inner.get("Meta")
        model_expr, model_class = meta_model(self.resolver, meta, self.user_model)
        model = model_class if model_class in self.models else None
        fields_expr, fields_origin = meta_option(self.resolver, meta, "fields")
        exclude_expr, exclude_origin = meta_option(self.resolver, meta, "exclude")
        extras: dict[str, object] = {}
        origins: dict[str, str | None] = {}
        for key in ("read_only_fields", "extra_kwargs", "depth"):
            expr, origins[key] = meta_option(self.resolver, meta, key)
            extras[key] = None if expr is None else literal(expr)
        if isinstance(extras["read_only_fields"], str) or extras["read_only_fields"] is UNKNOWN:
            # `read_only_fields = BASE_FIELDS` or `Base.Meta.read_only_fields + (...)`: names, like fields
            expr, origin = meta_option(self.resolver, meta, "read_only_fields")
            value = self.meta_value(origin, expr) if origin else None
            extras["read_only_fields"] = value if isinstance(value, tuple) else UNKNOWN
        return SerializerFact(
            qualname=cls,
            name=info.name,
            module=info.module,
            path=module.path,
            line=info.line,
            bases=self.resolver.bases(cls),
            ancestors=self.resolver.mro(cls),
            is_model_serializer=self.resolver.inherits(cls, MODEL_SERIALIZER_BASES),
            own_meta=own_meta,
            meta=meta,
            model=model,
            model_written=model_expr.dotted if isinstance(model_expr, Name) else None,
            fields=self.meta_value(fields_origin, fields_expr) if fields_origin else None,
            fields_origin=fields_origin,
            exclude=self.meta_value(exclude_origin, exclude_expr) if exclude_origin else None,
            exclude_origin=exclude_origin,
            read_only_fields=extras["read_only_fields"],
            extra_kwargs=extras["extra_kwargs"],
            depth=extras["depth"],
            declared=self.declared_fields(cls),
            read_only_fields_origin=origins["read_only_fields"],
            extra_kwargs_origin=origins["extra_kwargs"],
            depth_origin=origins["depth"],
            model_class=model_class,
        )

    # -- views -----------------------------------------------------------------------------------

    def view_kind(self, cls: str) -> str | None:
        mro = self.resolver.mro(cls)
        for prefix, kind in DRF_VIEW_KINDS:
            if any(c.startswith(prefix) for c in mro[1:]):
                return kind
        if any(c.startswith(DJANGO_VIEW_PREFIX) and c not in DJANGO_VIEW_EXCLUDE for c in mro[1:]):
            return "django-cbv"
        return None

    def queryset(self, module: str, expr: Expr | None) -> QuerysetFact | None:
        calls: list[tuple[str, tuple[object, ...]]] = []
        current = expr
        line = getattr(expr, "line", 0)
        for _ in range(50):
            if isinstance(current, Call):
                args = call_args(current.args)
                if isinstance(current.func, Name) and "." in current.func.dotted:
                    head, _, method = current.func.dotted.rpartition(".")
                    calls.append((method, args))
                    current = Name(head, current.line)
                elif isinstance(current.func, Attr):
                    calls.append((current.func.name, args))
                    current = current.func.obj
                else:
                    return None
            elif isinstance(current, Name):
                parts = current.dotted.split(".")
                for cut in range(len(parts), 0, -1):
                    resolved = self.resolver.resolve(module, ".".join(parts[:cut]))
                    if resolved in self.models:
                        rest = parts[cut:]
                        return QuerysetFact(resolved, rest[0] if rest else None, tuple(reversed(calls)), line)
                return QuerysetFact(None, None, tuple(reversed(calls)), line)
            else:
                return None
        return None

    def class_list(self, module: str, expr: Expr | None) -> object:
        """permission_classes / authentication_classes: a tuple of qualnames, or UNKNOWN."""
        if expr is None:
            return None
        if isinstance(expr, Seq):
            names = []
            for item in expr.items:
                if not isinstance(item, Name):
                    return UNKNOWN
                names.append(self.resolver.resolve_class(module, item.dotted))
            return tuple(names)
        return UNKNOWN

    def _class_attr(self, cls: str, attr: str) -> tuple[str, Expr] | None:
        found = self.resolver.lookup_attr(cls, attr)
        if found is None:
            return None
        return self.resolver.classes[found[0]].module, found[1]

    def _actions(self, methods: Mapping[str, FunctionInfo], module_of: Mapping[str, str]) -> tuple[ActionFact, ...]:
        actions = []
        for name, method in sorted(methods.items()):
            module = module_of[name]
            for decorator in method.decorators:
                call = decorator if isinstance(decorator, Call) else None
                dotted = call.func.dotted if call and isinstance(call.func, Name) else getattr(decorator, "dotted", None)
                if dotted is None or self.resolver.resolve(module, dotted) not in ACTION_DECORATORS:
                    continue
                http = ("get",)
                detail: object = UNKNOWN
                permissions: object = None
                url_path = None
                if call is not None:
                    http = string_items(call.kwarg("methods")) or http
                    detail_expr = call.kwarg("detail")
                    detail = detail_expr.value if isinstance(detail_expr, Const) else UNKNOWN
                    permissions = self.class_list(module, call.kwarg("permission_classes"))
                    path_expr = call.kwarg("url_path")
                    url_path = path_expr.value if isinstance(path_expr, Const) and isinstance(path_expr.value, str) else None
                actions.append(ActionFact(name, method.line, tuple(m.lower() for m in http), detail, permissions, url_path))
        return tuple(actions)

    def class_view(self, cls: str, kind: str) -> ViewFact:
        info = self.resolver.classes[cls]
        attrs: dict[str, object] = {}
        for attr in ("permission_classes", "authentication_classes"):
            found = self._class_attr(cls, attr)
            attrs[attr] = self.class_list(*found) if found else None
        found = self._class_attr(cls, "queryset")
        queryset = self.queryset(*found) if found else None
        found = self._class_attr(cls, "serializer_class")
        serializer = self.resolver.resolve_expr(*found) if found else None
        found = self._class_attr(cls, "http_method_names")
        http: object = string_items(found[1]) if found else None
        if found and http is None:
            http = UNKNOWN
        methods = self.resolver.methods(cls)
        module_of = {name: self.resolver.classes[m.qualname.rpartition(".")[0]].module for name, m in methods.items()}
        return ViewFact(
            qualname=cls,
            name=info.name,
            module=info.module,
            path=self.resolver.modules[info.module].path,
            line=info.line,
            kind=kind,
            bases=self.resolver.bases(cls),
            ancestors=self.resolver.mro(cls),
            queryset=queryset,
            serializer_class=serializer,
            permission_classes=attrs["permission_classes"],
            authentication_classes=attrs["authentication_classes"],
            http_method_names=http,
            methods=frozenset(methods),
            decorators=tuple(self._decorator_names(info.module, info.decorators)),
            actions=self._actions(methods, module_of),
        )

    def _decorator_names(self, module: str, decorators: tuple[Expr, ...]) -> list[str]:
        names = []
        for decorator in decorators:
            target = decorator.func if isinstance(decorator, Call) else decorator
            if isinstance(target, Name):
                names.append(self.resolver.resolve(module, target.dotted))
        return names

    def function_view(self, function: FunctionInfo, module: str, routed: bool) -> ViewFact | None:
        decorators = self._decorator_names(module, function.decorators)
        api_methods: tuple[str, ...] = ()
        permissions: object = None
        authentication: object = None
        kind = None
        for decorator in function.decorators:
            if not isinstance(decorator, Call) or not isinstance(decorator.func, Name):
                continue
            resolved = self.resolver.resolve(module, decorator.func.dotted)
            if resolved in API_VIEW:
                kind = "drf-function"
                api_methods = tuple(m.upper() for m in (string_items(decorator.arg(0, "http_method_names")) or ("GET",)))
            elif resolved == "rest_framework.decorators.permission_classes":
                permissions = self.class_list(module, decorator.arg(0))
            elif resolved == "rest_framework.decorators.authentication_classes":
                authentication = self.class_list(module, decorator.arg(0))
        if kind is None:
            if not (routed or (function.args[:1] == ("request",) and "views" in self.resolver.modules[module].kinds)):
                return None
            kind = "django-function"
        return ViewFact(
            qualname=function.qualname,
            name=function.name,
            module=module,
            path=self.resolver.modules[module].path,
            line=function.line,
            kind=kind,
            bases=(),
            ancestors=(),
            queryset=None,
            serializer_class=None,
            permission_classes=permissions,
            authentication_classes=authentication,
            http_method_names=None,
            methods=frozenset(),
            decorators=tuple(decorators),
            api_methods=api_methods,
        )

    def link(self, routed_views: set[str]) -> tuple[dict[str, SerializerFact], dict[str, ViewFact]]:
        serializers = {cls: self.serializer(cls) for cls in sorted(self.serializer_classes)}
        views: dict[str, ViewFact] = {}
        for cls in sorted(self.resolver.classes):
            kind = self.view_kind(cls)
            if kind is not None:
                views[cls] = self.class_view(cls, kind)
        for module, info in sorted(self.resolver.modules.items()):
            for function in info.functions.values():
                view = self.function_view(function, module, function.qualname in routed_views)
                if view is not None:
                    views[function.qualname] = view
        return serializers, views
