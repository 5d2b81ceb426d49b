"""The effective access policy of every view: the authentication and permission classes in force for
each HTTP method and viewset action, where they come from, and who they let in; login enforcement
for Django views. Computed from the index alone (docs/access-policy.md explains the model).

Access is one of `anyone`, `authenticated`, `restricted` or `unknown`; where djvet cannot read a
piece of the policy the answer is `unknown` (or `restricted` for a custom permission class it cannot
follow), never `anyone`, so rules built on it stay silent."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from djvet.index.branches import instance_classes, is_instances_of
from djvet.index.deps import PerIndex
from djvet.index.expr import UNKNOWN, Bin, Call, Const, Expr, Name, Seq, string_items
from djvet.index.facts import (
    ActionFact,
    Branch,
    ClassInfo,
    Condition,
    FunctionInfo,
    ProjectIndex,
    ViewFact,
)
from djvet.index.resolve import Resolver, resolver_for

ANYONE, AUTHENTICATED, RESTRICTED, UNKNOWN_ACCESS = "anyone", "authenticated", "restricted", "unknown"
_RANK = {ANYONE: 0, AUTHENTICATED: 1, RESTRICTED: 2}
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
UNSAFE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
HANDLERS = ("get", "post", "put", "patch", "delete")

_P = "rest_framework.permissions."
# (access for safe methods, access for unsafe methods) of DRF's own permission classes
BUILTIN_PERMISSIONS: Mapping[str, tuple[str, str]] = {
    _P + "AllowAny": (ANYONE, ANYONE),
    _P + "BasePermission": (ANYONE, ANYONE),  # both methods return True
    _P + "IsAuthenticated": (AUTHENTICATED, AUTHENTICATED),
    _P + "IsAdminUser": (RESTRICTED, RESTRICTED),
    _P + "IsAuthenticatedOrReadOnly": (ANYONE, AUTHENTICATED),
    # DjangoModelPermissions maps GET to no permission: any authenticated user may read
    _P + "DjangoModelPermissions": (AUTHENTICATED, RESTRICTED),
    _P + "DjangoModelPermissionsOrAnonReadOnly": (ANYONE, RESTRICTED),
    _P + "DjangoObjectPermissions": (AUTHENTICATED, RESTRICTED),
}
PERMISSION_BASES = frozenset(BUILTIN_PERMISSIONS)
DRF_DEFAULTS: Mapping[str, tuple[str, ...]] = {
    "DEFAULT_PERMISSION_CLASSES": (_P + "AllowAny",),
    "DEFAULT_AUTHENTICATION_CLASSES": (
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.BasicAuthentication",
    ),
}
SAFE_METHODS_NAMES = frozenset({_P + "SAFE_METHODS"})
API_SETTINGS = "rest_framework.settings.api_settings"

_V, _M, _G = "rest_framework.viewsets.", "rest_framework.mixins.", "rest_framework.generics."
# viewset actions DRF's own classes provide (the router binds an action when the viewset has it)
DRF_ACTIONS: Mapping[str, tuple[str, ...]] = {
    _V + "ModelViewSet": ("list", "create", "retrieve", "update", "partial_update", "destroy"),
    _V + "ReadOnlyModelViewSet": ("list", "retrieve"),
    _V + "GenericViewSet": (),
    _V + "ViewSet": (),
    _V + "ViewSetMixin": (),
    _M + "ListModelMixin": ("list",),
    _M + "CreateModelMixin": ("create",),
    _M + "RetrieveModelMixin": ("retrieve",),
    _M + "UpdateModelMixin": ("update", "partial_update"),
    _M + "DestroyModelMixin": ("destroy",),
}
# handler methods DRF's generic views define
DRF_HANDLERS: Mapping[str, tuple[str, ...]] = {
    "rest_framework.views.APIView": (),
    _G + "GenericAPIView": (),
    _G + "CreateAPIView": ("post",),
    _G + "ListAPIView": ("get",),
    _G + "RetrieveAPIView": ("get",),
    _G + "DestroyAPIView": ("delete",),
    _G + "UpdateAPIView": ("put", "patch"),
    _G + "ListCreateAPIView": ("get", "post"),
    _G + "RetrieveUpdateAPIView": ("get", "put", "patch"),
    _G + "RetrieveDestroyAPIView": ("get", "delete"),
    _G + "RetrieveUpdateDestroyAPIView": ("get", "put", "patch", "delete"),
    **{name: () for name in DRF_ACTIONS},  # mixins and viewsets add actions, not handlers
}
ACTION_METHODS: Mapping[str, tuple[str, bool]] = {  # action -> (HTTP method, detail)
    "list": ("GET", False),
    "create": ("POST", False),
    "retrieve": ("GET", True),
    "update": ("PUT", True),
    "partial_update": ("PATCH", True),
    "destroy": ("DELETE", True),
}
_DG, _DE, _DA = "django.views.generic.", "django.views.generic.edit.", "django.contrib.auth.views."
# handlers of Django's class-based views (as the index names them, by their public import path too)
DJANGO_HANDLERS: Mapping[str, tuple[str, ...]] = {
    **{_DG + n: ("get",) for n in ("TemplateView", "ListView", "DetailView", "ArchiveIndexView", "YearArchiveView",
                                    "MonthArchiveView", "WeekArchiveView", "DayArchiveView", "TodayArchiveView", "DateDetailView")},
    **{_DG + "base." + n: ("get",) for n in ("TemplateView",)},
    **{_DG + "list." + n: ("get",) for n in ("ListView", "BaseListView")},
    **{_DG + "detail." + n: ("get",) for n in ("DetailView", "BaseDetailView")},
    **{p + n: ("get", "post") for p in (_DG, _DE) for n in ("FormView", "CreateView", "UpdateView", "BaseFormView",
                                                                "BaseCreateView", "BaseUpdateView", "ProcessFormView")},
    **{p + n: ("get", "post", "delete") for p in (_DG, _DE) for n in ("DeleteView", "BaseDeleteView")},
    **{p + "RedirectView": HANDLERS for p in (_DG, _DG + "base.")},
    **{p + "View": () for p in ("django.views.", _DG, _DG + "base.")},
    **{_DA + n: ("get", "post") for n in ("LoginView", "PasswordResetView", "PasswordResetConfirmView", "PasswordChangeView")},
    _DA + "LogoutView": ("post",),
    **{_DA + n: ("get",) for n in ("PasswordResetDoneView", "PasswordResetCompleteView", "PasswordChangeDoneView")},
}
LOGIN_DECORATORS = frozenset(
    {
        "django.contrib.auth.decorators.login_required",
        "django.contrib.auth.decorators.permission_required",
        "django.contrib.auth.decorators.user_passes_test",
        "django.contrib.admin.views.decorators.staff_member_required",
    }
)
LOGIN_NOT_REQUIRED = "django.contrib.auth.decorators.login_not_required"
LOGIN_MIXINS = frozenset(
    {
        "django.contrib.auth.mixins.LoginRequiredMixin",
        "django.contrib.auth.mixins.PermissionRequiredMixin",
        "django.contrib.auth.mixins.UserPassesTestMixin",
    }
)
LOGIN_MIDDLEWARE = "django.contrib.auth.middleware.LoginRequiredMiddleware"
# Django's own views that Django 5.1 marks login_not_required
LOGIN_EXEMPT_VIEWS = frozenset(
    _DA + n for n in ("LoginView", "PasswordResetView", "PasswordResetDoneView", "PasswordResetConfirmView", "PasswordResetCompleteView")
)
METHOD_DECORATORS: Mapping[str, tuple[str, ...]] = {
    "django.views.decorators.http.require_GET": ("GET",),
    "django.views.decorators.http.require_POST": ("POST",),
    "django.views.decorators.http.require_safe": ("GET", "HEAD"),
}
REQUIRE_HTTP_METHODS = "django.views.decorators.http.require_http_methods"
METHOD_DECORATOR = "django.utils.decorators.method_decorator"
# decorators known to leave access alone; any other decorator on a Django view might enforce login
NEUTRAL_DECORATOR_PREFIXES = ("django.views.decorators.", "django.db.transaction.", "functools.", "drf_spectacular.", "drf_yasg.")
# methods whose override may deny a request whatever the permission classes say
GUARD_METHODS = frozenset({"check_permissions", "initial", "dispatch", "get_authenticators"})
DATA_METHODS = frozenset({"get_queryset", "get_object", "get_serializer_class", "get_serializer"})
DATA_BASES = frozenset(n for n, actions in DRF_ACTIONS.items() if actions) | frozenset(n for n, h in DRF_HANDLERS.items() if h)

# filter backends that narrow a queryset by query parameters, never by who asks
UNSCOPED_FILTERS = frozenset(
    {
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
        "django_filters.rest_framework.DjangoFilterBackend",
        "django_filters.rest_framework.backends.DjangoFilterBackend",
    }
)
# Words in a view's name, URL or action that mark an endpoint public by design (docs/access-policy.md).
PUBLIC_WORDS = frozenset(
    {
        "login", "logout", "signin", "signout", "signup", "register", "registration", "auth", "authenticate",
        "authorize", "oauth", "oauth2", "saml", "sso", "oidc", "openid", "token", "tokens", "jwt", "otp", "mfa",
        "password", "forgot", "activate", "activation", "verify", "verification", "unsubscribe", "invitation",
        "webhook", "webhooks", "hook", "hooks", "callback", "callbacks", "ipn",
        "health", "healthcheck", "healthz", "ping", "csrf", "captcha", "validate", "validation",
    }
)
NO_AUTHENTICATION = "authentication_classes = []"
ACCOUNT_WORDS = frozenset({"user", "users", "account", "accounts", "member", "members", "customer", "customers"})
_WORD_RE = re.compile(r"[A-Z]+(?=[A-Z][a-z]|\d|\b|_)|[A-Z]?[a-z]+|\d+")


@dataclass(frozen=True, slots=True)
class Classes:
    """Authentication or permission classes in force and where they come from.

    source: view (a class attribute) | decorator (`@permission_classes`) | action (`@action(...)`)
    | get_permissions | project-default (settings) | drf-default | unknown."""

    names: object  # tuple of qualnames (composed classes as "A | B") | UNKNOWN
    source: str
    origin: str | None = None  # qualname of the class / function setting them, or the settings module
    line: int = 0

    @property
    def known(self) -> bool:
        return isinstance(self.names, tuple)


@dataclass(frozen=True, slots=True)
class Operation:
    """One HTTP method a view accepts (for a viewset: one method of one action)."""

    method: str  # upper case
    action: str | None  # viewset action; None for other views
    detail: object  # bool for viewset actions (UNKNOWN when not literal), None otherwise
    permissions: Classes
    access: str  # anyone | authenticated | restricted | unknown
    line: int = 0  # the handler or action method, 0 when DRF provides it
    public: str | None = None  # the word marking this operation public by design
    own_check: bool = False  # the project's handler reads `request.user`: it may check the caller itself


@dataclass(frozen=True, slots=True)
class Login:
    """Login enforcement of a Django view: required is True, False or UNKNOWN."""

    required: object
    source: str  # the decorator, mixin or middleware that decides, or "" when nothing does


@dataclass(frozen=True, slots=True)
class ViewPolicy:
    view: str
    kind: str
    drf: bool
    permissions: Classes  # the class-level policy (get_permissions and @action may refine it per operation)
    authentication: Classes
    operations: tuple[Operation, ...]
    methods_known: bool  # False: a base djvet cannot read, http_method_names or the view itself may add methods
    login: Login | None  # Django views only
    get_permissions: str | None  # qualname of the project method that overrides get_permissions
    guarded_by: str | None  # a project override of check_permissions / initial / dispatch / get_authenticators
    handles_data: bool
    # object lookups depend on the caller: a project get_queryset / get_object reading
    # `request.user`, or a filter backend djvet cannot read
    objects_scoped: bool
    public: str | None  # the word marking the whole view public by design
    abstract: bool  # not routed, and other views inherit from it
    line: int = 0

    @property
    def methods(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(op.method for op in self.operations))


def policy_resolver(index: ProjectIndex) -> Resolver:
    """The book's Resolver (with the source roots): the one the index was linked with
    (resolve.resolver_for); a recorded check sees each of its queries as a read (see index.deps)."""
    from djvet.index.deps import RecordingResolver, TrackedIndex, untracked

    real = untracked(index)
    resolver = resolver_for(real.modules, real.source_roots, real.mros)
    return RecordingResolver(resolver, policy_resolver) if type(index) is TrackedIndex else resolver  # type: ignore[return-value]


# ---- the policy book: one per index ----------------------------------------------------------


class PolicyBook:
    """Computes and caches the policies of an index's views."""

    def __init__(self, index: ProjectIndex) -> None:
        self.index = index
        self.resolver = policy_resolver(index)
        self._policies: dict[str, ViewPolicy] = {}
        self._access: dict[tuple[str, str], str] = {}
        self.routed = {r.view for r in index.routes if r.view}
        self.subclasses: dict[str, set[str]] = {}
        for cls, mro in index.mros.items():
            for ancestor in mro[1:]:
                self.subclasses.setdefault(ancestor, set()).add(cls)
        self.route_words: dict[str, set[str]] = {}
        for route in index.routes:
            if route.view:
                words = self.route_words.setdefault(route.view, set())
                for text in (route.pattern, route.name, route.basename):
                    words |= split_words(text)
        self.defaults = {key: self._default(key) for key in DRF_DEFAULTS}
        self._drf_modules: set[str] | None = None
        self.always_allows: dict[str, bool] = {}
        self.login_middleware = self._has_login_middleware()

    # -- settings ---------------------------------------------------------------------------------

    def setting(self, name: str) -> object:
        """A setting's value; UNKNOWN when no settings module is known to be in force and the
        modules that set it disagree (or none does)."""
        if self.index.settings is not None:
            return self.index.settings.get(name)
        values = [s.get(name) for s in self.index.settings_modules.values() if name in s.values]
        if values and all(v == values[0] for v in values):
            return values[0]
        return UNKNOWN

    def rest_framework(self, key: str, default: object) -> object:
        """A `REST_FRAMEWORK` entry; `default` (DRF's) when the settings in force do not set it."""
        config = self.setting("REST_FRAMEWORK")
        settings = self.index.settings
        if config is None and settings is not None and isinstance(settings.get("INSTALLED_APPS"), tuple):
            return default
        if not isinstance(config, dict) or any(v is UNKNOWN for v in config):
            return UNKNOWN
        value = config.get(key, default)
        return (value,) if isinstance(value, str) else value

    def _default(self, key: str) -> Classes:
        settings = self.index.settings
        where = settings.module if settings is not None else None
        config = self.setting("REST_FRAMEWORK")
        if config is None and settings is not None and isinstance(settings.get("INSTALLED_APPS"), tuple):
            # DRF's built-in defaults apply when REST_FRAMEWORK does not set them
            return Classes(DRF_DEFAULTS[key], "drf-default", where)
        if not isinstance(config, dict) or any(v is UNKNOWN for v in config):
            return Classes(UNKNOWN, "unknown", where)
        if key not in config:
            return Classes(DRF_DEFAULTS[key], "drf-default", where)
        value = config[key]
        if isinstance(value, str):
            value = (value,)
        if isinstance(value, tuple) and all(isinstance(v, str) for v in value):
            line = settings.values["REST_FRAMEWORK"].line if settings is not None else 0
            return Classes(tuple(self.resolver.canonical(v) for v in value), "project-default", where, line)
        return Classes(UNKNOWN, "unknown", where)

    def possible_items(self, name: str) -> tuple[object, ...] | None:
        """Every item a list setting may hold: its value, or, when items are added to it under a
        condition, all of them; None when not known."""
        value = self.setting(name)
        if isinstance(value, tuple):
            return value
        settings = self.index.settings
        found = settings.values.get(name) if settings is not None else None
        return found.possible if found is not None and value is UNKNOWN else None

    def _has_login_middleware(self) -> object:
        middleware = self.setting("MIDDLEWARE")
        if middleware is None:
            return False
        possible = self.possible_items("MIDDLEWARE")
        if possible is None or any(not isinstance(m, str) for m in possible):
            return UNKNOWN
        if LOGIN_MIDDLEWARE in possible:
            return True if middleware is not UNKNOWN else UNKNOWN
        return False  # not in any list the settings may produce

    # -- views --------------------------------------------------------------------------------------

    def policy(self, view: str) -> ViewPolicy | None:
        if view not in self._policies:
            fact = self.index.views.get(view)
            if fact is None:
                return None
            self._policies[view] = _PolicyBuilder(self, fact).build()
        return self._policies[view]

    @property
    def drf_modules(self) -> set[str]:
        """Modules that define a DRF view or a project class some DRF view inherits from."""
        if self._drf_modules is None:
            found = set()
            for view in self.index.views.values():
                if view.kind.startswith("drf-"):
                    found.add(view.module)
                    found.update(self.index.classes[c].module for c in view.ancestors if c in self.index.classes)
            self._drf_modules = found
        return self._drf_modules

    def is_abstract(self, cls: str) -> bool:
        return cls not in self.routed and any(s in self.index.views for s in self.subclasses.get(cls, ()))

    def concrete_views(self, cls: str) -> list[str]:
        """The view itself when it is concrete, else the concrete views that inherit from it."""
        candidates = [cls, *sorted(self.subclasses.get(cls, ()))]
        return [c for c in candidates if c in self.index.views and not self.is_abstract(c)]

    def public_reason(self, view: ViewFact, extra: Iterable[str | None] = ()) -> str | None:
        words = split_words(view.name) | self.route_words.get(view.qualname, set())
        for text in extra:
            words |= split_words(text)
        hits = sorted(words & PUBLIC_WORDS)
        return hits[0] if hits else None

    # -- permission classes -----------------------------------------------------------------------

    def class_access(self, name: str, method: str) -> str:
        """Who a permission class lets call `method`: anyone, authenticated or restricted."""
        key = (name, method)
        if key not in self._access:
            self._access[key] = RESTRICTED  # guards a class whose has_permission calls itself
            self._access[key] = self._class_access(name, method)
        return self._access[key]

    def _class_access(self, name: str, method: str) -> str:
        if " | " in name or " & " in name:
            op = " | " if " | " in name else " & "
            parts = [self.class_access(part, method) for part in name.split(op)]
            pick = min if op == " | " else max
            return pick(parts, key=_RANK.__getitem__)
        builtin = BUILTIN_PERMISSIONS.get(name)
        if builtin is not None:
            return builtin[0] if method in SAFE_METHODS else builtin[1]
        if name not in self.index.classes:
            return RESTRICTED  # a class outside the project djvet cannot read
        has_permission = self.check_access(name, "has_permission", method, 0)
        has_object_permission = self.check_access(name, "has_object_permission", method, 0)
        return max(has_permission, has_object_permission, key=_RANK.__getitem__)

    def check_access(self, cls: str, check: str, method: str, start: int) -> str:
        """What `cls.<check>` (has_permission / has_object_permission) answers for `method`,
        looked up in the MRO from position `start` (for `super()` calls)."""
        mro = self.index.mros.get(cls, (cls,))
        for position in range(start, len(mro)):
            ancestor = mro[position]
            builtin = BUILTIN_PERMISSIONS.get(ancestor)
            if builtin is not None:
                if check == "has_object_permission" and ancestor not in (_P + "DjangoObjectPermissions",):
                    return ANYONE  # only DjangoObjectPermissions checks objects; the others return True
                return builtin[0] if method in SAFE_METHODS else builtin[1]
            info = self.index.classes.get(ancestor)
            if info is None:
                return RESTRICTED  # a base outside the project and outside DRF: cannot read
            function = info.methods.get(check)
            if function is not None:
                return self._function_access(cls, function, method, position)
        return RESTRICTED

    def _function_access(self, cls: str, function: FunctionInfo, method: str, position: int) -> str:
        if function.branches is None or len(function.args) < 3:
            return RESTRICTED
        subjects = {f"{function.args[1]}.method": "method", f"{function.args[2]}.action": "action"}
        branch = self.first_branch(function, subjects, method, None)
        if branch is None or branch.guarded:
            return RESTRICTED
        value = branch.value
        if isinstance(value, Const) and value.value is True:
            return ANYONE
        if isinstance(value, Name) and value.dotted == f"{function.args[1]}.user.is_authenticated":
            return AUTHENTICATED
        if isinstance(value, Call) and _is_super(value, function.name):
            return self.check_access(cls, function.name, method, position + 1)
        return RESTRICTED

    def first_branch(self, function: FunctionInfo, subjects: Mapping[str, str], method: str, action: str | None) -> Branch | None:
        """The path taken for this method and action; None when a test on the way cannot be decided."""
        module = function.qualname.rpartition(".")[0]
        module = self.index.classes[module].module if module in self.index.classes else module
        for branch in function.branches or ():
            outcome: bool | None = True
            for condition in branch.conditions:
                holds = self._holds(condition, subjects, module, method, action)
                if holds is False:
                    outcome = False
                    break
                if holds is None:
                    outcome = None
            if outcome is True:
                return branch
            if outcome is None:
                return None
        return None

    def _holds(self, condition: Condition | None, subjects: Mapping[str, str], module: str, method: str, action: str | None) -> bool | None:
        if condition is None:
            return None
        kind = subjects.get(condition.subject)
        if kind is None or (kind == "action" and action is None):
            return None
        values = set(condition.values)
        for name in condition.names:
            resolved = self.resolver.resolve(module, name)
            if resolved not in SAFE_METHODS_NAMES:
                return None
            values |= set(SAFE_METHODS)
        subject = method if kind == "method" else action
        if kind == "method":
            values = {v.upper() for v in values}
        return (subject in values) != condition.negated

    def resolve_names(self, module: str, names: Iterable[str]) -> tuple[str, ...]:
        return tuple(self.resolver.resolve_class(module, n) for n in names)

    def list_access(self, classes: Classes, method: str) -> str:
        if not isinstance(classes.names, tuple):
            return UNKNOWN_ACCESS
        if not classes.names:
            return ANYONE  # an empty list checks nothing
        return max((self.class_access(n, method) for n in classes.names), key=_RANK.__getitem__)


