"""What a view's code does with the request, read from its syntax: who asks (`request.user`), what
the caller sent (URL arguments, the body, the query string) and whether the code checks the caller
itself. Shared by the login and object-scoping rules (DJV205-DJV208)."""

from __future__ import annotations

from collections.abc import Iterator

from astroid import nodes

from djvet.astro.exprs import dotted

_NESTED = (nodes.FunctionDef, nodes.AsyncFunctionDef, nodes.ClassDef, nodes.Lambda)
# What the caller sends, on Django's and DRF's request
REQUEST_INPUTS = frozenset({"data", "POST", "GET", "query_params", "FILES", "body", "content_params"})
# Methods Django and DRF call with the request first (and URL arguments after it)
HANDLER_NAMES = frozenset(
    {
        "get", "post", "put", "patch", "delete", "head", "options", "dispatch", "list", "create", "retrieve",
        "update", "partial_update", "destroy",
    }
)  # fmt: skip
# Reading one of these on the user is a check of the caller
CHECK_ATTRS = frozenset(
    {
        "is_authenticated", "is_anonymous", "is_staff", "is_superuser", "is_active", "has_perm", "has_perms",
        "has_module_perms", "get_all_permissions", "get_group_permissions", "user_permissions", "groups",
    }
)  # fmt: skip
# Names whose call or mention in a view refuses the caller, or asks DRF to check an object
DENIALS = frozenset(
    {
        "PermissionDenied", "HttpResponseForbidden", "redirect_to_login", "permission_denied", "NotAuthenticated",
        "check_object_permissions", "check_permissions", "has_object_permission", "has_permission",
        "HTTP_401_UNAUTHORIZED", "HTTP_403_FORBIDDEN", "handle_no_permission",
    }
)  # fmt: skip
# Callees that receive the request without deciding who may go on
NEUTRAL_REQUEST_CALLS = frozenset(
    {
        "render", "render_to_response", "render_to_string", "redirect", "TemplateResponse", "SimpleTemplateResponse",
        "RequestContext", "get_current_site", "add_message", "success", "error", "info", "warning", "debug",
        "build_absolute_uri", "get_host", "get_full_path", "is_secure", "paginate_queryset", "get_paginated_response",
        "reverse", "get_token", "JsonResponse", "HttpResponse", "HttpResponseRedirect", "Response", "csrf",
    }
)  # fmt: skip
# Lookup names of values nobody can guess: whoever has the link is meant to reach the object
CAPABILITY_WORDS = ("token", "secret", "key", "hash", "code", "uuid", "guid", "signature", "nonce")
# Calls that store the user on a row or send it along instead of checking it
RECORDING_CALLS = frozenset(
    {
        "save", "create", "update", "bulk_create", "bulk_update", "set", "add", "append", "log", "info", "debug",
        "warning", "error", "exception", "send", "delay", "apply_async", "format", "Response", "JsonResponse",
    }
)  # fmt: skip


def own_nodes(function: nodes.FunctionDef | nodes.AsyncFunctionDef) -> Iterator[nodes.NodeNG]:
    """Every node of the function's body, not descending into nested functions, classes or lambdas."""
    stack: list[nodes.NodeNG] = list(reversed(function.body))
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, _NESTED):  # a nested def in the body is yielded, not entered
            stack.extend(reversed([c for c in node.get_children() if not isinstance(c, _NESTED)]))


def callee_name(call: nodes.Call) -> str:
    """`render` for `render(...)` and `shortcuts.render(...)`; `save` for `form.save()`."""
    return _last_name(call.func)


