"""DJV208 object-fetch-without-ownership-check: see rules/DJV208.yaml."""

from __future__ import annotations

from collections.abc import Iterator

from astroid import nodes

from djvet.astro.access import defines_views, is_test_code
from djvet.astro.exprs import to_expr
from djvet.astro.requests import HANDLER_NAMES, RequestUse, is_capability, own_nodes
from djvet.engine import ModuleContext
from djvet.index.expr import Const
from djvet.index.policy import (
    ACTION_METHODS,
    AUTHENTICATED,
    BUILTIN_PERMISSIONS,
    HANDLERS,
    LOGIN_DECORATORS,
    METHOD_DECORATOR,
    NEUTRAL_DECORATOR_PREFIXES,
    Operation,
    PolicyBook,
    ViewPolicy,
    policy_book,
)
from djvet.index.scoping import (
    PUBLICATION_FIELDS,
    Rows,
    caller_gate,
    describe_owner,
    has_route_guard,
    is_list_operation,
    is_signed_in_only,
    mentions_request_user,
    objects_open_by_design,
    owner_fields,
    queryset_rows,
    route_logins,
    view_rows,
)
from djvet.rule import Hit, Rule

GET_OBJECT_OR_404 = frozenset(
    {"django.shortcuts.get_object_or_404", "django.shortcuts.aget_object_or_404", "rest_framework.generics.get_object_or_404"}
)
KNOWN_DECORATOR_PREFIXES = (*NEUTRAL_DECORATOR_PREFIXES, "rest_framework.decorators.")


class ObjectFetchWithoutOwnershipCheck(Rule):
    code = "DJV208"
    needs_text = ("get_object_or_404", ".get(", ".aget(")

    def applies_to(self, ctx: ModuleContext) -> bool:
        return super().applies_to(ctx) and not is_test_code(ctx) and defines_views(ctx)

    def check_functiondef(self, node: nodes.FunctionDef, ctx: ModuleContext) -> Iterator[Hit]:
        view = self._signed_in_view(node, ctx)
        if view is None or _has_unknown_decorator(node, ctx):
            return
        use = RequestUse(node)
        if use.checks_caller():
            return
        scoped = policy_book(ctx.index).policy(view)
        for call in own_nodes(node):
            if not isinstance(call, nodes.Call) or isinstance(call.parent, nodes.Expr):
                continue
            found = _fetch(call, use, ctx, view if view in ctx.index.classes else None)
            if found is None:
                continue
            rows, key = found
            if scoped is not None and scoped.objects_scoped and _from_view(call):
                continue
            owners = owner_fields(ctx.index, rows.model)
            if owners and not {f.name for f in owners} & {k.split("__")[0].removesuffix("_id") for k in rows.lookups}:
                model = rows.model.rpartition(".")[2]
                yield Hit(
                    call, {"view": _where(node), "model": model, "key": key, "owner": describe_owner(rows.model, owners[:2])}
                )
                return

    def check_asyncfunctiondef(self, node: nodes.AsyncFunctionDef, ctx: ModuleContext) -> Iterator[Hit]:
        yield from self.check_functiondef(node, ctx)

    def check_classdef(self, node: nodes.ClassDef, ctx: ModuleContext) -> Iterator[Hit]:
        """The framework's own object lookup over a queryset nobody scoped: DRF's `get_object()`
        where no permission class in force looks at the object, or the `get_object()` of Django's
        `DetailView` / `UpdateView` / `DeleteView` behind a login only. (A DRF view with a list is
        DJV207's: the same queryset.)"""
        qualname = ctx.qualname(node)
        book = policy_book(ctx.index)
        policy = book.policy(qualname) if qualname in ctx.index.views else None
        if policy is None or policy.abstract or policy.public is not None or policy.guarded_by is not None:
            return
        if _overrides(ctx, qualname, "get_object") or not self._framework_lookup(book, policy, ctx):
            return
        rows = view_rows(ctx.index, qualname)
        key = _lookup(ctx, qualname, policy.drf)
        if rows is None or key is None or is_capability(key):
            return
        owners = owner_fields(ctx.index, rows.model)
        narrowed = {lookup.split("__")[0].removesuffix("_id") for lookup in rows.lookups}
        if owners and not narrowed & ({f.name for f in owners} | PUBLICATION_FIELDS):
            model = rows.model.rpartition(".")[2]
            yield Hit(node, {"view": node.name, "model": model, "key": key, "owner": describe_owner(rows.model, owners[:2])})

    def _framework_lookup(self, book: PolicyBook, policy: ViewPolicy, ctx: ModuleContext) -> bool:
        mro = ctx.index.mros.get(policy.view, ())
        if not policy.drf:
            if not any(c in DJANGO_DETAILS for c in mro) or _reads_user(ctx, policy.view):
                return False
            return is_signed_in_only(route_logins(ctx.index, policy.view))
        if policy.objects_scoped or has_route_guard(ctx.index, policy.view) or any(is_list_operation(op, mro) for op in policy.operations):
            return False
        details = [op for op in policy.operations if _is_drf_detail(op, mro, ctx)]
        return bool(details) and all(_object_blind(book, op) for op in details)

    def _signed_in_view(self, node: nodes.FunctionDef, ctx: ModuleContext) -> str | None:
        """The view this function runs in, when every caller reaching it is signed in and no more
        is asked of them (no permission, staff or object check in force)."""
        book = policy_book(ctx.index)
        if isinstance(node.parent, nodes.Module):
            qualname = ctx.qualname(node)
            policy = book.policy(qualname) if qualname in ctx.index.views else None
            if policy is None or policy.abstract:
                return None
            return qualname if _gate(book, policy, node.name, ctx, function=True) else None
        if not isinstance(node.parent, nodes.ClassDef):
            return None
        owner = ctx.qualname(node.parent)
        views = book.concrete_views(owner)
        if not views:
            return None
        for view in views:
            policy = book.policy(view)
            if policy is None or not _gate(book, policy, node.name, ctx, function=False):
                return None
        return owner


