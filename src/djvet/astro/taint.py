"""Values that come from the request, followed through one function's local assignments.

A value is from the request when it is read from `request.GET`, `.POST`, `.data`, `.query_params`,
`.body`, `.COOKIES`, `.META`, `.FILES` or `.headers` (on the function's `request` parameter or on
`self.request`), or when it is a URL argument of a view that its routes do not restrict to digits,
a slug or a UUID. It stays from the request through subscripts, `.get()`, string methods,
formatting and concatenation, `os.path.join`, `urljoin`, `unquote` and base64 decoding; any other
call (`int()`, `escape()`, `get_object_or_404()`, a project helper) ends it. Names are followed
through every assignment in the function (any tainted assignment taints the name): djvet does not
follow values across functions, so what it cannot see is never reported (precision first)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

from astroid import nodes

from djvet.astro.exprs import dotted
from djvet.astro.requests import HANDLER_NAMES, own_nodes
from djvet.engine import ModuleContext
from djvet.index.facts import ProjectIndex

# What the caller sends, on Django's HttpRequest and DRF's Request
REQUEST_SOURCES = frozenset({"GET", "POST", "data", "query_params", "body", "COOKIES", "META", "FILES", "headers"})
REQUEST_NAMES = frozenset({"request", "req"})
# Methods that return (part of) the value they are called on
PASSING_METHODS = frozenset(
    {
        "get", "getlist", "pop", "dict", "copy", "items", "values", "lists", "strip", "lstrip", "rstrip", "lower",
        "upper", "title", "casefold", "replace", "decode", "encode", "read", "split", "rsplit", "splitlines",
        "partition", "rpartition", "removeprefix", "removesuffix", "expandtabs", "zfill", "center", "ljust", "rjust",
    }
)  # fmt: skip
# Functions (and `str.format` / `sep.join`) that return a value built from their arguments
PASSING_FUNCTIONS = frozenset(
    {
        "str", "bytes", "unquote", "unquote_plus", "unquote_to_bytes", "b64decode", "urlsafe_b64decode",
        "b32decode", "b16decode", "a2b_base64", "urljoin", "join", "format", "Path", "PurePath", "PosixPath",
        "abspath", "normpath", "realpath", "expanduser", "fspath", "force_str", "smart_str", "force_bytes",
        "smart_bytes", "fromhex", "unhexlify",
    }
)  # fmt: skip
# `request.FILES["f"].name`: the uploaded file's name is the caller's
PASSING_ATTRS = frozenset({"name"})
# Route converters and regexes whose values cannot carry markup, a URL or a path
_HARMLESS_CONVERTERS = frozenset({"int", "slug", "uuid"})
_HARMLESS_REGEX = re.compile(r"^(\\d|\[0-9\]|\[-\\w\]|\[\\w-\]|\[-a-zA-Z0-9_\]|\[a-zA-Z0-9_-\]|\[-_a-zA-Z0-9\]|\[0-9a-f-\]|\[0-9a-fA-F-\]|\[a-f0-9-\]|\[\\w\]|\\w)[+*]?(\{[\d,]+\})?$")
_ROUTE_ARG = re.compile(r"<(?:(\w+):)?(\w+)>|\(\?P<(\w+)>((?:[^()]|\([^()]*\))*)\)")
_ID_NAMES = re.compile(r"^(pk|id|\w+_(pk|id))$")
MAX_ROUNDS = 4


class RequestTaint:
    """Which expressions of one function hold a value from the request."""

    def __init__(self, function: nodes.FunctionDef | nodes.AsyncFunctionDef, ctx: ModuleContext) -> None:
        self.function = function
        params = [a.name for a in [*(function.args.posonlyargs or []), *(function.args.args or []), *(function.args.kwonlyargs or [])]]
        self.request_names = {p for p in params if p in REQUEST_NAMES}
        self.url_params = _url_params(function, params, ctx)
        self.kwargs_name = function.args.kwarg if self.url_params is not None else None
        self.nodes = list(own_nodes(function))
        self.tainted: dict[str, nodes.NodeNG] = {}  # local name -> the tainted value assigned to it
        for name in self.url_params or ():
            self.tainted[name] = function
        bindings = list(_bindings(self.nodes))
        for _ in range(MAX_ROUNDS):
            before = len(self.tainted)
            for name, value in bindings:
                if name not in self.tainted and name not in (self.url_params or ()) and self.source(value) is not None:
                    self.tainted[name] = value
            if len(self.tainted) == before:
                break

    def is_request(self, node: nodes.NodeNG) -> bool:
        if isinstance(node, nodes.Name):
            return node.name in self.request_names
        return dotted(node) == "self.request"

    def source(self, node: nodes.NodeNG | None, depth: int = 0) -> str | None:
        """How `node` holds a value from the request (`request.GET`, `the URL argument slug`), or None."""
        if node is None or depth > 12:
            return None
        if isinstance(node, nodes.Name):
            if node.name in self.tainted:
                origin = self.tainted[node.name]
                if origin is self.function:
                    return f"the URL argument `{node.name}`"
                return self.source(origin, depth + 1)
            return None
        if isinstance(node, nodes.Attribute):
            if node.attrname in REQUEST_SOURCES and self.is_request(node.expr):
                return f"`{node.as_string()}`"
            if node.attrname == "kwargs" and dotted(node.expr) == "self" and self.url_params is not None:
                return "the URL arguments (`self.kwargs`)"
            if node.attrname in PASSING_ATTRS:
                return self.source(node.expr, depth + 1)
            return None
        if isinstance(node, nodes.Subscript):
            if isinstance(node.value, nodes.Name) and node.value.name == self.kwargs_name and self.kwargs_name:
                return "the URL arguments (`kwargs`)"
            found = self.source(node.value, depth + 1)
            return self._read_of(node.value, node) or found if found is not None else None
        if isinstance(node, nodes.Call):
            return self._call_source(node, depth)
        if isinstance(node, nodes.JoinedStr):
            return _first(self.source(v.value, depth + 1) for v in node.values if isinstance(v, nodes.FormattedValue))
        if isinstance(node, nodes.BinOp) and node.op in ("+", "%", "/"):
            return _first(self.source(n, depth + 1) for n in (node.left, node.right))
        if isinstance(node, (nodes.Tuple, nodes.List)):
            return _first(self.source(n, depth + 1) for n in node.elts)
        if isinstance(node, nodes.IfExp):
            return _first(self.source(n, depth + 1) for n in (node.body, node.orelse))
        if isinstance(node, nodes.BoolOp):
            return _first(self.source(n, depth + 1) for n in node.values)
        if isinstance(node, nodes.Starred):
            return self.source(node.value, depth + 1)
        return None

    def _call_source(self, node: nodes.Call, depth: int) -> str | None:
        func = node.func
        name = func.attrname if isinstance(func, nodes.Attribute) else func.name if isinstance(func, nodes.Name) else ""
        if isinstance(func, nodes.Attribute) and name in PASSING_METHODS:
            if name == "get" and isinstance(func.expr, nodes.Name) and func.expr.name == self.kwargs_name and self.kwargs_name:
                return "the URL arguments (`kwargs`)"
            found = self.source(func.expr, depth + 1)
            if found is not None:
                return self._read_of(func.expr, node) or found
        if name in PASSING_FUNCTIONS:
            if isinstance(func, nodes.Attribute) and name in ("format", "join"):
                found = self.source(func.expr, depth + 1)
                if found is not None:
                    return found
            return _first(self.source(a, depth + 1) for a in [*node.args, *(k.value for k in node.keywords or ())])
        return None


    def _read_of(self, container: nodes.NodeNG, read: nodes.NodeNG) -> str | None:
        """`request.GET.get("next")` in full when `container` is the request's own mapping."""
        if isinstance(container, nodes.Attribute) and container.attrname in REQUEST_SOURCES and self.is_request(container.expr):
            text = read.as_string()
            return f"`{text}`" if len(text) <= 60 else f"`{container.as_string()}`"
        return None

    def names_behind(self, node: nodes.NodeNG) -> set[str]:
        """The local names `node` reads, and the names their values read, through the function."""
        names: set[str] = set()
        todo = [node]
        while todo:
            current = todo.pop()
            for name in _names_in(current):
                if name not in names:
                    names.add(name)
                    origin = self.tainted.get(name)
                    if origin is not None and origin is not self.function:
                        todo.append(origin)
        return names

    def is_tested(self, node: nodes.NodeNG, guards: frozenset[str] = frozenset()) -> bool:
        """The function calls one of `guards`, or a condition calls something on the value or
        compares it (`if is_safe(url)`, `if url.startswith("/")`, `if name in ALLOWED`): the code
        decides what it accepts, and djvet does not judge the check."""
        names = self.names_behind(node)
        for current in self.nodes:
            if isinstance(current, (nodes.Name, nodes.Attribute)) and _last(current) in guards:
                return True
            test = current.test if isinstance(current, (nodes.If, nodes.While, nodes.IfExp, nodes.Assert)) else None
            if test is None:
                continue
            for inner in [test, *test.nodes_of_class((nodes.Call, nodes.Compare))]:
                if isinstance(inner, nodes.Call) and (_names_in(inner) & names or self.source(inner) is not None):
                    return True
                if isinstance(inner, nodes.Compare) and _names_in(inner) & names and not _is_none_test(inner):
                    return True
        return False


