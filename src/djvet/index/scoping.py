"""Who owns a model's rows, and who reaches a view: the facts the object-scoping and login rules
(DJV205-DJV208) share. Computed from the index and the access policy alone.

- owner relations: the fields that tie a row to one user (a foreign key to the user model named
  for its owner) or to one tenant (a foreign key to an organization / team / workspace model);
- the caller gate: who a view's permission classes let in before any object is looked at
  (`has_permission` only: DRF never calls `has_object_permission` for a list, nor for an object
  the view fetches itself);
- route logins: the login enforcement of a Django view at each URL that reaches it, URLconf
  decorators and wrapped URLconfs included.

Anything djvet cannot read gives no owner relation, an unknown gate or no route login, and the
rules stay silent."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from djvet.index.deps import shared
from djvet.index.endpoints import Endpoint, iter_endpoints
from djvet.index.expr import UNKNOWN, Attr, Call, Expr, Name
from djvet.index.facts import FieldFact, ModelFact, ProjectIndex
from djvet.index.policy import (
    ANYONE,
    AUTHENTICATED,
    BUILTIN_PERMISSIONS,
    LOGIN_DECORATORS,
    NEUTRAL_DECORATOR_PREFIXES,
    RESTRICTED,
    SAFE_METHODS,
    UNKNOWN_ACCESS,
    Login,
    Operation,
    PolicyBook,
    login_with_default_middleware,
    policy_book,
    split_words,
)

USER_BASES = frozenset(
    {
        "django.contrib.auth.models.User",
        "django.contrib.auth.models.AbstractUser",
        "django.contrib.auth.models.AbstractBaseUser",
        "django.contrib.auth.base_user.AbstractBaseUser",
    }
)
# Field names that say the row belongs to the user they point to. `author`, `created_by`,
# `creator` and the like only record who wrote a row, which is often shared or published
# (posts, comments, audit trails): they do not count.
OWNER_FIELD_WORDS = frozenset(
    {"owner", "owners", "user", "customer", "client", "account", "buyer", "purchaser", "patient", "member", "members"}
)
# Model names of tenants: a foreign key to one scopes a row to that tenant.
TENANT_MODEL_WORDS = frozenset({"organization", "organisation", "org", "tenant", "company", "workspace", "team"})
# Models whose rows are published by nature: any signed-in user reading them is the point.
CONTENT_MODEL_WORDS = frozenset(
    {
        "comment", "comments", "review", "reviews", "post", "posts", "article", "articles", "rating", "ratings",
        "vote", "votes", "like", "likes", "reaction", "reactions", "answer", "answers", "question", "questions",
        "reply", "replies", "thread", "threads", "topic", "topics", "story", "stories", "blog", "profile", "profiles",
    }
)  # fmt: skip
# A field that marks which rows are public: the model has rows meant for others to see.
PUBLICATION_FIELDS = frozenset(
    {
        "published", "is_published", "published_at", "publish_date", "pub_date", "public", "is_public",
        "private", "is_private", "visibility", "visible", "is_visible", "shared", "is_shared", "listed", "is_listed",
    }
)  # fmt: skip
# Django login sources that only ask for a signed-in user (the others check permissions or staff).
AUTHENTICATION_ONLY = frozenset({"login_required", "LoginRequiredMixin", "LoginRequiredMiddleware", "login_required (URLconf)"})
CSRF_EXEMPT = "django.views.decorators.csrf.csrf_exempt"


# ---- owner relations -------------------------------------------------------------------------


def is_user_model(index: ProjectIndex, model: str | None) -> bool:
    if model is None:
        return False
    return model in USER_BASES or any(c in USER_BASES for c in index.mros.get(model, ())[1:])


def _is_tenant_model(index: ProjectIndex, model: str | None) -> bool:
    fact = index.models.get(model or "")
    return fact is not None and bool(split_words(fact.name) & TENANT_MODEL_WORDS) and not is_user_model(index, model)


def is_content_model(fact: ModelFact) -> bool:
    """A model whose rows are published by nature (posts, comments, reviews, profiles), or that has
    a field saying which rows are public."""
    return bool(split_words(fact.name) & CONTENT_MODEL_WORDS) or any(f in PUBLICATION_FIELDS for f in fact.fields)


def owner_fields(index: ProjectIndex, model: str | None) -> tuple[FieldFact, ...]:
    """The relations that give a row of `model` an owner: a foreign key or many-to-many to the user
    model named for its owner (`owner`, `user`, `customer`, `members`, ...), or a foreign key to a
    tenant model (`Organization`, `Team`, `Workspace`, ...). Empty for published content, for the
    user and tenant models themselves, and for models djvet cannot fully see."""
    fact = index.models.get(model or "")
    if fact is None or fact.partial or fact.abstract or is_user_model(index, model) or _is_tenant_model(index, model):
        return ()
    if is_content_model(fact):
        return ()
    found = []
    for field in fact.fields.values():
        if field.relation in ("fk", "m2m") and is_user_model(index, field.target):
            if split_words(field.name) & OWNER_FIELD_WORDS and field.name not in ("user_permissions",):
                found.append(field)
        elif field.relation == "fk" and _is_tenant_model(index, field.target):
            found.append(field)
    return tuple(found)


def describe_owner(model: str, fields: Iterable[FieldFact]) -> str:
    """`Order.user` (or `Note.owner`, `Note.team`) for a message."""
    name = model.rpartition(".")[2]
    return ", ".join(f"`{name}.{f.name}`" for f in fields)


# ---- list operations ----------------------------------------------------------------------------

_G = "rest_framework.generics."
# DRF's classes whose GET lists the queryset
DRF_LISTS = frozenset({_G + "ListAPIView", _G + "ListCreateAPIView", "rest_framework.mixins.ListModelMixin"})


def is_list_operation(op: Operation, mro: tuple[str, ...]) -> bool:
    """A viewset's `list`, or the GET of a DRF generic list view."""
    if op.action is not None:
        return op.action == "list"
    return op.method == "GET" and any(c in DRF_LISTS for c in mro)