def _is_super(value: Call, method: str) -> bool:
    func = value.func
    return (
        hasattr(func, "obj")
        and getattr(func, "name", None) == method
        and isinstance(getattr(func, "obj"), Call)
        and isinstance(getattr(func, "obj").func, Name)
        and getattr(func, "obj").func.dotted == "super"
    )


def split_words(text: str | None) -> set[str]:
    """`UserSignUpView` -> {user, sign, up, view, signup, ...}: words and adjacent pairs, lower case."""
    if not text:
        return set()
    words = [w.lower() for part in re.split(r"[^A-Za-z0-9]+", text) for w in _WORD_RE.findall(part)]
    return set(words) | {a + b for a, b in zip(words, words[1:])}


# ---- one view -----------------------------------------------------------------------------------


@dataclass
class _PolicyBuilder:
    book: PolicyBook
    view: ViewFact
    mro: tuple[str, ...] = ()
    external: list[int] = field(default_factory=list)  # MRO positions of bases djvet cannot read
    login_policy: Login | None = None
    # what to read LoginRequiredMiddleware's presence from: the book's settings, unless set
    middleware: object = field(default=None)

    def __post_init__(self) -> None:
        if self.view.qualname not in self.book.index.classes:
            return  # a function view: no MRO
        self.mro = self.book.index.mros.get(self.view.qualname, (self.view.qualname,))
        known = set(DRF_HANDLERS) | set(DJANGO_HANDLERS) | LOGIN_MIXINS
        for position, cls in enumerate(self.mro):
            info = self.book.index.classes.get(cls)
            if info is None and cls not in known and not cls.startswith(("django.", "rest_framework.", "builtins.", "object")):
                self.external.append(position)
            elif info is not None and any(not isinstance(b, Name) for b in info.bases):
                self.external.append(position + 1)  # a base written as an expression: not followed

    def build(self) -> ViewPolicy:
        view = self.view
        drf = view.kind.startswith("drf-")
        permissions = self.class_list("permission_classes", "DEFAULT_PERMISSION_CLASSES") if drf else Classes(UNKNOWN, "unknown")
        authentication = self.class_list("authentication_classes", "DEFAULT_AUTHENTICATION_CLASSES") if drf else Classes(UNKNOWN, "unknown")
        get_permissions = self.own_method("get_permissions") if drf else None
        self.login_policy = None if drf else self.login()
        operations, methods_known = self.operations(permissions, get_permissions)
        guard = next((f for f in map(self.own_method, sorted(GUARD_METHODS)) if isinstance(f, FunctionInfo) and f.uses_request_user), None)
        return ViewPolicy(
            view=view.qualname,
            kind=view.kind,
            drf=drf,
            permissions=permissions,
            authentication=authentication,
            operations=operations,
            methods_known=methods_known,
            login=self.login_policy,
            get_permissions=get_permissions.qualname if isinstance(get_permissions, FunctionInfo) else None,
            guarded_by=guard.qualname if isinstance(guard, FunctionInfo) else None,
            handles_data=self.handles_data(),
            objects_scoped=self.objects_scoped(),
            public=self.public(authentication),
            abstract=self.book.is_abstract(view.qualname),
            line=view.line,
        )

    # -- where attributes and methods come from ---------------------------------------------------

    def lookup(self, attr: str) -> tuple[int, ClassInfo] | None:
        """The class that sets `attr` in its body, nearest first (a property counts: its value is unknown)."""
        for position, cls in enumerate(self.mro):
            info = self.book.index.classes.get(cls)
            if info is not None and (attr in info.attrs or attr in info.methods):
                return position, info
        return None

    def own_method(self, name: str) -> FunctionInfo | None | object:
        """The project method `name` in force; UNKNOWN when a base djvet cannot read comes first."""
        for position, cls in enumerate(self.mro):
            if any(p <= position for p in self.external):
                return UNKNOWN
            info = self.book.index.classes.get(cls)
            if info is not None and name in info.methods:
                return info.methods[name]
        return None

    def read_list(self, module: str, expr: Expr | None) -> object:
        """A permission / authentication class list as qualnames; `A | B` kept as one entry;
        `api_settings.DEFAULT_PERMISSION_CLASSES + [X]` read with the project's default."""
        if isinstance(expr, Bin) and expr.op == "Add":
            left, right = self.read_list(module, expr.left), self.read_list(module, expr.right)
            return left + right if isinstance(left, tuple) and isinstance(right, tuple) else UNKNOWN
        if isinstance(expr, Name):
            resolved = self.book.resolver.resolve(module, expr.dotted)
            prefix, _, key = resolved.rpartition(".")
            if prefix == API_SETTINGS and key in DRF_DEFAULTS:
                return self.book.defaults[key].names
            return UNKNOWN
        if not isinstance(expr, Seq):
            return UNKNOWN
        names = []
        for item in expr.items:
            name = self.composed(module, item)
            if name is None:
                return UNKNOWN
            names.append(name)
        return tuple(names)

    def composed(self, module: str, expr: Expr) -> str | None:
        if isinstance(expr, Name):
            return self.book.resolver.resolve_class(module, expr.dotted)
        if isinstance(expr, Bin) and expr.op in ("BitOr", "BitAnd"):
            left, right = self.composed(module, expr.left), self.composed(module, expr.right)
            op = " | " if expr.op == "BitOr" else " & "
            other = " & " if op == " | " else " | "
            if left is None or right is None or other in left or other in right:
                return None
            return f"{left}{op}{right}"
        return None

    def class_list(self, attr: str, default: str) -> Classes:
        view = self.view
        if view.kind == "drf-function":
            written = view.permission_classes if attr == "permission_classes" else view.authentication_classes
            if written is None:
                return self.book.defaults[default]
            return Classes(written, "decorator", view.qualname, view.line)
        found = self.lookup(attr)
        if found is None:
            if self.external:
                return Classes(UNKNOWN, "unknown")
            return self.book.defaults[default]
        position, info = found
        if any(p <= position for p in self.external) or attr not in info.attrs:
            return Classes(UNKNOWN, "unknown")
        names = self.read_list(info.module, info.attrs[attr])
        return Classes(names, "view", info.qualname, info.attr_lines.get(attr, info.line))

    # -- methods --------------------------------------------------------------------------------

    def operations(self, permissions: Classes, get_permissions: object) -> tuple[tuple[Operation, ...], bool]:
        view = self.view
        http = view.http_method_names
        allowed = {m.upper() for m in http} if isinstance(http, tuple) else None
        known = http is None or isinstance(http, tuple)
        if view.kind == "drf-viewset":
            found, complete = self.viewset_operations(permissions, get_permissions)
        elif view.kind == "drf-function":
            function = self.book.resolver.functions.get(view.qualname)
            found = [self.operation(m.upper(), None, None, permissions, get_permissions, function) for m in view.api_methods]
            complete = True
        else:
            found, complete = self.handler_operations(permissions, get_permissions)
        if allowed is not None:
            found = [op for op in found if op.method in allowed]
        return tuple(found), known and complete

    def defined(self, names: Iterable[str], table: Mapping[str, tuple[str, ...]]) -> dict[str, FunctionInfo | None]:
        """Which of `names` the view has: project methods (nearest first), or DRF / Django's (None)."""
        found: dict[str, FunctionInfo | None] = {}
        wanted = tuple(names)
        for cls in self.mro:
            info = self.book.index.classes.get(cls)
            if info is not None:
                for name in wanted:
                    if name in info.methods:
                        found.setdefault(name, info.methods[name])
            else:
                for name in table.get(cls, ()):
                    found.setdefault(name, None)
        return found

    def handler_operations(self, permissions: Classes, get_permissions: object) -> tuple[list[Operation], bool]:
        view = self.view
        if view.kind == "django-function":
            methods = self.function_methods()
            if methods is None:
                return [], False
            function = self.book.resolver.functions.get(view.qualname)
            return [self.operation(m, None, None, permissions, get_permissions, function) for m in methods], True
        table = DJANGO_HANDLERS if view.kind == "django-cbv" else DRF_HANDLERS
        handlers = self.defined(HANDLERS, table)
        generic = any(c in DRF_HANDLERS and DRF_HANDLERS[c] for c in self.mro)
        found = []
        for name in HANDLERS:
            if name in handlers:
                # DRF's generic views look the object up for PUT, PATCH and DELETE
                detail = True if generic and name in ("put", "patch", "delete") else None
                found.append(self.operation(name.upper(), None, detail, permissions, get_permissions, handlers[name]))
        return found, not self.external

    def function_methods(self) -> tuple[str, ...] | None:
        info = self.book.resolver.functions.get(self.view.qualname)
        if info is None:
            return None
        for decorator in info.decorators:
            target = decorator.func if isinstance(decorator, Call) else decorator
            if not isinstance(target, Name):
                continue
            resolved = self.book.resolver.resolve(self.view.module, target.dotted)
            if resolved in METHOD_DECORATORS:
                return METHOD_DECORATORS[resolved]
            if resolved == REQUIRE_HTTP_METHODS and isinstance(decorator, Call):
                methods = string_items(decorator.arg(0))
                return tuple(m.upper() for m in methods) if methods is not None else None
        return None

    def viewset_operations(self, permissions: Classes, get_permissions: object) -> tuple[list[Operation], bool]:
        actions = self.defined(ACTION_METHODS, DRF_ACTIONS)
        found = []
        for name in ACTION_METHODS:
            if name in actions:
                method, detail = ACTION_METHODS[name]
                found.append(self.operation(method, name, detail, permissions, get_permissions, actions[name]))
        extra = self.defined((a.name for a in self.view.actions), {})
        for action in self.view.actions:
            own = self.action_permissions(action)
            for method in action.methods:
                found.append(self.operation(method.upper(), action.name, action.detail, own or permissions, get_permissions, extra.get(action.name)))
        return found, not self.external

    def action_permissions(self, action: ActionFact) -> Classes | None:
        if action.permission_classes is None:
            return None
        return Classes(action.permission_classes, "action", f"{self.view.qualname}.{action.name}", action.line)

    def operation(
        self, method: str, action: str | None, detail: object, permissions: Classes, get_permissions: object, code: FunctionInfo | None
    ) -> Operation:
        """`code` is the project function that handles the operation, None when DRF's own does."""
        book = self.book
        if get_permissions is not None:
            permissions = self.from_get_permissions(get_permissions, method, action, permissions)
        if self.login_policy is not None:
            required = self.login_policy.required
            access = AUTHENTICATED if required is True else ANYONE if required is False else UNKNOWN_ACCESS
        else:
            access = book.list_access(permissions, method)
        public = book.public_reason(self.view, self.action_words(action))
        if public is None and action == "create" and self.is_account_view():
            public = "signup"  # `create` on a user or account viewset is registration
        line = code.line if code is not None else 0
        own_check = code is not None and code.uses_request_user
        return Operation(method, action, detail, permissions, access, line, public, own_check)

    def is_account_view(self) -> bool:
        words = split_words(self.view.name) | split_words((self.view.serializer_class or "").rpartition(".")[2])
        return bool(words & ACCOUNT_WORDS)

    def action_words(self, action: str | None) -> tuple[str | None, ...]:
        if action is None or action in ACTION_METHODS:
            return ()
        fact = next((a for a in self.view.actions if a.name == action), None)
        return (action, fact.url_path if fact else None)

    def from_get_permissions(self, function: object, method: str, action: str | None, inherited: Classes) -> Classes:
        """The classes a project `get_permissions` returns for this method and action."""
        for _ in range(10):  # follows `return super().get_permissions()` up the MRO
            if not isinstance(function, FunctionInfo):
                return Classes(UNKNOWN, "get_permissions")
            subjects = {"self.action": "action", "self.request.method": "method"}
            branch = self.book.first_branch(function, subjects, method, action)
            if branch is None or branch.guarded:
                return Classes(UNKNOWN, "get_permissions", function.qualname, function.line)
            value = branch.value
            owner = function.qualname.rpartition(".")[0]
            module = self.book.index.classes[owner].module if owner in self.book.index.classes else self.view.module
            if is_instances_of(value, "self.permission_classes"):
                return inherited
            if isinstance(value, Call) and _is_super(value, "get_permissions"):
                function = self.next_method("get_permissions", owner)
                if function is None:
                    return inherited
                continue
            written = instance_classes(value)
            if written is None:
                return Classes(UNKNOWN, "get_permissions", function.qualname, function.line)
            line = getattr(value, "line", 0) or function.line
            return Classes(self.book.resolve_names(module, written), "get_permissions", function.qualname, line)
        return Classes(UNKNOWN, "get_permissions")

    def next_method(self, name: str, after: str) -> FunctionInfo | None | object:
        """The method `super().<name>` reaches from the class `after`, in this view's MRO."""
        if after not in self.mro:
            return UNKNOWN
        start = self.mro.index(after) + 1
        for position in range(start, len(self.mro)):
            if position in self.external:
                return UNKNOWN
            info = self.book.index.classes.get(self.mro[position])
            if info is not None and name in info.methods:
                return info.methods[name]
        return None

    # -- the rest ---------------------------------------------------------------------------------

    def public(self, authentication: Classes) -> str | None:
        reason = self.book.public_reason(self.view)
        if reason is None and authentication.names == () and authentication.source in ("view", "decorator"):
            # no authenticator: the view identifies callers itself (a signature, a token in the
            # body) or serves everyone by design
            return NO_AUTHENTICATION
        return reason

    def objects_scoped(self) -> bool:
        if self.external:
            return True
        for cls in self.mro:
            info = self.book.index.classes.get(cls)
            for name in ("get_queryset", "get_object"):
                if info is not None and name in info.methods and info.methods[name].uses_request_user:
                    return True
        found = self.lookup("filter_backends")
        backends: object
        if found is not None:
            attrs = found[1].attrs
            backends = self.read_list(found[1].module, attrs["filter_backends"]) if "filter_backends" in attrs else UNKNOWN
        else:
            backends = self.book.rest_framework("DEFAULT_FILTER_BACKENDS", ())
        if not isinstance(backends, tuple):
            return True
        return any(self.is_scoping_filter(b) for b in backends)

    def is_scoping_filter(self, backend: str) -> bool:
        """A filter backend that may narrow the queryset to what the caller may see."""
        if backend in UNSCOPED_FILTERS:
            return False
        if backend not in self.book.index.classes:
            return True
        for cls in self.book.index.mros.get(backend, (backend,)):
            info = self.book.index.classes.get(cls)
            if info is None:
                return cls not in UNSCOPED_FILTERS and cls != "rest_framework.filters.BaseFilterBackend"
            method = info.methods.get("filter_queryset")
            if method is not None:
                return method.uses_request_user
        return False

    def handles_data(self) -> bool:
        view = self.view
        if view.queryset is not None or view.serializer_class is not None or view.methods & DATA_METHODS:
            return True
        return any(cls in DATA_BASES for cls in self.mro)

    def login(self) -> Login:
        view = self.view
        names = set(view.decorators) | self.dispatch_decorators()
        if LOGIN_NOT_REQUIRED in names:
            return Login(False, "login_not_required")
        hit = sorted(names & LOGIN_DECORATORS)
        if hit:
            return Login(True, hit[0].rpartition(".")[2])
        mixin = next((c for c in self.mro if c in LOGIN_MIXINS), None)
        if mixin is not None:
            return Login(True, mixin.rpartition(".")[2])
        unknown = [n for n in names if not n.startswith(NEUTRAL_DECORATOR_PREFIXES) and n != METHOD_DECORATOR]
        if unknown or self.external:
            return Login(UNKNOWN, "")
        if any(c in LOGIN_EXEMPT_VIEWS for c in self.mro):
            return Login(False, "login_not_required")
        middleware = self.book.login_middleware if self.middleware is None else self.middleware
        if middleware is True:
            return Login(True, "LoginRequiredMiddleware")
        return Login(False if middleware is False else UNKNOWN, "")

    def dispatch_decorators(self) -> set[str]:
        """Decorators applied with `method_decorator` on the class (name="dispatch") or on dispatch."""
        found: set[str] = set()
        resolver = self.book.resolver
        for cls in self.mro:
            info = self.book.index.classes.get(cls)
            if info is None:
                continue
            decorated: list[tuple[Expr, bool]] = [(d, True) for d in info.decorators]
            if "dispatch" in info.methods:
                decorated += [(d, False) for d in info.methods["dispatch"].decorators]
            for decorator, on_class in decorated:
                if not (isinstance(decorator, Call) and isinstance(decorator.func, Name)):
                    continue
                if resolver.resolve(info.module, decorator.func.dotted) != METHOD_DECORATOR or not decorator.args:
                    continue
                target = decorator.kwarg("name")
                if on_class and not (isinstance(target, Const) and target.value == "dispatch"):
                    found.add("<method_decorator on one handler>")
                    continue
                inner = decorator.args[0]
                items = inner.items if isinstance(inner, Seq) else (inner,)
                for item in items:
                    func = item.func if isinstance(item, Call) else item
                    found.add(resolver.resolve(info.module, func.dotted) if isinstance(func, Name) else "<expression>")
        return found


