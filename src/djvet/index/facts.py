"""Frozen facts about a project. They refer to each other by qualified name, never by syntax node,
so they pickle (for jobs and the on-disk cache) and outlive the trees they came from."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from djvet.index.expr import UNKNOWN, Expr, pickle_by_fields

__all__ = [
    "UNKNOWN",
    "ActionFact",
    "Branch",
    "ClassInfo",
    "Condition",
    "DeclaredField",
    "FieldFact",
    "FormFact",
    "FunctionInfo",
    "ManagerFact",
    "ModelFact",
    "ModuleInfo",
    "ProjectIndex",
    "QuerysetFact",
    "RouteFact",
    "SerializerFact",
    "SettingValue",
    "SettingsFact",
    "Statement",
    "ViewFact",
]


# ---- per module, straight from one file's syntax -------------------------------------------


@dataclass(frozen=True, slots=True)
class Condition:
    """A test read from an `if`: `self.action in ("list", "retrieve")`, `request.method == "GET"`,
    `request.method not in SAFE_METHODS`. A membership test of `subject` as written (`==` is
    membership in one value), against string literals and/or names resolved later."""

    subject: str  # dotted, as written: self.action | view.action | request.method | self.request.method
    values: tuple[str, ...] = ()
    names: tuple[str, ...] = ()  # dotted names compared against (`SAFE_METHODS`), as written
    negated: bool = False


@dataclass(frozen=True, slots=True)
class Branch:
    """One path through a short method: the conditions met on the way (None: a test djvet cannot
    read) and what it returns (None: the path raises)."""

    conditions: tuple[Condition | None, ...]
    value: Expr | None
    guarded: bool = False  # a call or assert on the path might raise or change state


@dataclass(frozen=True, slots=True)
class FunctionInfo:
    name: str
    qualname: str
    line: int
    end_line: int
    decorators: tuple[Expr, ...]
    args: tuple[str, ...]
    is_async: bool
    # attribute calls made in the body, as `receiver.method` or `method` for calls on other values
    calls: frozenset[str] = frozenset()
    returns: tuple[Expr, ...] = ()
    # the paths through permission methods (index.branches.BRANCH_FUNCTIONS); None when not read
    branches: tuple[Branch, ...] | None = None
    # the body reads `request.user` / `request.auth` (or `self.request.`...) or passes the request on:
    # the function may decide who the caller is by itself
    uses_request_user: bool = False
    # dotted names of the calls made with a `data=` keyword (`UserSerializer(data=request.data)`,
    # `self.get_serializer(data=...)`): where serializers are fed client input
    data_calls: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class ClassInfo:
    name: str
    qualname: str
    module: str
    line: int
    end_line: int
    bases: tuple[Expr, ...]
    decorators: tuple[Expr, ...]
    attrs: Mapping[str, Expr]
    attr_lines: Mapping[str, int]
    methods: Mapping[str, FunctionInfo]
    inner: Mapping[str, str]  # nested class name -> qualname


@dataclass(frozen=True, slots=True)
class Statement:
    """A module-level statement that settings and URLconfs are read from, in source order."""

    kind: str  # assign | augassign | star-import | import | call
    line: int
    targets: tuple[str, ...] = ()
    value: Expr | None = None
    op: str = ""
    module: str = ""  # star-import / import: the absolute module
    names: tuple[tuple[str, str], ...] = ()  # import: (local name, name in module)
    conditional: bool = False  # inside if / try / with / for at module level


@dataclass(frozen=True, slots=True)
class ModuleInfo:
    name: str
    path: str  # relative to the project root, posix separators
    is_package: bool
    kinds: frozenset[str]
    imports: Mapping[str, str]  # local name -> absolute dotted name
    star_imports: tuple[str, ...]
    classes: Mapping[str, ClassInfo]  # qualname -> class, nested classes included
    functions: Mapping[str, FunctionInfo]  # module-level functions by name
    statements: tuple[Statement, ...]


# ---- linked facts ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FieldFact:
    name: str
    field_class: str  # qualified class name as resolved, e.g. django.db.models.CharField
    line: int
    model: str  # qualname of the model that declares it
    relation: str | None = None  # fk | o2o | m2m | generic-fk | generic-relation
    target: str | None = None  # model qualname, or a Django one (django.contrib.auth.models.User)
    related_name: str | None = None
    null: bool = False
    options: Mapping[str, object] = field(default_factory=dict)  # literal keyword arguments


@dataclass(frozen=True, slots=True)
class ManagerFact:
    name: str
    manager_class: str | None  # qualname when it is a project class
    queryset_class: str | None  # from QuerySet.as_manager() / Manager.from_queryset(QS)
    line: int


@dataclass(frozen=True, slots=True)
class ModelFact:
    qualname: str
    name: str
    module: str
    path: str
    line: int
    app_label: str
    abstract: bool
    proxy: bool
    bases: tuple[str, ...]
    fields: Mapping[str, FieldFact]  # own and inherited, in declaration order
    reverse: Mapping[str, FieldFact]  # reverse accessor name -> the field on the other model
    managers: Mapping[str, ManagerFact]
    # True when a base outside the project and outside Django may add fields djvet cannot see
    partial: bool = False

    @property
    def label(self) -> str:
        return f"{self.app_label}.{self.name}"


@dataclass(frozen=True, slots=True)
class DeclaredField:
    name: str
    line: int
    field_class: str  # resolved qualname of the field's class
    serializer: str | None = None  # qualname when the field is a nested project serializer
    many: bool = False
    source: str | None = None
    read_only: bool = False
    write_only: bool = False
    declared_in: str = ""


@dataclass(frozen=True, slots=True)
class SerializerFact:
    qualname: str
    name: str
    module: str
    path: str
    line: int
    bases: tuple[str, ...]
    ancestors: tuple[str, ...]  # the MRO, this class first
    is_model_serializer: bool
    own_meta: str | None  # qualname of the Meta class written in this serializer's body
    meta: str | None  # qualname of the Meta in force (own or inherited)
    model: str | None  # resolved model qualname; None when not set or not resolvable
    model_written: str | None  # Meta.model as written
    fields: object  # tuple of names | "__all__" | None (not set) | UNKNOWN
    fields_origin: str | None  # qualname of the Meta class that sets `fields`
    exclude: object  # tuple | None | UNKNOWN
    exclude_origin: str | None
    read_only_fields: object
    extra_kwargs: object
    depth: object
    declared: Mapping[str, DeclaredField]
    # qualnames of the Meta classes that set these options (None when unset)
    read_only_fields_origin: str | None = None
    extra_kwargs_origin: str | None = None
    depth_origin: str | None = None
    # Meta.model resolved even when it is not a project model (`django.contrib.auth.models.User`),
    # `get_user_model()` included
    model_class: str | None = None


@dataclass(frozen=True, slots=True)
class FormFact:
    """A Django `ModelForm` with its effective Meta (own or inherited), like SerializerFact's."""

    qualname: str
    name: str
    module: str
    path: str
    line: int
    ancestors: tuple[str, ...]  # the MRO, this class first
    own_meta: str | None
    meta: str | None
    model: str | None
    model_written: str | None
    fields: object  # tuple of names | "__all__" | None (not set) | UNKNOWN
    fields_origin: str | None
    exclude: object  # tuple | None | UNKNOWN
    exclude_origin: str | None
    declared: tuple[str, ...] = ()  # form fields declared in the class body (own and inherited)
    admin: bool = False  # set as `form = ...` of a ModelAdmin / InlineModelAdmin, or written in an admin module
    model_class: str | None = None  # Meta.model resolved, project model or not