def _gate(book: PolicyBook, policy: ViewPolicy, name: str, ctx: ModuleContext, function: bool) -> bool:
    if policy.guarded_by is not None or policy.public is not None:
        return False
    if not policy.drf:
        if not function and name not in HANDLER_NAMES and name not in ("get_object", "form_valid", "get_context_data"):
            return False
        return is_signed_in_only(route_logins(ctx.index, policy.view))
    if has_route_guard(ctx.index, policy.view):
        return False
    operations = policy.operations if function else _operations_of(policy, name)
    return bool(operations) and all(
        op.public is None and caller_gate(book, op) == AUTHENTICATED and not objects_open_by_design(book, op) for op in operations
    )


_DETAIL_BASES = frozenset(
    {
        "rest_framework.generics." + n
        for n in (
            "RetrieveAPIView",
            "UpdateAPIView",
            "DestroyAPIView",
            "RetrieveUpdateAPIView",
            "RetrieveDestroyAPIView",
            "RetrieveUpdateDestroyAPIView",
        )
    }
    | {"rest_framework.mixins." + n for n in ("RetrieveModelMixin", "UpdateModelMixin", "DestroyModelMixin")}
)
_DG = "django.views.generic."
# Django's generic views that look one object up by the URL's pk or slug
DJANGO_DETAILS = frozenset(
    {_DG + n for n in ("DetailView", "UpdateView", "DeleteView", "detail.DetailView", "detail.BaseDetailView")}
    | {_DG + "edit." + n for n in ("UpdateView", "DeleteView", "BaseUpdateView", "BaseDeleteView")}
)
_OBJECT_CHECKING = frozenset({"rest_framework.permissions.DjangoObjectPermissions"})