class RequestUse:
    """How one view function or method uses its request."""

    def __init__(self, function: nodes.FunctionDef | nodes.AsyncFunctionDef) -> None:
        self.function = function
        args = [a.name for a in [*(function.args.posonlyargs or []), *(function.args.args or [])]]
        is_method = isinstance(function.parent, nodes.ClassDef) and bool(args)
        params = args[1:] if is_method else args
        # a view function takes the request first; so do a view's handlers and actions
        takes_request = not is_method or function.name in HANDLER_NAMES or _is_action(function)
        first = params[0] if params and (takes_request or params[0] == "request") else None
        self.request_names = {first} if first else set()
        # everything else a view or handler receives comes from the URL
        self.url_params = {p for p in params if p != first} if takes_request else set()
        self.url_params |= {a.name for a in function.args.kwonlyargs or []} if takes_request else set()
        self.kwargs_names = {function.args.kwarg} if function.args.kwarg else set()
        self.nodes = list(own_nodes(function))
        self.user_aliases: set[str] = set()
        self.input_aliases: set[str] = set()
        self.locals = {n.name for n in self.nodes if isinstance(n, nodes.AssignName)}
        for _ in range(3):  # aliases of aliases (`user = request.user`, `pk = int(request.data["pk"])`)
            for node in self.nodes:
                if isinstance(node, nodes.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], nodes.AssignName):
                    name = node.targets[0].name
                    if self.is_user(node.value):
                        self.user_aliases.add(name)
                    elif self.mentions_input(node.value) and not self.mentions_user(node.value):
                        self.input_aliases.add(name)

    # -- what a node is --------------------------------------------------------------------------

    def is_request(self, node: nodes.NodeNG) -> bool:
        if isinstance(node, nodes.Name):
            return node.name in self.request_names
        return dotted(node) == "self.request"

    def is_user(self, node: nodes.NodeNG) -> bool:
        """`request.user`, `self.request.user`, or a local assigned from one."""
        if isinstance(node, nodes.Name):
            return node.name in self.user_aliases
        return isinstance(node, nodes.Attribute) and node.attrname == "user" and self.is_request(node.expr)

    def mentions_user(self, node: nodes.NodeNG) -> bool:
        return any(self.is_user(n) for n in _walk(node))

    def is_input(self, node: nodes.NodeNG) -> bool:
        """A value the caller chose: a URL argument, `self.kwargs[...]`, `request.data[...]`, ..."""
        if isinstance(node, nodes.Name):
            return node.name in self.url_params or node.name in self.input_aliases or node.name in self.kwargs_names
        if isinstance(node, nodes.Attribute):
            if node.attrname in REQUEST_INPUTS and self.is_request(node.expr):
                return True
            return node.attrname == "kwargs" and dotted(node.expr) == "self"
        return False

    def mentions_input(self, node: nodes.NodeNG) -> bool:
        return any(self.is_input(n) for n in _walk(node))

    def mentions_own_value(self, node: nodes.NodeNG) -> bool:
        """A value the code itself computed: a local that is not the caller's input, or `self`
        (`project=project` after `project = self.get_object()`)."""
        for current in _walk(node):
            if isinstance(current, nodes.Name) and (current.name == "self" or current.name in self.locals - self.input_aliases):
                return True
        return False

    # -- what the code does ----------------------------------------------------------------------

    def reads_user(self) -> bool:
        return any(self.is_user(n) for n in self.nodes)

    def looks_up_by_capability(self) -> bool:
        """A lookup on a token, key, secret, hash, code or UUID the caller sent (`key=key`): the
        link itself is the permission (a confirmation link, a download key, a share token)."""
        for node in self.nodes:
            if isinstance(node, nodes.Call):
                for keyword in node.keywords or []:
                    if keyword.arg and is_capability(keyword.arg) and self.mentions_input(keyword.value):
                        return True
        return False

    def checks_caller(self) -> bool:
        """The code looks at who asks in a way that can refuse or narrow: a test on the user, the
        user passed to a query or a helper, the request handed to a project helper, or a denial."""
        for node in self.nodes:
            if isinstance(node, nodes.Compare) and any(self.mentions_user(n) for n in (node.left, *(c for _, c in node.ops))):
                return True
            if isinstance(node, nodes.Attribute) and node.attrname in CHECK_ATTRS and self.is_user(node.expr):
                return True
            if isinstance(node, (nodes.Name, nodes.Attribute)) and _last_name(node) in DENIALS:
                return True
            if isinstance(node, nodes.Call) and self._call_checks(node):
                return True
        return False

    def _call_checks(self, call: nodes.Call) -> bool:
        name = callee_name(call)
        if name == "super" or _is_super_call(call):
            return False
        values = [*call.args, *(k.value for k in call.keywords or [])]
        if name not in RECORDING_CALLS and any(self.is_user(v) or _is_user_attr_chain(self, v) for v in values):
            return True  # `filter(owner=request.user)`, `can_edit(request.user, obj)`
        if name not in NEUTRAL_REQUEST_CALLS and any(self.is_request(v) for v in values):
            return True  # the request handed to a helper: it may check the caller
        return False


def is_capability(name: str) -> bool:
    """A lookup or field name for a value nobody can guess (`token`, `download_key`, `uuid`)."""
    lowered = name.lower()
    return any(word in lowered for word in CAPABILITY_WORDS)


def _is_action(function: nodes.FunctionDef | nodes.AsyncFunctionDef) -> bool:
    """A DRF `@action` (or a legacy `@detail_route` / `@list_route`): called with the request."""
    for decorator in function.decorators.nodes if function.decorators else ():
        target = decorator.func if isinstance(decorator, nodes.Call) else decorator
        if _last_name(target) in ("action", "detail_route", "list_route"):
            return True
    return False


def _is_user_attr_chain(use: RequestUse, node: nodes.NodeNG) -> bool:
    """`request.user.team`, `request.user.profile.organization`: a value derived from the user."""
    while isinstance(node, nodes.Attribute):
        if use.is_user(node):
            return True
        node = node.expr
    return use.is_user(node)


def _is_super_call(call: nodes.Call) -> bool:
    func = call.func
    return isinstance(func, nodes.Attribute) and isinstance(func.expr, nodes.Call) and callee_name(func.expr) == "super"


def _last_name(node: nodes.NodeNG) -> str:
    if isinstance(node, nodes.Name):
        return str(node.name)
    return str(node.attrname) if isinstance(node, nodes.Attribute) else ""


def _walk(node: nodes.NodeNG) -> Iterator[nodes.NodeNG]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(c for c in current.get_children() if not isinstance(c, _NESTED))