def _names_in(node: nodes.NodeNG) -> set[str]:
    found = {node.name} if isinstance(node, nodes.Name) else set()
    return found | {n.name for n in node.nodes_of_class(nodes.Name)}


def _last(node: nodes.NodeNG) -> str:
    return str(node.attrname) if isinstance(node, nodes.Attribute) else str(getattr(node, "name", ""))


def _is_none_test(compare: nodes.Compare) -> bool:
    """`x is None`, `x != ""`: a test for emptiness, not a check of the value."""
    values = [compare.left, *(v for _, v in compare.ops)]
    return all(op in ("is", "is not", "==", "!=") for op, _ in compare.ops) and any(
        isinstance(v, nodes.Const) and v.value in (None, "", False) for v in values
    )


def request_taint(node: nodes.NodeNG, ctx: ModuleContext) -> RequestTaint | None:
    """The taint of the function around `node` (cached while the same module is checked)."""
    function = node.scope()
    while isinstance(function, nodes.Lambda) and not isinstance(function, (nodes.FunctionDef, nodes.AsyncFunctionDef)):
        function = function.parent.scope() if function.parent is not None else function.root()
    if not isinstance(function, (nodes.FunctionDef, nodes.AsyncFunctionDef)):
        return None
    cached = _CACHE.get(id(function))
    if cached is not None and cached.function is function:
        return cached
    if len(_CACHE) > 256:
        _CACHE.clear()
    taint = RequestTaint(function, ctx)
    _CACHE[id(function)] = taint
    return taint


