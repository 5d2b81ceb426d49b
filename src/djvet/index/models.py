"""Model facts: fields with their relations resolved across apps, reverse accessors, managers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from djvet.index.expr import UNKNOWN, Call, Const, Expr, Name, literal
from djvet.index.facts import ClassInfo, FieldFact, ManagerFact, ModelFact
from djvet.index.resolve import Resolver

MODEL_BASES = frozenset({"django.db.models.Model", "django.db.models.base.Model"})
USER_MODEL = "django.contrib.auth.models.User"
# Django's own models that project models relate to, by label.
DJANGO_MODELS = {
    "auth.user": USER_MODEL,
    "auth.group": "django.contrib.auth.models.Group",
    "auth.permission": "django.contrib.auth.models.Permission",
    "contenttypes.contenttype": "django.contrib.contenttypes.models.ContentType",
    "sites.site": "django.contrib.sites.models.Site",
    "sessions.session": "django.contrib.sessions.models.Session",
    "admin.logentry": "django.contrib.admin.models.LogEntry",
    "flatpages.flatpage": "django.contrib.flatpages.models.FlatPage",
    "redirects.redirect": "django.contrib.redirects.models.Redirect",
}


def _field(name: str, cls: str, relation: str | None = None, target: str | None = None) -> tuple[str, str, str | None, str | None]:
    return (name, cls, relation, target)


_M = "django.db.models."
_ABSTRACT_BASE_USER = (_field("password", _M + "CharField"), _field("last_login", _M + "DateTimeField"))
_PERMISSIONS_MIXIN = (
    _field("is_superuser", _M + "BooleanField"),
    _field("groups", _M + "ManyToManyField", "m2m", "django.contrib.auth.models.Group"),
    _field("user_permissions", _M + "ManyToManyField", "m2m", "django.contrib.auth.models.Permission"),
)
_ABSTRACT_USER = (
    _field("username", _M + "CharField"),
    _field("first_name", _M + "CharField"),
    _field("last_name", _M + "CharField"),
    _field("email", _M + "EmailField"),
    _field("is_staff", _M + "BooleanField"),
    _field("is_active", _M + "BooleanField"),
    _field("date_joined", _M + "DateTimeField"),
)
# Django's abstract models a project model may subclass, with the fields they add.
DJANGO_ABSTRACT_MODELS: Mapping[str, tuple[tuple[str, str, str | None, str | None], ...]] = {
    "django.contrib.auth.base_user.AbstractBaseUser": _ABSTRACT_BASE_USER,
    "django.contrib.auth.models.AbstractBaseUser": _ABSTRACT_BASE_USER,
    "django.contrib.auth.models.PermissionsMixin": _PERMISSIONS_MIXIN,
    "django.contrib.auth.models.AbstractUser": _ABSTRACT_BASE_USER + _PERMISSIONS_MIXIN + _ABSTRACT_USER,
    "django.contrib.auth.models.User": _ABSTRACT_BASE_USER + _PERMISSIONS_MIXIN + _ABSTRACT_USER,
}
RELATION_FIELDS = {
    "ForeignKey": "fk",
    "OneToOneField": "o2o",
    "ManyToManyField": "m2m",
    "GenericForeignKey": "generic-fk",
    "GenericRelation": "generic-relation",
    "ParentalKey": "fk",  # modelcluster (wagtail)
    "ParentalManyToManyField": "m2m",
    "TreeForeignKey": "fk",  # mptt
    "TreeOneToOneField": "o2o",
    "TreeManyToManyField": "m2m",
}
RELATION_MODULES = ("django.db.models", "django.contrib.contenttypes", "modelcluster.", "mptt.")
MANAGER_BASES = frozenset({"django.db.models.Manager", "django.db.models.manager.Manager", "django.db.models.manager.BaseManager"})
QUERYSET_BASES = frozenset({"django.db.models.QuerySet", "django.db.models.query.QuerySet"})
NOT_MODEL_PREFIXES = ("rest_framework.", "django.forms.", "django.views.", "django.contrib.admin.", "django_filters.")
FIELD_BASES = frozenset({"django.db.models.Field", "django.db.models.fields.Field"})


class ModelLinker:
    def __init__(self, resolver: Resolver, app_labels: Mapping[str, str], user_model_label: object) -> None:
        self.resolver = resolver
        self.app_labels = app_labels  # package -> label
        self.user_model_label = user_model_label
        self.model_classes = {qn for qn in resolver.classes if self.is_model(qn)}
        self._labels = {self.label_of(qn).lower(): qn for qn in self.model_classes}

    # -- what is a model -------------------------------------------------------------------------

    def is_model(self, cls: str) -> bool:
        mro = self.resolver.mro(cls)
        if cls not in self.resolver.classes or "." in self.resolver.classes[cls].qualname[len(self.resolver.classes[cls].module) + 1 :]:
            return False  # nested classes (Meta) are never models
        if any(c in MODEL_BASES or c in DJANGO_ABSTRACT_MODELS for c in mro):
            return True
        # A base from a third-party package (MPTTModel, wagtail's Page ...): a model if it declares Django fields.
        info = self.resolver.classes[cls]
        # `class Mixin(object)` is a plain class: Django takes no fields from it
        outside = [c for c in mro[1:] if c not in self.resolver.classes and c not in ("object", "builtins.object")]
        if not outside or any(c.startswith(NOT_MODEL_PREFIXES) for c in outside):
            return False
        return any(self._is_django_field(self._field_class(info, v)) for v in info.attrs.values())

    def _is_django_field(self, field_class: str | None) -> bool:
        if field_class is None:
            return False
        return field_class.startswith(RELATION_MODULES) or field_class in self.resolver.classes

    def is_partial(self, cls: str) -> bool:
        outside = [c for c in self.resolver.mro(cls) if c not in self.resolver.classes]
        known = MODEL_BASES | set(DJANGO_ABSTRACT_MODELS) | {"object", "builtins.object"}
        return any(c not in known and not c.startswith("django.") for c in outside)

    def meta_value(self, cls: str, key: str) -> object:
        info = self.resolver.classes[cls]
        meta = info.inner.get("Meta")
        if meta is None:
            return None
        value = self.resolver.classes[meta].attrs.get(key)
        return None if value is None else literal(value)

    def package_of(self, module: str) -> str:
        parts = module.split(".")
        if "models" in parts:
            return ".".join(parts[: parts.index("models")])
        return ".".join(parts[:-1])

    def label_of(self, cls: str) -> str:
        info = self.resolver.classes[cls]
        app_label = self.meta_value(cls, "app_label")
        if not isinstance(app_label, str):
            package = self.package_of(info.module)
            app_label = self.app_labels.get(package) or package.rsplit(".", 1)[-1] or info.module
        return f"{app_label}.{info.name}"

    # -- fields ----------------------------------------------------------------------------------

    def _field_class(self, info: ClassInfo, value: Expr) -> str | None:
        if not isinstance(value, Call) or not isinstance(value.func, Name):
            return None
        resolved = self.resolver.resolve(info.module, value.func.dotted)
        short = resolved.rsplit(".", 1)[-1]
        if resolved.startswith("django.db.models") and (short.endswith("Field") or short in RELATION_FIELDS):
            return resolved
        if short in RELATION_FIELDS and resolved.startswith(RELATION_MODULES):
            return resolved
        if resolved in self.resolver.classes and self.resolver.inherits(resolved, FIELD_BASES):
            return resolved
        if resolved not in self.resolver.classes and short.endswith("Field") and short[0].isupper():
            return resolved  # a third-party field (CountryField, ArrayField ...)
        return None

    def relation_kind(self, field_class: str) -> str | None:
        for ancestor in self.resolver.mro(field_class):
            kind = RELATION_FIELDS.get(ancestor.rsplit(".", 1)[-1])
            if kind and (ancestor.startswith(RELATION_MODULES) or ancestor in self.resolver.classes):
                return kind
        return None

    def user_model(self) -> str | None:
        if self.user_model_label is UNKNOWN:
            return None  # AUTH_USER_MODEL is set to something djvet cannot read: no guess
        label = self.user_model_label if isinstance(self.user_model_label, str) else "auth.User"
        return self.target_by_label(label, None) or USER_MODEL

    def target_by_label(self, label: str, same_app: str | None) -> str | None:
        if "." not in label and same_app is not None:
            label = f"{same_app}.{label}"
        key = label.lower()
        return self._labels.get(key) or DJANGO_MODELS.get(key)

    def resolve_target(self, module: str, model: str, expr: Expr | None) -> str | None:
        if isinstance(expr, Const) and isinstance(expr.value, str):
            if expr.value == "self":
                return model
            if expr.value.lower() == "auth.user" or expr.value == "AUTH_USER_MODEL":
                return self.user_model()
            return self.target_by_label(expr.value, self.label_of(model).split(".")[0])
        if isinstance(expr, Name):
            resolved = self.resolver.resolve(module, expr.dotted)
            if resolved in ("django.conf.settings.AUTH_USER_MODEL",) or expr.dotted.endswith("AUTH_USER_MODEL"):
                return self.user_model()
            if resolved in self.model_classes or resolved in DJANGO_MODELS.values():
                return resolved
        if isinstance(expr, Call) and isinstance(expr.func, Name):
            if self.resolver.resolve(module, expr.func.dotted) == "django.contrib.auth.get_user_model":
                return self.user_model()
        return None

    def own_fields(self, cls: str, concrete: str) -> list[FieldFact]:
        info = self.resolver.classes[cls]
        fields = []
        for name, value in info.attrs.items():
            field_class = self._field_class(info, value)
            if field_class is None or not isinstance(value, Call):
                continue
            relation = self.relation_kind(field_class)
            target = None
            if relation in ("fk", "o2o", "m2m", "generic-relation"):
                target = self.resolve_target(info.module, concrete, value.arg(0, "to"))
            options = {k: literal(v) for k, v in value.kwargs if literal(v) is not UNKNOWN}
            related_name = options.get("related_name")
            if isinstance(related_name, str):
                app_label, model_name = self.label_of(concrete).split(".")
                related_name = related_name.replace("%(class)s", model_name.lower()).replace("%(app_label)s", app_label.lower())
                related_name = related_name.replace("%(model_name)s", model_name.lower())
            else:
                related_name = None
            to = value.arg(0, "to")
            symmetrical = options.get("symmetrical", isinstance(to, Const) and to.value == "self")
            if relation == "m2m" and symmetrical is True and target == concrete:
                related_name = f"{name}_rel_+"  # as Django does: a symmetrical m2m to self has no accessor
            fields.append(
                FieldFact(
                    name=name,
                    field_class=field_class,
                    line=info.attr_lines.get(name, info.line),
                    model=cls,
                    relation=relation,
                    target=target,
                    related_name=related_name,
                    null=options.get("null") is True,
                    options=options,
                )
            )
        return fields

    def all_fields(self, cls: str) -> dict[str, FieldFact]:
        fields: dict[str, FieldFact] = {}
        for ancestor in reversed(self.resolver.mro(cls)):
            if ancestor in DJANGO_ABSTRACT_MODELS:
                for name, field_class, relation, target in DJANGO_ABSTRACT_MODELS[ancestor]:
                    fields[name] = FieldFact(name, field_class, 0, ancestor, relation, target)
            elif ancestor in self.model_classes or (ancestor == cls):
                for field in self.own_fields(ancestor, cls):
                    fields[field.name] = field
        return fields

    # -- managers --------------------------------------------------------------------------------

    def managers(self, cls: str) -> dict[str, ManagerFact]:
        managers: dict[str, ManagerFact] = {}
        for ancestor in reversed(self.resolver.mro(cls)):
            info = self.resolver.classes.get(ancestor)
            if info is None or ancestor not in self.model_classes:
                continue
            for name, value in info.attrs.items():
                manager = self._manager(info, name, value)
                if manager is not None:
                    managers[name] = manager
        return managers

    def _manager(self, info: ClassInfo, name: str, value: Expr) -> ManagerFact | None:
        if not isinstance(value, Call):
            return None
        line = info.attr_lines.get(name, info.line)
        func = value.func
        if isinstance(func, Name):
            resolved = self.resolver.resolve(info.module, func.dotted)
            if resolved.endswith(".as_manager"):
                queryset = resolved[: -len(".as_manager")]
                return ManagerFact(name, None, queryset if queryset in self.resolver.classes else None, line)
            if resolved in MANAGER_BASES or resolved.endswith("Manager"):
                project = resolved in self.resolver.classes
                return ManagerFact(name, resolved if project else None, self._queryset_of(resolved) if project else None, line)
            if resolved in self.resolver.classes and self.resolver.inherits(resolved, MANAGER_BASES):
                return ManagerFact(name, resolved, self._queryset_of(resolved), line)
        if isinstance(func, Call) and isinstance(func.func, Name) and func.func.dotted.endswith(".from_queryset"):
            manager = self.resolver.resolve(info.module, func.func.dotted[: -len(".from_queryset")])
            queryset = self.resolver.resolve_expr(info.module, func.arg(0))
            return ManagerFact(
                name,
                manager if manager in self.resolver.classes else None,
                queryset if queryset in self.resolver.classes else None,
                line,
            )
        return None

    def _queryset_of(self, manager: str) -> str | None:
        """QS of `class M(Manager.from_queryset(QS))`, in M or a base of M."""
        for ancestor in self.resolver.mro(manager):
            info = self.resolver.classes.get(ancestor)
            if info is None:
                continue
            for base in info.bases:
                if isinstance(base, Call) and isinstance(base.func, Name) and base.func.dotted.endswith(".from_queryset"):
                    queryset = self.resolver.resolve_expr(info.module, base.arg(0))
                    return queryset if queryset in self.resolver.classes else None
        return None

    # -- all together ----------------------------------------------------------------------------

    def link(self) -> dict[str, ModelFact]:
        partial: dict[str, dict[str, object]] = {}
        for cls in sorted(self.model_classes):
            info = self.resolver.classes[cls]
            partial[cls] = {
                "fields": self.all_fields(cls),
                "abstract": self.meta_value(cls, "abstract") is True,
                "proxy": self.meta_value(cls, "proxy") is True,
            }
        reverse: dict[str, dict[str, FieldFact]] = {cls: {} for cls in partial}
        for cls, data in partial.items():
            if data["abstract"]:
                continue
            model_name = self.resolver.classes[cls].name.lower()
            for field in data["fields"].values():  # type: ignore[attr-defined]
                if field.relation not in ("fk", "o2o", "m2m") or field.target not in reverse:
                    continue
                declared_by = partial.get(field.model)
                if field.model != cls and (declared_by is None or not declared_by["abstract"]):
                    continue  # inherited from a concrete parent (multi-table, proxy): the parent's accessor
                if field.related_name is not None:
                    if field.related_name.endswith("+"):
                        continue
                    accessor = field.related_name
                else:
                    accessor = model_name if field.relation == "o2o" else f"{model_name}_set"
                # In the reverse map, `model` is the concrete model holding the field (an abstract
                # base declares it, but the accessor's rows are of the concrete model).
                reverse[field.target].setdefault(accessor, replace(field, model=cls))  # type: ignore[index]
        models = {}
        for cls, data in partial.items():
            info = self.resolver.classes[cls]
            models[cls] = ModelFact(
                qualname=cls,
                name=info.name,
                module=info.module,
                path=self.resolver.modules[info.module].path,
                line=info.line,
                app_label=self.label_of(cls).split(".")[0],
                abstract=bool(data["abstract"]),
                proxy=bool(data["proxy"]),
                bases=self.resolver.bases(cls),
                fields=data["fields"],  # type: ignore[arg-type]
                reverse=reverse[cls],
                managers=self.managers(cls),
                partial=self.is_partial(cls),
            )
        return models