@dataclass(frozen=True, slots=True)
class QuerysetFact:
    """`Model.objects.select_related("a").filter(...)` read as a model and a chain of calls."""

    model: str | None  # qualname of the model, when the chain starts from one
    manager: str | None
    calls: tuple[tuple[str, tuple[object, ...]], ...]  # (method, literal args or UNKNOWN)
    line: int


@dataclass(frozen=True, slots=True)
class ActionFact:
    name: str
    line: int
    methods: tuple[str, ...]
    detail: object  # bool | UNKNOWN
    permission_classes: object  # tuple of qualnames | None | UNKNOWN
    url_path: str | None = None  # @action(url_path=...) when written as a literal; None: the method's name


@dataclass(frozen=True, slots=True)
class ViewFact:
    qualname: str
    name: str
    module: str
    path: str
    line: int
    kind: str  # drf-apiview | drf-generic | drf-viewset | drf-function | django-cbv | django-function
    bases: tuple[str, ...]
    ancestors: tuple[str, ...]  # the MRO, this class first
    queryset: QuerysetFact | None
    serializer_class: str | None
    permission_classes: object  # tuple of qualnames | None (not set: project default) | UNKNOWN
    authentication_classes: object
    http_method_names: object  # tuple | None | UNKNOWN
    methods: frozenset[str]  # methods defined in the class (own and inherited project classes)
    decorators: tuple[str, ...]
    actions: tuple[ActionFact, ...] = ()
    api_methods: tuple[str, ...] = ()  # @api_view([...]) methods of a DRF function view