# ---- entry points -------------------------------------------------------------------------------

# the last two indexes' books are kept: a recorded check asks with its tracked index and,
# inside shared results, with the real one
_BOOKS: PerIndex[PolicyBook] = PerIndex(PolicyBook, keep=2)


def policy_book(index: ProjectIndex) -> PolicyBook:
    """The policy book of an index, built once."""
    return _BOOKS(index)


def view_policy(index: ProjectIndex, view: str) -> ViewPolicy | None:
    return policy_book(index).policy(view)


def login_with_default_middleware(book: PolicyBook, view: str) -> Login | None:
    """A Django view's login enforcement read as if MIDDLEWARE were Django's default (no
    LoginRequiredMiddleware): for a project without any settings module, whose code djvet reads as
    written (a single app, a snippet). None for DRF views and unknown views."""
    fact = book.index.views.get(view)
    if fact is None or fact.kind.startswith("drf-"):
        return None
    return _PolicyBuilder(book, fact, middleware=False).login()


def open_unsafe_operations(policy: ViewPolicy) -> list[Operation]:
    """Unsafe operations anyone may call because of the class-level policy or an @action's own
    classes (not get_permissions), outside public-by-design endpoints."""
    if not policy.drf or policy.guarded_by is not None or policy.public is not None:
        return []
    return [
        op
        for op in policy.operations
        if is_open_write(policy, op) and op.permissions.source != "get_permissions"
    ]


