"""DJV408 file-served-from-request-path: see rules/DJV408.yaml."""

from __future__ import annotations

from collections.abc import Iterator

from astroid import nodes

from djvet.astro.access import is_test_code
from djvet.astro.strings import callee_name
from djvet.astro.taint import call_argument, request_taint, resolved_callee
from djvet.engine import ModuleContext
from djvet.rule import Hit, Rule

OPENERS = frozenset({"open", "builtins.open", "io.open", "codecs.open"})
PATH_READS = frozenset({"open", "read_bytes", "read_text"})
# send a file by its path: django-sendfile(2), and Django's FileResponse given a path-like open
SENDERS = {"sendfile": (1, "filename"), "send_file": (0, "path")}
RESPONSES = frozenset(
    {
        "FileResponse", "HttpResponse", "StreamingHttpResponse", "Response", "sendfile", "send_file",
        "serve", "HttpResponseBase",
    }
)  # fmt: skip
# Calls that confine a path to a folder (django.utils._os.safe_join raises outside it)
GUARDS = frozenset({"safe_join", "is_relative_to", "commonpath", "commonprefix", "relative_to"})


class FileServedFromRequestPath(Rule):
    code = "DJV408"
    needs_text = ("open", "read_bytes", "read_text", "sendfile", "send_file")

    def applies_to(self, ctx: ModuleContext) -> bool:
        return super().applies_to(ctx) and not is_test_code(ctx)

    def check_call(self, node: nodes.Call, ctx: ModuleContext) -> Iterator[Hit]:
        name = callee_name(node)
        path = None
        if name in SENDERS:
            path = call_argument(node, *SENDERS[name])
        elif name == "open" and resolved_callee(node, ctx) in OPENERS:
            path = call_argument(node, 0, "file") if _reads(node, 1) else None
        elif isinstance(node.func, nodes.Attribute) and name in PATH_READS and (name == "open" and _reads(node, 0) or not node.args):
            path = node.func.expr  # `Path(name).read_bytes()`, `Path(name).open("rb")`
        if path is None:
            return
        taint = request_taint(node, ctx)
        source = taint.source(path) if taint is not None else None
        if source is None or taint is None or not _responds(taint.nodes) or taint.is_tested(path, GUARDS):
            return
        yield Hit(node, {"call": callee_name(node), "source": source})


def _reads(call: nodes.Call, position: int) -> bool:
    """Opened to read: no mode, or a literal one without w, a, x or +."""
    mode = call_argument(call, position, "mode")
    if mode is None:
        return True
    return isinstance(mode, nodes.Const) and isinstance(mode.value, str) and not set(mode.value) & set("wax+")


def _responds(body: list[nodes.NodeNG]) -> bool:
    """The function builds a response: what it opens is what it serves."""
    return any(isinstance(n, nodes.Call) and callee_name(n) in RESPONSES for n in body)