def _is_drf_detail(op: Operation, mro: tuple[str, ...], ctx: ModuleContext) -> bool:
    """An operation DRF serves with `get_object()`: retrieve / update / partial_update / destroy, or
    a generic detail view's handler; a project handler only when it hands over to `super()`."""
    if op.action is not None and op.action not in ACTION_METHODS:
        return False
    if op.action is None and not any(c in _DETAIL_BASES for c in mro):
        return False
    if op.action in ("list", "create") or (op.action is None and op.method == "POST"):
        return False
    if op.line == 0:
        return True
    name = op.action or op.method.lower()
    handler = next((i.methods[name] for c in mro if (i := ctx.index.classes.get(c)) is not None and name in i.methods), None)
    return handler is not None and not handler.uses_request_user and name in handler.calls


def _object_blind(book: PolicyBook, op: Operation) -> bool:
    """Signed in is all the permission classes ask, and none of them looks at the object."""
    names = op.permissions.names if isinstance(op.permissions.names, tuple) else ()
    if op.public is not None or caller_gate(book, op) != AUTHENTICATED or any(n in _OBJECT_CHECKING for n in names):
        return False
    return not any(n in book.index.classes and _defines_object_check(book, n) for n in names)


def _defines_object_check(book: PolicyBook, cls: str) -> bool:
    for ancestor in book.index.mros.get(cls, (cls,)):
        info = book.index.classes.get(ancestor)
        if info is None:
            return ancestor not in BUILTIN_PERMISSIONS  # a class outside DRF and the project may check objects
        if "has_object_permission" in info.methods:
            return True
    return False


def _overrides(ctx: ModuleContext, view: str, method: str) -> bool:
    return any(method in i.methods for c in ctx.index.mros.get(view, ()) if (i := ctx.index.classes.get(c)) is not None)


def _reads_user(ctx: ModuleContext, view: str) -> bool:
    """A project method the view has (a `get_queryset`, `dispatch`, `get_context_data`, ...) reads the
    user or hands the request on: it may scope or check."""
    for cls in ctx.index.mros.get(view, ()):
        info = ctx.index.classes.get(cls)
        if info is not None and any(f.uses_request_user for f in info.methods.values()):
            return True
    return False


def _lookup(ctx: ModuleContext, view: str, drf: bool) -> str | None:
    """The URL keyword the object is looked up by: DRF's `lookup_url_kwarg` / `lookup_field`, or
    Django's `pk_url_kwarg` / `slug_url_kwarg` / `slug_field` (pk by default)."""
    attrs = ("lookup_url_kwarg", "lookup_field") if drf else ("slug_field", "slug_url_kwarg", "pk_url_kwarg")
    for attr in attrs:
        for cls in ctx.index.mros.get(view, ()):
            info = ctx.index.classes.get(cls)
            value = info.attrs.get(attr) if info is not None else None
            if value is not None:
                if not (isinstance(value, Const) and isinstance(value.value, str)):
                    return None
                return value.value
    return "pk"


def _has_unknown_decorator(node: nodes.FunctionDef, ctx: ModuleContext) -> bool:
    """A decorator that may check the caller (`@owner_required`): anything but DRF's, Django's
    neutral ones (`require_POST`, `never_cache`, `transaction.atomic`, ...), schema decorators and
    the login decorators the gate already read."""
    resolver = policy_book(ctx.index).resolver
    for decorator in node.decorators.nodes if node.decorators else ():
        target = decorator.func if isinstance(decorator, nodes.Call) else decorator
        if not isinstance(target, (nodes.Name, nodes.Attribute)):
            return True
        name = resolver.resolve(ctx.module, target.as_string())
        if name == METHOD_DECORATOR and isinstance(decorator, nodes.Call) and decorator.args:
            inner = decorator.args[0]
            inner = inner.func if isinstance(inner, nodes.Call) else inner
            if not isinstance(inner, (nodes.Name, nodes.Attribute)):
                return True
            name = resolver.resolve(ctx.module, inner.as_string())
        if not (name.startswith(KNOWN_DECORATOR_PREFIXES) or name in LOGIN_DECORATORS or name in ("property", "staticmethod")):
            return True
    return False


