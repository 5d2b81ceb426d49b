"""DJV406 response-echoes-request: see rules/DJV406.yaml."""

from __future__ import annotations

from collections.abc import Iterator

from astroid import nodes

from djvet.astro.access import is_test_code
from djvet.astro.strings import callee_name
from djvet.astro.taint import call_argument, request_taint, resolved_callee
from djvet.engine import ModuleContext
from djvet.rule import Hit, Rule

# Responses whose content type is text/html unless told otherwise (django/http/response.py)
HTML_RESPONSES = frozenset(
    f"django.http{module}.{name}"
    for module in ("", ".response")
    for name in (
        "HttpResponse", "HttpResponseBadRequest", "HttpResponseNotFound", "HttpResponseForbidden",
        "HttpResponseServerError", "HttpResponseGone",
    )
)  # fmt: skip
CALL_NAMES = frozenset(q.rpartition(".")[2] for q in HTML_RESPONSES)


class ResponseEchoesRequest(Rule):
    code = "DJV406"
    needs_text = ("HttpResponse",)

    def applies_to(self, ctx: ModuleContext) -> bool:
        return super().applies_to(ctx) and not is_test_code(ctx)

    def check_call(self, node: nodes.Call, ctx: ModuleContext) -> Iterator[Hit]:
        if callee_name(node) not in CALL_NAMES or resolved_callee(node, ctx) not in HTML_RESPONSES:
            return
        content = call_argument(node, 0, "content")
        if content is None or not _is_html(node):
            return
        taint = request_taint(node, ctx)
        source = taint.source(content) if taint is not None else None
        if source is not None:
            yield Hit(node, {"response": callee_name(node), "source": source})


def _is_html(call: nodes.Call) -> bool:
    """No content type is given (text/html), or a literal one that names HTML."""
    for keyword in call.keywords or ():
        if keyword.arg in ("content_type", "mimetype"):
            value = keyword.value
            return isinstance(value, nodes.Const) and isinstance(value.value, str) and "html" in value.value
    if len(call.args) > 1:
        value = call.args[1]
        return isinstance(value, nodes.Const) and isinstance(value.value, str) and "html" in value.value
    return True