def opened_by_get_permissions(policy: ViewPolicy) -> list[Operation]:
    """Unsafe operations a project `get_permissions` opens to anyone, outside public-by-design ones."""
    if not policy.drf or policy.guarded_by is not None or policy.public is not None:
        return []
    return [
        op
        for op in policy.operations
        if is_open_write(policy, op) and op.permissions.source == "get_permissions"
    ]


def is_open_write(policy: ViewPolicy, op: Operation) -> bool:
    """An unsafe operation anyone may call, on data djvet can see is not scoped to the caller."""
    if op.method not in UNSAFE_METHODS or op.access != ANYONE or op.public is not None or op.own_check:
        return False
    return not (op.detail is True and policy.objects_scoped)


def empty_class_lists(book: PolicyBook, policy: ViewPolicy) -> list[str]:
    """`permission_classes` / `authentication_classes` written as an empty list on a view that serves
    model data to anyone, where no other finding (an open write) already names the view."""
    if not policy.drf or not policy.handles_data or policy.abstract or policy.guarded_by is not None:
        return []
    if policy.public not in (None, NO_AUTHENTICATION):
        return []
    if not any(op.access == ANYONE and not op.own_check for op in policy.operations):
        return []
    found = []
    if policy.permissions.names == () and policy.permissions.source in ("view", "decorator") and not open_unsafe_operations(policy):
        found.append("permission_classes")
    if policy.authentication.names == () and policy.authentication.source in ("view", "decorator"):
        found.append("authentication_classes")
    return found


