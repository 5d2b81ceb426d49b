"""The fields a ModelSerializer really exposes and accepts, as DRF builds them: `Meta.fields` /
`exclude` / `"__all__"`, declared fields, `read_only_fields`, `extra_kwargs`, `read_only` /
`write_only`, `HiddenField`, `depth`, and what the model says (`editable=False`, auto fields)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from djvet.index.expr import UNKNOWN
from djvet.index.facts import DeclaredField, FieldFact, ModelFact, ProjectIndex, SerializerFact
from djvet.index.models import DJANGO_ABSTRACT_MODELS, USER_MODEL

# DRF field classes a client never writes: computed, read-only or filled by the server
READ_ONLY_CLASSES = frozenset({"SerializerMethodField", "ReadOnlyField", "HiddenField", "HyperlinkedIdentityField"})
AUTO_FIELDS = frozenset({"AutoField", "BigAutoField", "SmallAutoField"})
# relations DRF's `"__all__"` leaves out (private fields: not in `_meta.fields` or many_to_many)
PRIVATE_RELATIONS = ("generic-fk", "generic-relation")
# project methods that change which fields a serializer has or how they are built
FIELD_METHODS = frozenset({"get_fields", "get_field_names", "get_extra_kwargs", "build_field", "get_default_field_names"})
HYPERLINKED = "rest_framework.serializers.HyperlinkedModelSerializer"


@dataclass(frozen=True, slots=True)
class ExposedField:
    name: str
    model_field: FieldFact | None  # the model field behind it (by `source` or name), None for others
    declared: DeclaredField | None
    readable: bool  # in the output
    writable: object  # accepted from the client: True | False | UNKNOWN
    listed: bool  # named in an explicit `Meta.fields` list, or declared on the serializer


@dataclass(frozen=True, slots=True)
class Exposure:
    serializer: SerializerFact
    model: ModelFact
    via: str  # fields | __all__ | exclude
    fields: Mapping[str, ExposedField]
    overrides: frozenset[str]  # methods project classes of the serializer define

    @property
    def dynamic(self) -> bool:
        """A project method decides the fields at run time: djvet's list may be wrong."""
        return bool(self.overrides & FIELD_METHODS)


def short_class(qualname: str) -> str:
    return qualname.rpartition(".")[2]


def serializer_methods(index: ProjectIndex, fact: SerializerFact) -> frozenset[str]:
    """The methods defined by project classes in the serializer's MRO (mixins included)."""
    names: set[str] = set()
    for cls in fact.ancestors:
        info = index.classes.get(cls)
        if info is not None:
            names.update(info.methods)
    return frozenset(names)


def pk_name(model: ModelFact) -> str:
    return next((f.name for f in model.fields.values() if f.options.get("primary_key") is True), "id")


def default_names(index: ProjectIndex, fact: SerializerFact, model: ModelFact) -> list[str]:
    """What `"__all__"` means for this serializer, in DRF's order: the pk (or `url` for a
    hyperlinked serializer), declared fields, model fields, then forward relations."""
    first = "url" if any(HYPERLINKED == c for c in fact.ancestors) else pk_name(model)
    plain = [f.name for f in model.fields.values() if f.relation is None]
    relations = [f.name for f in model.fields.values() if f.relation is not None and f.relation not in PRIVATE_RELATIONS]
    return list(dict.fromkeys([first, *fact.declared, *plain, *relations]))


def _option(extra_kwargs: object, name: str, key: str) -> object:
    if not isinstance(extra_kwargs, dict):
        return UNKNOWN if extra_kwargs is not None else None
    entry = extra_kwargs.get(name)
    if entry is None:
        return None
    return entry.get(key) if isinstance(entry, dict) else UNKNOWN


def _model_field_writable(fact: SerializerFact, model: ModelFact, name: str, field: FieldFact | None) -> object:
    if field is None:
        return False  # the pk, a property or a reverse accessor: read-only, or not a column djvet knows
    if field.options.get("editable") is False or field.options.get("auto_now") or field.options.get("auto_now_add"):
        return False
    if short_class(field.field_class) in AUTO_FIELDS:
        return False
    if field.relation is not None and isinstance(fact.depth, int) and fact.depth > 0:
        return False  # DRF nests relations read-only under `depth`
    read_only = fact.read_only_fields
    if read_only is UNKNOWN:
        return UNKNOWN
    if isinstance(read_only, tuple) and name in read_only:
        return False
    option = _option(fact.extra_kwargs, name, "read_only")
    if option is UNKNOWN:
        return UNKNOWN
    return option is not True


def _is_related_field(index: ProjectIndex, field_class: str) -> bool:
    """PrimaryKeyRelatedField, SlugRelatedField ... and project subclasses of them."""
    return any(short_class(c).endswith("RelatedField") for c in (field_class, *index.mros.get(field_class, ())))


def _declared_writable(index: ProjectIndex, declared: DeclaredField, field: FieldFact | None) -> object:
    if declared.read_only or short_class(declared.field_class) in READ_ONLY_CLASSES:
        return False
    if declared.serializer is not None:
        return UNKNOWN  # a nested serializer: DRF refuses nested writes unless create()/update() handle them
    if field is not None and field.relation is not None and not _is_related_field(index, declared.field_class):
        # `user = CharField(...)` over a foreign key: the value is a string, which the model
        # refuses to take as the related object
        return False
    return True


def field_for(model: ModelFact, name: str, declared: DeclaredField | None) -> FieldFact | None:
    source = declared.source if declared is not None and declared.source else name
    return model.fields.get(source)


def django_user_model() -> ModelFact:
    """django.contrib.auth.models.User as the index would describe it (it is not a project model)."""
    fields = {
        name: FieldFact(name, field_class, 0, USER_MODEL, relation, target)
        for name, field_class, relation, target in DJANGO_ABSTRACT_MODELS[USER_MODEL]
    }
    return ModelFact(USER_MODEL, "User", "django.contrib.auth.models", "", 0, "auth", False, False, (), fields, {}, {})


def find_model(index: ProjectIndex, qualname: str | None) -> ModelFact | None:
    """A project model, or Django's User; None for any other model djvet cannot read."""
    if qualname in index.models:
        return index.models[qualname]  # type: ignore[index]
    return django_user_model() if qualname == USER_MODEL else None


def serializer_exposure(index: ProjectIndex, fact: SerializerFact) -> Exposure | None:
    """None when djvet cannot know the field list: not a ModelSerializer, no model it can read,
    a model with bases outside the project, or a field list that is not a literal."""
    model = find_model(index, fact.model_class) if fact.is_model_serializer else None
    if model is None or model.partial:
        return None
    if isinstance(fact.fields, tuple):
        names, via = list(fact.fields), "fields"
    elif fact.fields == "__all__":
        names, via = default_names(index, fact, model), "__all__"
    elif isinstance(fact.exclude, tuple) and fact.fields is None:
        names, via = [n for n in default_names(index, fact, model) if n not in fact.exclude], "exclude"
    else:
        return None
    exposed = {}
    for name in names:
        declared = fact.declared.get(name)
        field = field_for(model, name, declared)
        if declared is not None:
            hidden = short_class(declared.field_class) == "HiddenField"
            readable = not declared.write_only and not hidden
            writable = _declared_writable(index, declared, field)
        else:
            readable = _option(fact.extra_kwargs, name, "write_only") is not True
            writable = _model_field_writable(fact, model, name, field)
        exposed[name] = ExposedField(name, field, declared, readable, writable, via == "fields" or declared is not None)
    return Exposure(fact, model, via, exposed, serializer_methods(index, fact))