# ---- the caller gate of DRF views --------------------------------------------------------------


def _defines(book: PolicyBook, cls: str, method: str) -> bool:
    """A project class in `cls`'s MRO writes `method` (before any class djvet knows is DRF's)."""
    for ancestor in book.index.mros.get(cls, (cls,)):
        if ancestor in BUILTIN_PERMISSIONS:
            return False
        info = book.index.classes.get(ancestor)
        if info is None:
            return False
        if method in info.methods:
            return True
    return False


def caller_gate(book: PolicyBook, op: Operation) -> str:
    """Who the permission classes in force let call `op` before an object is involved: what their
    `has_permission` checks say (anyone, authenticated, restricted, or unknown)."""
    names = op.permissions.names
    if not isinstance(names, tuple):
        return UNKNOWN_ACCESS
    if not names:
        return ANYONE
    rank = {ANYONE: 0, AUTHENTICATED: 1, RESTRICTED: 2}
    found = ANYONE
    for name in names:
        if " | " in name or " & " in name:
            return UNKNOWN_ACCESS  # composed classes: not worth a guess
        builtin = BUILTIN_PERMISSIONS.get(name)
        if builtin is not None:
            access = builtin[0] if op.method in SAFE_METHODS else builtin[1]
        elif name in book.index.classes:
            access = book.check_access(name, "has_permission", op.method, 0)
        else:
            return UNKNOWN_ACCESS
        found = max(found, access, key=rank.__getitem__)
    return found


def objects_open_by_design(book: PolicyBook, op: Operation) -> bool:
    """A project permission class in force writes `has_object_permission` and lets every object
    through for this method (`IsOwnerOrReadOnly` on GET): reading any object is the design."""
    names = op.permissions.names if isinstance(op.permissions.names, tuple) else ()
    for name in names:
        if name in book.index.classes and _defines(book, name, "has_object_permission"):
            if book.check_access(name, "has_object_permission", op.method, 0) == ANYONE:
                return True
    return False


# ---- route logins of Django views ---------------------------------------------------------------

def _endpoints_by_view(index: ProjectIndex) -> dict[str, list[Endpoint]]:
    return shared("endpoints-by-view", index, _collect_endpoints_by_view)


def _collect_endpoints_by_view(index: ProjectIndex) -> dict[str, list[Endpoint]]:
    found: dict[str, list[Endpoint]] = {}
    for endpoint in iter_endpoints(index):
        if endpoint.view is not None:
            found.setdefault(endpoint.view, []).append(endpoint)
    return found


def route_decorators(index: ProjectIndex, view: str) -> tuple[tuple[str, ...], ...]:
    """The decorators applied in the URLconf at each endpoint reaching `view` (csrf_exempt ones too)."""
    return tuple(e.decorators for e in _endpoints_by_view(index).get(view, ()))