@dataclass(frozen=True, slots=True)
class RouteFact:
    module: str
    path: str
    line: int
    kind: str  # path | re_path | include | router
    pattern: str | None
    view: str | None  # qualname of the view function or class
    include: str | None  # included URLconf module
    name: str | None = None
    basename: str | None = None
    # the patterns of the inline includes it sits in, outermost first: path("a/", include([...]))
    prefix: tuple[str, ...] = ()
    # decorators applied in the URLconf, resolved: path("x/", login_required(View.as_view()))
    decorators: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SettingValue:
    value: object  # a Python value (tuples for lists), or UNKNOWN
    path: str
    line: int
    from_env: bool = False  # read from the environment; `value` is then the default, if any
    env_var: str | None = None
    conditional: bool = False
    # a list whose value is UNKNOWN because code run conditionally adds to it: the items it
    # certainly holds (`if X: MIDDLEWARE.append(...)`); None otherwise
    at_least: tuple[object, ...] | None = None
    # A list whose value is UNKNOWN only because items were added to it under a condition
    # (`if X: MIDDLEWARE.append("a.B")`): every item it may hold. None when not known.
    possible: tuple[object, ...] | None = None


@dataclass(frozen=True, slots=True)
class SettingsFact:
    module: str
    path: str
    values: Mapping[str, SettingValue]

    def get(self, name: str, default: object = None) -> object:
        setting = self.values.get(name)
        return default if setting is None else setting.value


@dataclass(frozen=True, slots=True)
class ProjectIndex:
    root: str
    modules: Mapping[str, ModuleInfo]  # module name -> info
    paths: Mapping[str, str]  # relative path -> module name
    classes: Mapping[str, ClassInfo]
    mros: Mapping[str, tuple[str, ...]]
    models: Mapping[str, ModelFact]
    serializers: Mapping[str, SerializerFact]
    views: Mapping[str, ViewFact]
    routes: tuple[RouteFact, ...]
    settings_modules: Mapping[str, SettingsFact]
    settings: SettingsFact | None  # the settings module in force (config, manage.py, or the only one)
    app_labels: Mapping[str, str]  # app label -> package
    source_roots: tuple[str, ...] = ()  # packages that are also sys.path entries (see Resolver)
    forms: Mapping[str, FormFact] = field(default_factory=dict)  # Django ModelForms
    user_model: str | None = None  # AUTH_USER_MODEL resolved (None: set to something djvet cannot read)
    # modules that read as Django settings by their content (`settings_docker.py`, `_base_settings.py`)
    # without being named settings or named by an entry point; only DJV5xx judges them
    content_settings: Mapping[str, SettingsFact] = field(default_factory=dict)

    def module_for_path(self, relpath: str) -> ModuleInfo | None:
        name = self.paths.get(relpath)
        return self.modules.get(name) if name is not None else None

    def model_by_label(self, label: str) -> ModelFact | None:
        for model in self.models.values():
            if model.label.lower() == label.lower():
                return model
        return None


pickle_by_fields(globals())