_CACHE: dict[int, RequestTaint] = {}


def _first(values: Iterator[str | None] | list[str | None]) -> str | None:
    return next((v for v in values if v is not None), None)


def _bindings(body: list[nodes.NodeNG]) -> Iterator[tuple[str, nodes.NodeNG]]:
    """(name, value) for every `name = value`, `name += value`, `for name in value` and
    `with value as name` in the function's own body."""
    for node in body:
        if isinstance(node, nodes.Assign):
            for target in node.targets:
                if isinstance(target, nodes.AssignName):
                    yield target.name, node.value
        elif isinstance(node, (nodes.AugAssign, nodes.AnnAssign)) and isinstance(node.target, nodes.AssignName):
            if node.value is not None:
                yield node.target.name, node.value
        elif isinstance(node, (nodes.For, nodes.Comprehension)) and isinstance(node.target, nodes.AssignName):
            yield node.target.name, node.iter
        elif isinstance(node, nodes.NamedExpr):
            yield node.target.name, node.value
        elif isinstance(node, nodes.With):
            for item, alias in node.items:
                if isinstance(alias, nodes.AssignName):
                    yield alias.name, item


def _url_params(function: nodes.FunctionDef | nodes.AsyncFunctionDef, params: list[str], ctx: ModuleContext) -> set[str] | None:
    """The parameters a view receives from its URL that may hold any text; None when the function
    is not a routed view or a handler of one."""
    parent = function.parent
    index = ctx.index
    converters = _route_converters(index)
    if isinstance(parent, nodes.Module):
        view = ctx.qualname(function)
        # a function taking the request is a view only when a URL routes to it (not a helper)
        if view not in index.views or view not in converters or not params:
            return None
        rest = params[1:]
    elif isinstance(parent, nodes.ClassDef) and function.name in HANDLER_NAMES:
        view = ctx.qualname(parent)
        if view not in index.views or len(params) < 2:
            return None
        rest = params[2:]
    else:
        return None
    arguments = converters.get(view)
    free = set()
    for name in rest:
        kinds = arguments.get(name) if arguments else None
        if kinds is None:
            if not _ID_NAMES.match(name):
                free.add(name)
        elif any(k not in _HARMLESS_CONVERTERS and not _HARMLESS_REGEX.match(k) for k in kinds):
            free.add(name)
    return free


def _route_converters(index: ProjectIndex) -> Mapping[str, dict[str, set[str]]]:
    """routed view qualname -> URL argument name -> the converters (or regexes) its routes use;
    once per index, a shared result (index.deps) read by view."""
    from djvet.index.deps import shared

    return shared("route converters", index, _find_route_converters)


def _find_route_converters(index: ProjectIndex) -> dict[str, dict[str, set[str]]]:
    found: dict[str, dict[str, set[str]]] = {}
    for route in index.routes:
        if not route.view:
            continue
        found.setdefault(route.view, {})
        for pattern in (*route.prefix, route.pattern or ""):
            for converter, name, group, regex in _ROUTE_ARG.findall(pattern):
                if name:
                    found.setdefault(route.view, {}).setdefault(name, set()).add(converter or "str")
                elif group:
                    found.setdefault(route.view, {}).setdefault(group, set()).add(regex)
    return found


def resolved_callee(call: nodes.Call, ctx: ModuleContext) -> str | None:
    """The qualified name of the called function or class (`django.shortcuts.redirect`)."""
    from djvet.index.querysets import index_resolver

    name = dotted(call.func)
    return index_resolver(ctx.index).resolve(ctx.module, name) if name else None


def call_argument(call: nodes.Call, position: int, keyword: str) -> nodes.NodeNG | None:
    """The argument at `position` or passed as `keyword`; None when it is not written."""
    if len(call.args) > position and not any(isinstance(a, nodes.Starred) for a in call.args[: position + 1]):
        return call.args[position]
    return next((k.value for k in call.keywords or () if k.arg == keyword), None)