def route_logins(index: ProjectIndex, view: str) -> tuple[Login, ...]:
    """The login enforcement of a Django view at each endpoint that reaches it from the root
    URLconf: a login decorator applied in the URLconf decides; a decorator djvet does not know or an
    URLconf passed through a function it does not read makes it unknown; else the view's own.

    A view no endpoint reaches is reached some way djvet cannot see (an URLconf built at run time,
    a hook, a project that includes the app): its login is unknown. Only a project with no URLconf
    at all is read view by view."""
    book = policy_book(index)
    policy = book.policy(view)
    if policy is None or policy.login is None:
        return ()
    own = policy.login
    if own.required is False and own.source != "login_not_required" and has_login_like_middleware(book):
        own = Login(UNKNOWN, "")
    if not index.settings_modules:
        # no settings at all: nothing adds LoginRequiredMiddleware to Django's default MIDDLEWARE
        own = login_with_default_middleware(book, view) or own
    endpoints = _endpoints_by_view(index).get(view, [])
    if not endpoints:
        return (own,) if not index.routes else (Login(UNKNOWN, ""),)
    logins = []
    for endpoint in endpoints:
        decorators = endpoint.decorators
        hit = sorted(d for d in decorators if d in LOGIN_DECORATORS)
        if endpoint.wrapped:
            logins.append(Login(UNKNOWN, ""))
        elif hit:
            logins.append(Login(True, hit[0].rpartition(".")[2] + " (URLconf)"))
        elif any(not d.startswith(NEUTRAL_DECORATOR_PREFIXES) for d in decorators):
            logins.append(Login(UNKNOWN, ""))
        else:
            logins.append(own)
    return tuple(logins)


# Words in the class name of a middleware that may send anonymous callers to a login page (a
# project's own LoginRequiredMiddleware from before Django 5.1, django-login-required-middleware,
# SSO and access-control middlewares)
LOGIN_MIDDLEWARE_WORDS = frozenset(
    {
        "login", "auth", "authentication", "authorization", "authorize", "access", "permission", "permissions",
        "require", "required", "sso", "saml", "oidc", "oauth", "restrict", "protect", "guard", "lockdown", "staff",
    }
)  # fmt: skip


def has_login_like_middleware(book: PolicyBook) -> bool:
    """MIDDLEWARE in force holds a middleware outside Django that may ask for a login (Django's
    own are known: only LoginRequiredMiddleware does)."""
    middleware = book.possible_items("MIDDLEWARE")
    if middleware is None:
        return False
    for entry in middleware:
        if not isinstance(entry, str) or entry.startswith("django."):
            continue
        if split_words(entry.rpartition(".")[2]) & LOGIN_MIDDLEWARE_WORDS:
            return True
    return False


def is_open_route(logins: tuple[Login, ...]) -> bool:
    """At least one URL reaches the view with no login required, as far as djvet can tell."""
    return any(login.required is False for login in logins)


def is_signed_in_only(logins: tuple[Login, ...]) -> bool:
    """Every URL reaching the view asks for a signed-in user and nothing more (no permission, no
    staff check, no test on the user)."""
    return bool(logins) and all(login.required is True and login.source in AUTHENTICATION_ONLY for login in logins)


def has_route_guard(index: ProjectIndex, view: str) -> bool:
    """An endpoint reaching a (DRF) view wraps it in a decorator that is not neutral, or passes
    through an URLconf djvet does not read: something else may check the caller."""
    for endpoint in _endpoints_by_view(index).get(view, ()):
        if endpoint.wrapped:
            return True
        if any(not d.startswith(NEUTRAL_DECORATOR_PREFIXES) for d in endpoint.decorators):
            return True
    return False


# ---- the rows a queryset reads -----------------------------------------------------------------

# queryset methods that keep every row (filters are read separately)
_KEEP_ROWS = frozenset(
    {
        "all", "order_by", "select_related", "prefetch_related", "only", "defer", "distinct", "annotate", "alias",
        "using", "reverse", "values", "values_list", "select_for_update",
    }
)  # fmt: skip
_FILTERS = frozenset({"filter", "exclude"})
_DEFAULT_MANAGERS = frozenset({"objects", "_default_manager"})
MAX_ROWS_DEPTH = 4


@dataclass(frozen=True, slots=True)
class Rows:
    """A queryset read as every row of a model's default manager, narrowed only by plain filters."""

    model: str
    lookups: tuple[str, ...] = ()  # the keyword lookups of its filter() / exclude() calls, as written
    values: tuple[Expr, ...] = ()  # their values


def _chain(expr: Expr) -> tuple[Expr, list[tuple[str, Call]]]:
    """`Note.objects.filter(a=1).order_by("x")` -> (Name("Note.objects"), [(filter, call), (order_by, call)])."""
    calls: list[tuple[str, Call]] = []
    current = expr
    for _ in range(40):
        if isinstance(current, Call) and isinstance(current.func, Name) and "." in current.func.dotted:
            head, _, method = current.func.dotted.rpartition(".")
            calls.append((method, current))
            current = Name(head, current.line)
        elif isinstance(current, Call) and isinstance(current.func, Attr):
            calls.append((current.func.name, current))
            current = current.func.obj
        else:
            break
    calls.reverse()
    return current, calls


