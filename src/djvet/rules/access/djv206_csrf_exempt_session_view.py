"""DJV206 csrf-exempt-session-view: see rules/DJV206.yaml."""

from __future__ import annotations

from collections.abc import Iterator

from astroid import nodes

from djvet.astro.access import is_test_code, public_word
from djvet.astro.build import build_module
from djvet.astro.requests import RequestUse
from djvet.engine import ModuleContext
from djvet.index.bodies import module_text
from djvet.index.expr import UNKNOWN
from djvet.index.policy import METHOD_DECORATOR, UNSAFE_METHODS, ViewPolicy, policy_book
from djvet.index.scoping import CSRF_EXEMPT, route_logins
from djvet.rule import Hit, Rule

SESSION_AUTHENTICATION = "rest_framework.authentication.SessionAuthentication"
_CSRF_MIDDLEWARE = "django.middleware.csrf.CsrfViewMiddleware"
_SESSION_MIDDLEWARE = (
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
)
# what a view reads when the caller signs each request itself (a token, a provider's signature)
_OWN_CREDENTIALS = ("authorization", "token", "signature", "hmac", "api_key", "apikey", "secret")


class CsrfExemptSessionView(Rule):
    code = "DJV206"
    needs_text = ("csrf_exempt", "enforce_csrf")

    def applies_to(self, ctx: ModuleContext) -> bool:
        return super().applies_to(ctx) and not is_test_code(ctx)

    def check_functiondef(self, node: nodes.FunctionDef, ctx: ModuleContext) -> Iterator[Hit]:
        if node.name == "enforce_csrf" and isinstance(node.parent, nodes.ClassDef):
            yield from self._check_enforce_csrf(node, ctx)
            return
        if not isinstance(node.parent, nodes.Module):
            return
        decorator = _csrf_exempt_decorator(node, ctx)
        if decorator is not None:
            yield from self._check_view(decorator, ctx.qualname(node), ctx, "`@csrf_exempt`", node)

    def check_asyncfunctiondef(self, node: nodes.AsyncFunctionDef, ctx: ModuleContext) -> Iterator[Hit]:
        yield from self.check_functiondef(node, ctx)

    def check_classdef(self, node: nodes.ClassDef, ctx: ModuleContext) -> Iterator[Hit]:
        decorator = _csrf_exempt_decorator(node, ctx)
        if decorator is None:
            dispatch = next((m for m in node.mymethods() if m.name == "dispatch"), None)
            decorator = _csrf_exempt_decorator(dispatch, ctx) if dispatch is not None else None
        if decorator is not None:
            yield from self._check_view(decorator, ctx.qualname(node), ctx, f"`@{decorator.as_string()}`", node)

    def check_call(self, node: nodes.Call, ctx: ModuleContext) -> Iterator[Hit]:
        """`path("x/", csrf_exempt(View.as_view()))` in an URLconf."""
        if not node.args or not isinstance(node.func, (nodes.Name, nodes.Attribute)):
            return
        book = policy_book(ctx.index)
        if book.resolver.resolve(ctx.module, node.func.as_string()) != CSRF_EXEMPT:
            return
        target = node.args[0]
        if isinstance(target, nodes.Call) and isinstance(target.func, nodes.Attribute) and target.func.attrname == "as_view":
            target = target.func.expr
        if not isinstance(target, (nodes.Name, nodes.Attribute)):
            return
        view = book.resolver.resolve_class(ctx.module, target.as_string())
        if view in ctx.index.views:
            yield from self._check_view(node, view, ctx, "`csrf_exempt(...)` in the URLconf", _definition(ctx, view))

    def _check_view(
        self, where: nodes.NodeNG, view: str, ctx: ModuleContext, subject: str, node: nodes.FunctionDef | nodes.ClassDef | None
    ) -> Iterator[Hit]:
        book = policy_book(ctx.index)
        fact = ctx.index.views.get(view)
        policy = book.policy(view)
        # DRF's views are exempt already and SessionAuthentication checks CSRF itself: no effect
        if fact is None or policy is None or policy.drf or policy.public is not None or public_word(book, fact) is not None:
            return
        if not _middleware_protects(book.setting("MIDDLEWARE")) or not _accepts_writes(policy):
            return
        uses = [RequestUse(f) for f in _functions(node)] if node is not None else []
        if any(_own_credentials(u) for u in uses):
            return
        logins = (*route_logins(ctx.index, view), *((policy.login,) if policy.login is not None else ()))
        login = next((x.source for x in logins if x.required is True), None)
        if login is not None:
            evidence = f"`{login}`"
        elif any(u.reads_user() for u in uses):
            evidence = "it reads `request.user`"
        else:
            return
        yield Hit(where, {"subject": subject, "target": f"`{fact.name}`", "evidence": evidence})

    def _check_enforce_csrf(self, node: nodes.FunctionDef, ctx: ModuleContext) -> Iterator[Hit]:
        """A DRF `SessionAuthentication` subclass whose `enforce_csrf` checks nothing."""
        owner = ctx.qualname(node.parent)
        if SESSION_AUTHENTICATION not in ctx.index.mros.get(owner, ()) or not _does_nothing(node):
            return
        book = policy_book(ctx.index)
        users = []
        for view in sorted(ctx.index.views):
            policy = book.policy(view)
            names = policy.authentication.names if policy is not None and policy.drf and not policy.abstract else ()
            if isinstance(names, tuple) and owner in names and _accepts_writes(policy):  # type: ignore[arg-type]
                users.append(f"`{view.rpartition('.')[2]}`")
        if users:
            target = ", ".join(users[:3]) + (f" and {len(users) - 3} more" if len(users) > 3 else "")
            subject = f"`{node.parent.name}.enforce_csrf`"
            yield Hit(node, {"subject": subject, "target": target, "evidence": "a `SessionAuthentication` subclass"})


