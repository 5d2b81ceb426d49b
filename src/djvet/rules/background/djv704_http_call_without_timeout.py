"""DJV704 http-call-without-timeout: see rules/DJV704.yaml."""

from __future__ import annotations

from collections.abc import Iterator

from astroid import nodes

from djvet.astro.loops import is_management_command, is_production_code, short_source
from djvet.astro.names import resolve_dotted
from djvet.astro.querysets import enclosing_function, find_local_value
from djvet.engine import ModuleContext
from djvet.rule import Hit, Rule

_VERBS = ("get", "post", "put", "patch", "delete", "head", "options", "request")
REQUESTS_FUNCTIONS = frozenset({f"requests.{v}" for v in _VERBS} | {f"requests.api.{v}" for v in _VERBS})
SESSIONS = frozenset({"requests.Session", "requests.session", "requests.sessions.Session"})
# urlopen(url, data=None, timeout=...): the timeout is the third positional argument
URLOPEN = frozenset({"urllib.request.urlopen", "urllib2.urlopen", "six.moves.urllib.request.urlopen"})
# Modules whose code runs while a request is served, by kind (index.discover) or by folder / file name.
REQUEST_KINDS = frozenset({"views", "serializers", "forms", "admin"})
REQUEST_FILES = frozenset({"middleware", "middlewares", "context_processors", "templatetags"})


class HttpCallWithoutTimeout(Rule):
    code = "DJV704"
    needs_text = ("import requests", "from requests", "urlopen")

    def applies_to(self, ctx: ModuleContext) -> bool:
        return super().applies_to(ctx) and is_production_code(ctx) and not is_management_command(ctx.relpath)

    def check_call(self, node: nodes.Call, ctx: ModuleContext) -> Iterator[Hit]:
        client = _client(node, ctx)
        if client is None or _has_timeout(node, client):
            return
        where = _request_code(node, ctx)
        if where is not None:
            yield Hit(node, {"call": short_source(node), "where": where})


def _client(call: nodes.Call, ctx: ModuleContext) -> str | None:
    """`requests`, `session` or `urlopen` when the call sends an HTTP request, else None."""
    resolved = resolve_dotted(call.func, ctx)
    if resolved in REQUESTS_FUNCTIONS:
        return "requests"
    if resolved in URLOPEN:
        return "urlopen"
    func = call.func
    if isinstance(func, nodes.Attribute) and func.attrname in _VERBS and _is_session(func.expr, ctx):
        return "session"
    return None


def _is_session(node: nodes.NodeNG, ctx: ModuleContext) -> bool:
    """`requests.Session()`, or a local bound to one (`s = requests.Session()`, `with ... as s`)."""
    if isinstance(node, nodes.Call):
        return resolve_dotted(node.func, ctx) in SESSIONS
    if not isinstance(node, nodes.Name):
        return False
    current: nodes.NodeNG | None = node
    while current is not None and not isinstance(current, (nodes.FunctionDef, nodes.Module)):
        if isinstance(current, nodes.With):
            for value, target in current.items:
                if isinstance(target, nodes.AssignName) and target.name == node.name:
                    return _is_session(value, ctx)
        current = current.parent
    function = enclosing_function(node)
    value = find_local_value(function, node.name, node.lineno or 0) if function is not None else None
    return value is not None and isinstance(value, nodes.Call) and _is_session(value, ctx)


def _has_timeout(call: nodes.Call, client: str) -> bool:
    """A `timeout=` keyword, or `**kwargs` that may carry one; urlopen's third positional argument."""
    if any(k.arg in ("timeout", None) for k in call.keywords or ()):
        return True
    if any(isinstance(a, nodes.Starred) for a in call.args):
        return True
    return client == "urlopen" and len(call.args) >= 3


def _request_code(node: nodes.NodeNG, ctx: ModuleContext) -> str | None:
    """Why the code runs while a request is served: its module's kind, the view around it, or a
    function around it that takes the `request`."""
    parts = ctx.relpath[:-3].split("/")
    kinds = sorted(REQUEST_KINDS & ctx.kinds)
    if kinds:
        return f"a {kinds[0]} module"
    files = [p for p in parts if p in REQUEST_FILES]
    if files:
        return f"a {files[-1]} module"
    function = enclosing_function(node)
    while function is not None:
        owner = function.parent
        qualname = ctx.qualname(owner if isinstance(owner, nodes.ClassDef) else function)
        if qualname in ctx.index.views:
            return f"the view `{qualname.rpartition('.')[2]}`"
        if "request" in function.argnames():
            return f"`{function.name}` takes the request"
        function = enclosing_function(owner) if owner is not None and not isinstance(owner, nodes.Module) else None
    return None