# names that say a permission class means to let everyone in (an alias of AllowAny)
DELIBERATE_OPEN_WORDS = frozenset({"allow", "any", "anyone", "everyone", "public", "open", "anonymous", "unauthenticated", "noop", "dummy", "null"})


def always_allows(book: PolicyBook, cls: str) -> bool:
    """A project permission class whose checks let every request through, for every method."""
    if cls not in book.always_allows:
        book.always_allows[cls] = _always_allows(book, cls)
    return book.always_allows[cls]


def _always_allows(book: PolicyBook, cls: str) -> bool:
    info = book.index.classes.get(cls)
    if info is None or not ({"has_permission", "has_object_permission"} & set(info.methods)):
        return False
    mro = book.index.mros.get(cls, (cls,))
    if not any(c in PERMISSION_BASES for c in mro):
        return False
    if split_words(info.name) & DELIBERATE_OPEN_WORDS:
        return False
    if any(s in book.index.classes for s in book.subclasses.get(cls, ())):
        return False  # a base class: its subclasses decide
    return all(book.class_access(cls, m) == ANYONE for m in (*SAFE_METHODS[:1], *UNSAFE_METHODS))


def view_findings(book: PolicyBook, policy: ViewPolicy) -> tuple[str, ...]:
    """The DJV2 codes the rules report for this view (what `djvet endpoints` shows as flags)."""
    codes = []
    if open_unsafe_operations(policy):
        codes.append("DJV201")
    if empty_class_lists(book, policy):
        codes.append("DJV202")
    if opened_by_get_permissions(policy):
        codes.append("DJV203")
    names = [n for c in (policy.permissions, *(op.permissions for op in policy.operations)) if isinstance(c.names, tuple) for n in c.names]
    if any(always_allows(book, n) for n in dict.fromkeys(names)):
        codes.append("DJV204")
    return tuple(codes)