def _csrf_exempt_decorator(node: nodes.FunctionDef | nodes.ClassDef, ctx: ModuleContext) -> nodes.NodeNG | None:
    """The `@csrf_exempt` / `@method_decorator(csrf_exempt, name="dispatch")` decorating `node`."""
    resolver = policy_book(ctx.index).resolver
    for decorator in node.decorators.nodes if node.decorators else ():
        if isinstance(decorator, (nodes.Name, nodes.Attribute)):
            if not isinstance(node, nodes.ClassDef) and resolver.resolve(ctx.module, decorator.as_string()) == CSRF_EXEMPT:
                return decorator
            continue
        if not isinstance(decorator, nodes.Call) or not isinstance(decorator.func, (nodes.Name, nodes.Attribute)):
            continue
        if resolver.resolve(ctx.module, decorator.func.as_string()) != METHOD_DECORATOR or not decorator.args:
            continue
        name = next((k.value for k in decorator.keywords or [] if k.arg == "name"), None)
        on_dispatch = isinstance(name, nodes.Const) and name.value == "dispatch"
        if isinstance(node, nodes.ClassDef) and not on_dispatch:
            continue  # on one handler only: Django reads csrf_exempt from dispatch (View.as_view)
        inner = decorator.args[0]
        items = inner.elts if isinstance(inner, (nodes.List, nodes.Tuple)) else [inner]
        if any(
            isinstance(i, (nodes.Name, nodes.Attribute)) and resolver.resolve(ctx.module, i.as_string()) == CSRF_EXEMPT
            for i in items
        ):
            return decorator
    return None


def _middleware_protects(middleware: object) -> bool:
    """CSRF protection and session sign-in are on (Django's default settings have both) unless the
    settings in force list MIDDLEWARE without them."""
    if not isinstance(middleware, tuple):
        return middleware is None or middleware is UNKNOWN
    return _CSRF_MIDDLEWARE in middleware and all(m in middleware for m in _SESSION_MIDDLEWARE)


def _accepts_writes(policy: ViewPolicy) -> bool:
    """The view accepts POST, PUT, PATCH or DELETE (a function view with no method decorator, any)."""
    if policy.kind == "django-function" and not policy.operations:
        return True
    return bool(set(policy.methods) & set(UNSAFE_METHODS))


def _definition(ctx: ModuleContext, view: str) -> nodes.FunctionDef | nodes.ClassDef | None:
    """The view's definition, parsed from its file (an URLconf names views written elsewhere)."""
    fact = ctx.index.views.get(view)
    if fact is None:
        return None
    try:
        text = module_text(ctx.index, fact.module)
        if text is None:
            return None
        tree = build_module(text, fact.module, fact.path, ctx.index)
    except Exception:  # an unreadable file: no evidence, no finding
        return None
    for node in tree.body:
        if isinstance(node, (nodes.FunctionDef, nodes.ClassDef)) and f"{fact.module}.{node.name}" == view:
            return node
    return None


def _functions(node: nodes.FunctionDef | nodes.ClassDef) -> list[nodes.FunctionDef]:
    return list(node.mymethods()) if isinstance(node, nodes.ClassDef) else [node]


def _own_credentials(use: RequestUse) -> bool:
    """The view reads a credential the caller sends with each request (a token, a signature)."""
    for node in use.nodes:
        if isinstance(node, nodes.Const) and isinstance(node.value, str):
            text = node.value.lower()
        elif isinstance(node, (nodes.Name, nodes.AssignName)):
            text = node.name.lower()
        elif isinstance(node, nodes.Attribute):
            text = node.attrname.lower()
        else:
            continue
        if any(word in text for word in _OWN_CREDENTIALS):
            return True
    return False


def _does_nothing(function: nodes.FunctionDef) -> bool:
    """`pass`, `return`, `return None` or a docstring alone."""
    for stmt in function.body:
        if isinstance(stmt, nodes.Pass) or (isinstance(stmt, nodes.Expr) and isinstance(stmt.value, nodes.Const)):
            continue
        if isinstance(stmt, nodes.Return) and (
            stmt.value is None or (isinstance(stmt.value, nodes.Const) and stmt.value.value is None)
        ):
            continue
        return False
    return True