def queryset_rows(
    index: ProjectIndex, module: str, expr: Expr, view: str | None = None, owner: str | None = None, depth: int = 0
) -> Rows | None:
    """What rows the queryset `expr` (written in `module`, in the view class `view` when given) reads:
    the model and the filters on the way; None when djvet cannot know (a custom manager or queryset
    method, `Q` objects, a helper function, a base class it cannot read)."""
    if depth > MAX_ROWS_DEPTH:
        return None
    head, calls = _chain(expr)
    base: Rows | None
    if isinstance(head, Name) and head.dotted == "self" and calls and calls[0][0] == "get_queryset" and view:
        base, calls = view_rows(index, view, depth + 1), calls[1:]
    elif (
        isinstance(head, Call)
        and isinstance(head.func, Name)
        and head.func.dotted == "super"
        and calls
        and calls[0][0] == "get_queryset"
        and view
    ):
        base, calls = view_rows(index, view, depth + 1, after=owner), calls[1:]
    elif isinstance(head, Name) and head.dotted == "self.queryset" and view:
        base = view_rows(index, view, depth + 1, attribute_only=True)
    elif isinstance(head, Name):
        base = _manager_rows(index, module, head.dotted)
    else:
        base = None
    if base is None:
        return None
    lookups, values = list(base.lookups), list(base.values)
    for method, call in calls:
        if method in _FILTERS:
            if call.args or any(key == "**" for key, _ in call.kwargs):
                return None  # Q objects or unpacked lookups: not read
            lookups += [key for key, _ in call.kwargs]
            values += [value for _, value in call.kwargs]
        elif method not in _KEEP_ROWS:
            return None
    return Rows(base.model, tuple(lookups), tuple(values))


def _manager_rows(index: ProjectIndex, module: str, dotted: str) -> Rows | None:
    """`Note.objects` / `Note._default_manager`: every row, unless a project manager may narrow them."""
    resolver = policy_book(index).resolver
    parts = dotted.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        model = resolver.resolve(module, ".".join(parts[:cut]))
        if model not in index.models:
            continue
        rest = parts[cut:]
        fact = index.models[model]
        if len(rest) != 1 or fact.partial:
            return None
        manager = fact.managers.get(rest[0])
        if manager is None:
            return Rows(model) if rest[0] in _DEFAULT_MANAGERS else None
        for cls in (manager.manager_class, manager.queryset_class):
            if cls is not None and any(
                "get_queryset" in index.classes[c].methods for c in index.mros.get(cls, (cls,)) if c in index.classes
            ):
                return None  # a project manager that may filter its rows
        return Rows(model)
    return None


def view_rows(
    index: ProjectIndex, view: str, depth: int = 0, after: str | None = None, attribute_only: bool = False
) -> Rows | None:
    """The rows a view class's `get_queryset()` (or its `queryset` / `model` attribute) reads,
    looked up in its MRO (after the class `after`, for `super()`)."""
    mro = list(index.mros.get(view, (view,)))
    if after is not None:
        if after not in mro:
            return None
        mro = mro[mro.index(after) + 1 :]
    for cls in mro:
        info = index.classes.get(cls)
        if info is None:
            if cls.startswith(("rest_framework.", "django.")):
                continue
            return None  # a base class djvet cannot read may define either
        method = info.methods.get("get_queryset")
        if method is not None and not attribute_only:
            if len(method.returns) != 1:
                return None
            return queryset_rows(index, info.module, method.returns[0], view, cls, depth + 1)
        if "queryset" in info.attrs:
            return queryset_rows(index, info.module, info.attrs["queryset"], view, cls, depth + 1)
        written = info.attrs.get("model")
        if isinstance(written, Name):
            model = policy_book(index).resolver.resolve_class(info.module, written.dotted)
            return Rows(model) if model in index.models else None
    return None


def mentions_request_user(expr: Expr) -> bool:
    """`request.user`, `self.request.user.team` or a call with one of them, anywhere in `expr`."""
    stack: list[object] = [expr]
    while stack:
        current = stack.pop()
        if isinstance(current, Name):
            parts = current.dotted.split(".")
            if "user" in parts[1:] and "request" in parts[: parts.index("user")]:
                return True
        elif isinstance(current, Call):
            stack += [current.func, *current.args, *(v for _, v in current.kwargs)]
        elif isinstance(current, Attr):
            stack.append(current.obj)
    return False