# DRF's hooks that run inside the operations of one kind: (actions, HTTP methods of handlers)
_SAVE_HOOKS = {
    "perform_create": (("create",), ("POST",)),
    "perform_update": (("update", "partial_update"), ("PUT", "PATCH")),
    "perform_destroy": (("destroy",), ("DELETE",)),
}
# DRF's methods every operation of the view calls
_EVERY_OPERATION = frozenset({"get_queryset", "get_serializer_context", "initial"})


def _operations_of(policy: ViewPolicy, name: str) -> list[Operation]:
    """The operations a method of a DRF view serves: its handler, its action, the operations whose
    save hook it is, every operation for the methods they all call, or (get_object) every operation
    on one object."""
    if name == "get_object":
        return [op for op in policy.operations if op.detail is True or (op.action is None and op.method != "POST")]
    if name in _SAVE_HOOKS:
        actions, methods = _SAVE_HOOKS[name]
        return [op for op in policy.operations if op.action in actions or (op.action is None and op.method in methods)]
    if name in _EVERY_OPERATION:
        return list(policy.operations)
    if name in HANDLERS:
        return [op for op in policy.operations if op.action is None and op.method == name.upper()]
    if name in ACTION_METHODS or any(op.action == name for op in policy.operations):
        return [op for op in policy.operations if op.action == name]
    return []


def _fetch(call: nodes.Call, use: RequestUse, ctx: ModuleContext, view: str | None) -> tuple[Rows, str] | None:
    """`get_object_or_404(Model, pk=pk)` or `<queryset>.get(pk=...)` whose lookup uses a value the
    caller sent and never the caller: the rows it reads (lookups included) and the lookup sent."""
    book = policy_book(ctx.index)
    func = call.func
    if (
        isinstance(func, (nodes.Name, nodes.Attribute))
        and book.resolver.resolve(ctx.module, func.as_string()) in GET_OBJECT_OR_404
    ):
        if len(call.args) != 1:
            return None  # Q objects or no model: not read
        source = call.args[0]
    elif isinstance(func, nodes.Attribute) and func.attrname in ("get", "aget") and not call.args:
        source = func.expr
    else:
        return None
    keywords = call.keywords or []
    if not keywords or any(k.arg is None for k in keywords):
        return None
    if use.mentions_user(source) or any(use.mentions_user(k.value) for k in keywords):
        return None  # the lookup names the caller
    sent = [k.arg for k in keywords if k.arg and use.mentions_input(k.value)]
    if not sent or any(is_capability(k.arg or "") for k in keywords):
        return None
    if any(use.mentions_own_value(k.value) and not use.mentions_input(k.value) for k in keywords):
        return None  # narrowed by a value the code chose (a parent object it checked, a setting)
    rows = queryset_rows(ctx.index, ctx.module, to_expr(source), view, view)
    if rows is None and isinstance(source, (nodes.Name, nodes.Attribute)):
        model = book.resolver.resolve_class(ctx.module, source.as_string())
        rows = Rows(model) if model in ctx.index.models else None
    if rows is None or any(mentions_request_user(v) for v in rows.values):
        return None
    return Rows(rows.model, rows.lookups + tuple(k.arg for k in keywords if k.arg), rows.values), sent[0]


def _from_view(call: nodes.Call) -> bool:
    """The fetch starts from the view's own queryset (`self.get_queryset()`, `self.queryset`)."""
    return "self.get_queryset" in call.as_string() or "self.queryset" in call.as_string() or "super()" in call.as_string()


def _where(node: nodes.FunctionDef) -> str:
    if isinstance(node.parent, nodes.ClassDef):
        return f"{node.parent.name}.{node.name}"
    return str(node.name)
