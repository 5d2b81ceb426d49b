"""DJV205 django-view-writes-without-login: see rules/DJV205.yaml."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from astroid import nodes

from djvet.astro.access import defines_views, is_test_code, public_word
from djvet.astro.querysets import loaded_by
from djvet.astro.requests import RequestUse, callee_name, is_capability, own_nodes
from djvet.engine import ModuleContext
from djvet.index.expr import Const
from djvet.index.policy import METHOD_DECORATORS, REQUIRE_HTTP_METHODS, UNSAFE_METHODS, ViewPolicy, policy_book
from djvet.index.scoping import is_open_route, route_logins
from djvet.rule import Hit, Rule

# manager and queryset calls that change rows
_QUERYSET_WRITES = frozenset(
    prefix + name
    for prefix in ("", "a")  # Django's async ORM: acreate(), aupdate(), ...
    for name in ("create", "update", "delete", "get_or_create", "update_or_create", "bulk_create", "bulk_update")
)
# values whose .save() / .delete() is not a row's: the session, the cache, cookies, files
_NOT_ROWS = ("session", "cache", "cookie", "storage", "file", "image")
_DG, _DE = "django.views.generic.", "django.views.generic.edit."
# Django's generic views that save or delete the object in `form_valid` on POST
_DJANGO_WRITES = frozenset(
    p + n
    for p in (_DG, _DE)
    for n in ("CreateView", "BaseCreateView", "UpdateView", "BaseUpdateView", "DeleteView", "BaseDeleteView")
)
_HANDLERS = ("post", "put", "patch", "delete", "form_valid")
# calls that sign a caller in: the view is a login or signup flow
_SIGN_IN_CALLS = frozenset({"login", "authenticate"})


class DjangoViewWritesWithoutLogin(Rule):
    code = "DJV205"

    def applies_to(self, ctx: ModuleContext) -> bool:
        return super().applies_to(ctx) and not is_test_code(ctx) and defines_views(ctx, django_only=True)

    def check_functiondef(self, node: nodes.FunctionDef, ctx: ModuleContext) -> Iterator[Hit]:
        if not isinstance(node.parent, nodes.Module):
            return
        policy = self._open_policy(node, ctx)
        if policy is None:
            return
        use = RequestUse(node)
        if use.reads_user() or use.checks_caller() or _signs_in(use) or use.looks_up_by_capability():
            return
        methods = _declared_methods(node, ctx)
        if methods is not None and not set(methods) & set(UNSAFE_METHODS):
            return
        writes = _writes(node.body, use, ctx, post=methods is not None)
        if writes:
            yield Hit(node, {"view": node.name, "write": _describe(writes[0])})

    def check_asyncfunctiondef(self, node: nodes.AsyncFunctionDef, ctx: ModuleContext) -> Iterator[Hit]:
        yield from self.check_functiondef(node, ctx)

    def check_classdef(self, node: nodes.ClassDef, ctx: ModuleContext) -> Iterator[Hit]:
        policy = self._open_policy(node, ctx)
        if policy is None or policy.guarded_by is not None:
            return
        if not set(policy.methods) & set(UNSAFE_METHODS):
            return
        methods = {m.name: m for m in node.mymethods()}
        uses = [RequestUse(m) for m in methods.values()]
        if any(u.reads_user() or u.checks_caller() or _signs_in(u) or u.looks_up_by_capability() for u in uses):
            return
        if _bases_read_user(policy, ctx) or _capability_lookup(policy, ctx):
            return
        writes: list[nodes.Call] = []
        for name in _HANDLERS:
            if name in methods:
                use = RequestUse(methods[name])
                writes += _writes(methods[name].body, use, ctx, post=True)
                writes += _helper_writes(methods[name], methods, ctx)
        if writes:
            yield Hit(node, {"view": node.name, "write": _describe(writes[0])})
            return
        django = _django_write(policy, ctx)
        if django is not None:
            yield Hit(node, {"view": node.name, "write": django})

    def _open_policy(self, node: nodes.FunctionDef | nodes.ClassDef, ctx: ModuleContext) -> ViewPolicy | None:
        """The policy of a Django view some URL reaches with no login, outside public-by-design ones."""
        qualname = ctx.qualname(node)
        view = ctx.index.views.get(qualname)
        if view is None or view.kind not in ("django-function", "django-cbv"):
            return None
        book = policy_book(ctx.index)
        policy = book.policy(qualname)
        if policy is None or policy.drf or policy.abstract or policy.public is not None:
            return None
        if public_word(book, view) is not None or not is_open_route(route_logins(ctx.index, qualname)):
            return None
        return policy


def _signs_in(use: RequestUse) -> bool:
    return any(isinstance(n, nodes.Call) and callee_name(n) in _SIGN_IN_CALLS for n in use.nodes)


def _bases_read_user(policy: ViewPolicy, ctx: ModuleContext) -> bool:
    """A project class the view inherits from reads `request.user` (or hands the request on) in a
    method: it may check the caller."""
    for cls in ctx.index.mros.get(policy.view, ())[1:]:
        info = ctx.index.classes.get(cls)
        if info is not None and any(f.uses_request_user for f in info.methods.values()):
            return True
    return False


def _capability_lookup(policy: ViewPolicy, ctx: ModuleContext) -> bool:
    """`slug_field = "token"` / `slug_url_kwarg = "key"`: the object is found by a value nobody can guess."""
    for cls in ctx.index.mros.get(policy.view, ()):
        info = ctx.index.classes.get(cls)
        for attr in ("slug_field", "slug_url_kwarg", "pk_url_kwarg"):
            value = info.attrs.get(attr) if info is not None else None
            if isinstance(value, Const) and isinstance(value.value, str) and is_capability(value.value):
                return True
    return False


def _declared_methods(node: nodes.FunctionDef, ctx: ModuleContext) -> tuple[str, ...] | None:
    """The methods `require_POST` / `require_http_methods([...])` let through; None when any may come."""
    resolver = policy_book(ctx.index).resolver
    for decorator in node.decorators.nodes if node.decorators else ():
        target = decorator.func if isinstance(decorator, nodes.Call) else decorator
        name = target.as_string() if isinstance(target, (nodes.Name, nodes.Attribute)) else ""
        resolved = resolver.resolve(ctx.module, name) if name else ""
        if resolved in METHOD_DECORATORS:
            return METHOD_DECORATORS[resolved]
        if resolved == REQUIRE_HTTP_METHODS and isinstance(decorator, nodes.Call) and decorator.args:
            arg = decorator.args[0]
            if isinstance(arg, (nodes.List, nodes.Tuple)):
                return tuple(str(e.value).upper() for e in arg.elts if isinstance(e, nodes.Const))
    return None


def _writes(body: Sequence[nodes.NodeNG], use: RequestUse, ctx: ModuleContext, post: bool) -> list[nodes.Call]:
    """The calls that change rows on the paths a POST takes (all of `body` when `post`): under
    `if request.method == "POST"`, `if form.is_valid()`, after `if request.method != "POST": return`."""
    found: list[nodes.Call] = []
    for stmt in body:
        if isinstance(stmt, nodes.If):
            then_post, else_post = _branches(stmt.test, use)
            found += _writes(stmt.body, use, ctx, post if then_post is None else then_post)
            found += _writes(stmt.orelse, use, ctx, post if else_post is None else else_post)
            if else_post is True and not stmt.orelse and _exits(stmt.body):
                post = True  # `if request.method != "POST": return ...`: the rest runs on POST
        elif isinstance(stmt, (nodes.For, nodes.While, nodes.With, nodes.Try)):
            for block in ("body", "orelse", "finalbody"):
                found += _writes(getattr(stmt, block, []) or [], use, ctx, post)
            for handler in getattr(stmt, "handlers", []) or []:
                found += _writes(handler.body, use, ctx, post)
        elif post:
            found += [n for n in _statement_nodes(stmt) if isinstance(n, nodes.Call) and _is_write(n, ctx)]
    return found


def _statement_nodes(stmt: nodes.NodeNG) -> Iterator[nodes.NodeNG]:
    stack = [stmt]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(c for c in node.get_children() if not isinstance(c, (nodes.FunctionDef, nodes.ClassDef, nodes.Lambda)))


def _exits(body: Sequence[nodes.NodeNG]) -> bool:
    return bool(body) and isinstance(body[-1], (nodes.Return, nodes.Raise))


def _branches(test: nodes.NodeNG, use: RequestUse) -> tuple[bool | None, bool | None]:
    """(runs on POST, runs on POST) for the `if` and `else` of a test; None: as around it."""
    if isinstance(test, nodes.UnaryOp) and test.op == "not":
        then_post, else_post = _branches(test.operand, use)
        return else_post, then_post
    if isinstance(test, nodes.BoolOp) and test.op == "and":
        parts = [_branches(v, use)[0] for v in test.values]
        return (True if True in parts else False if False in parts else None), None
    if isinstance(test, nodes.Call) and callee_name(test) == "is_valid":
        return True, None  # a bound form is valid only on a submission
    if isinstance(test, nodes.Attribute) and test.attrname == "POST" and use.is_request(test.expr):
        return True, None
    if isinstance(test, nodes.Compare) and len(test.ops) == 1 and _is_method(test.left, use):
        op, right = test.ops[0]
        values = _strings(right)
        if values is None:
            return None, None
        unsafe = {v.upper() for v in values} <= set(UNSAFE_METHODS)
        safe = not {v.upper() for v in values} & set(UNSAFE_METHODS)
        if op in ("==", "in"):
            return (True, None) if unsafe else (False, True) if safe else (None, None)
        if op in ("!=", "not in"):
            return (False, True) if unsafe else (True, False) if safe else (None, None)
    return None, None


def _is_method(node: nodes.NodeNG, use: RequestUse) -> bool:
    return isinstance(node, nodes.Attribute) and node.attrname == "method" and use.is_request(node.expr)


def _strings(node: nodes.NodeNG) -> list[str] | None:
    if isinstance(node, nodes.Const) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, (nodes.List, nodes.Tuple, nodes.Set)):
        values = [e.value for e in node.elts if isinstance(e, nodes.Const) and isinstance(e.value, str)]
        return values if len(values) == len(node.elts) else None
    return None


def _is_write(call: nodes.Call, ctx: ModuleContext) -> bool:
    """`obj.save()`, `form.save()`, `obj.delete()`, `Model.objects.create(...)`, `qs.update(...)`."""
    if not isinstance(call.func, nodes.Attribute):
        return False
    name, receiver = call.func.attrname, call.func.expr
    text = receiver.as_string().lower()
    if name in ("save", "delete", "asave", "adelete") and not call.args and not any(w in text for w in _NOT_ROWS):
        return True
    if name in _QUERYSET_WRITES:
        return loaded_by(receiver, ctx) is not None
    return False


def _helper_writes(method: nodes.FunctionDef, methods: dict[str, nodes.FunctionDef], ctx: ModuleContext) -> list[nodes.Call]:
    """Writes in the class's own methods a handler calls as `self.<name>(...)` (one level)."""
    found: list[nodes.Call] = []
    for node in own_nodes(method):
        if isinstance(node, nodes.Call) and isinstance(node.func, nodes.Attribute) and node.func.expr.as_string() == "self":
            helper = methods.get(node.func.attrname)
            if helper is not None and helper is not method and helper.name not in _HANDLERS:
                found += _writes(helper.body, RequestUse(helper), ctx, post=True)
    return found


def _django_write(policy: ViewPolicy, ctx: ModuleContext) -> str | None:
    """`DeleteView` / `CreateView` / `UpdateView`: Django's own POST handler saves or deletes the
    object, unless a project `post` or `form_valid` replaces it without calling `super()`."""
    mro = ctx.index.mros.get(policy.view, ())
    base = next((c for c in mro if c in _DJANGO_WRITES), None)
    if base is None:
        return None
    for name in ("post", "form_valid", "delete"):
        for cls in mro:
            info = ctx.index.classes.get(cls)
            if info is not None and name in info.methods:
                if name not in info.methods[name].calls:
                    return None  # replaced: whatever it does is read from the project code
                break
    verb = "deletes" if "Delete" in base else "saves"
    return f"Django's `{base.rpartition('.')[2]}` {verb} the object on POST"


def _describe(call: nodes.Call) -> str:
    text = call.as_string()
    if len(text) > 60:
        text = f"{call.func.as_string()}(...)"
    return f"`{text}` on line {call.lineno}"
