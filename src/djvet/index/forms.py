"""ModelForm facts: Django `ModelForm` classes with their effective Meta, inherited across files, and
whether the admin is where they are used."""

from __future__ import annotations

from collections.abc import Mapping

from djvet.index.drf import meta_model, meta_names, meta_option
from djvet.index.expr import Call, Name
from djvet.index.facts import FormFact
from djvet.index.resolve import Resolver

MODEL_FORM_BASES = frozenset({"django.forms.ModelForm", "django.forms.models.ModelForm"})
FORM_FIELD_MODULES = ("django.forms.", "django.contrib.postgres.forms.")
ADMIN_BASES = frozenset(
    {
        "django.contrib.admin.ModelAdmin",
        "django.contrib.admin.options.ModelAdmin",
        "django.contrib.admin.options.BaseModelAdmin",
        "django.contrib.admin.TabularInline",
        "django.contrib.admin.StackedInline",
        "django.contrib.admin.options.TabularInline",
        "django.contrib.admin.options.StackedInline",
        "django.contrib.admin.options.InlineModelAdmin",
        "django.contrib.auth.admin.UserAdmin",
        "django.contrib.auth.admin.GroupAdmin",
    }
)
# the attributes through which an admin class uses a form
ADMIN_FORM_ATTRS = ("form", "add_form", "change_password_form")


class FormLinker:
    def __init__(self, resolver: Resolver, models: Mapping[str, object], user_model: str | None = None) -> None:
        self.resolver = resolver
        self.models = models
        self.user_model = user_model
        self.form_classes = {
            qn for qn in resolver.classes if qn not in MODEL_FORM_BASES and resolver.inherits(qn, MODEL_FORM_BASES)
        }

    def admin_forms(self) -> set[str]:
        """Forms an admin class names as its form (the admin is staff-only, and with no form of its
        own it edits every field anyway)."""
        used = set()
        for cls, info in self.resolver.classes.items():
            if not self.resolver.inherits(cls, ADMIN_BASES):
                continue
            for attr in ADMIN_FORM_ATTRS:
                value = info.attrs.get(attr)
                if isinstance(value, Name):
                    used.add(self.resolver.resolve_class(info.module, value.dotted))
        return used

    def declared(self, cls: str) -> tuple[str, ...]:
        names: dict[str, None] = {}
        for ancestor in reversed(self.resolver.mro(cls)):
            info = self.resolver.classes.get(ancestor)
            if info is None:
                continue
            for name, value in info.attrs.items():
                if isinstance(value, Call) and isinstance(value.func, Name):
                    if self.resolver.resolve(info.module, value.func.dotted).startswith(FORM_FIELD_MODULES):
                        names[name] = None
        return tuple(names)

    def form(self, cls: str, admin_forms: set[str]) -> FormFact:
        info = self.resolver.classes[cls]
        meta = self.resolver.find_inner(cls, "Meta")
        model_expr, model_class = meta_model(self.resolver, meta, self.user_model)
        model = model_class if model_class in self.models else None
        fields_expr, fields_origin = meta_option(self.resolver, meta, "fields")
        exclude_expr, exclude_origin = meta_option(self.resolver, meta, "exclude")
        module = self.resolver.modules[info.module]
        return FormFact(
            qualname=cls,
            name=info.name,
            module=info.module,
            path=module.path,
            line=info.line,
            ancestors=self.resolver.mro(cls),
            own_meta=info.inner.get("Meta"),
            meta=meta,
            model=model,
            model_written=model_expr.dotted if isinstance(model_expr, Name) else None,
            fields=meta_names(self.resolver, fields_origin, fields_expr) if fields_origin else None,
            fields_origin=fields_origin,
            exclude=meta_names(self.resolver, exclude_origin, exclude_expr) if exclude_origin else None,
            exclude_origin=exclude_origin,
            declared=self.declared(cls),
            admin=cls in admin_forms or "admin" in module.kinds,
            model_class=model_class,
        )

    def link(self) -> dict[str, FormFact]:
        admin_forms = self.admin_forms()
        return {cls: self.form(cls, admin_forms) for cls in sorted(self.form_classes)}
