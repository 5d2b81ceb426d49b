"""DJV405 open-redirect: see rules/DJV405.yaml."""

from __future__ import annotations

from collections.abc import Iterator

from astroid import nodes

from djvet.astro.access import is_test_code
from djvet.astro.strings import callee_name
from djvet.astro.taint import RequestTaint, call_argument, request_taint, resolved_callee
from djvet.engine import ModuleContext
from djvet.rule import Hit, Rule

# callee -> (position, keyword) of the URL it redirects to
REDIRECTS = {
    "django.shortcuts.redirect": (0, "to"),
    "django.http.HttpResponseRedirect": (0, "redirect_to"),
    "django.http.HttpResponsePermanentRedirect": (0, "redirect_to"),
    "django.http.response.HttpResponseRedirect": (0, "redirect_to"),
    "django.http.response.HttpResponsePermanentRedirect": (0, "redirect_to"),
}
CALL_NAMES = frozenset(q.rpartition(".")[2] for q in REDIRECTS)
# Django's checks of a URL before redirecting to it (django.utils.http); `is_safe_url` before 3.0
GUARDS = frozenset({"url_has_allowed_host_and_scheme", "is_safe_url", "get_success_url_allowed_hosts", "safe_redirect"})


class OpenRedirect(Rule):
    code = "DJV405"
    needs_text = ("redirect", "Redirect")

    def applies_to(self, ctx: ModuleContext) -> bool:
        return super().applies_to(ctx) and not is_test_code(ctx)

    def check_call(self, node: nodes.Call, ctx: ModuleContext) -> Iterator[Hit]:
        if callee_name(node) not in CALL_NAMES:
            return
        place = REDIRECTS.get(resolved_callee(node, ctx) or "")
        target = call_argument(node, *place) if place else None
        taint = request_taint(node, ctx) if target is not None else None
        if taint is None or target is None:
            return
        source = taint.source(target)
        # the Referer sends the user back to the page they came from: not a redirect the link chose
        if source is None or "REFERER" in source.upper() or not _request_leads(target, taint):
            return
        if taint.is_tested(target, GUARDS):
            return
        yield Hit(node, {"call": callee_name(node), "source": source})


def _request_leads(node: nodes.NodeNG, taint: RequestTaint, depth: int = 0) -> bool:
    """The request's value starts the URL: a fixed start (`f"/items/{slug}/"`,
    `reverse(...) + "?" + query`) keeps the redirect on the code's own host."""
    if depth > 8:
        return False
    if isinstance(node, nodes.Name) and node.name in taint.tainted and taint.tainted[node.name] is not taint.function:
        return _request_leads(taint.tainted[node.name], taint, depth + 1)
    if isinstance(node, nodes.JoinedStr):
        first = node.values[0] if node.values else None
        return isinstance(first, nodes.FormattedValue) and taint.source(first.value) is not None
    if isinstance(node, nodes.BinOp) and node.op == "+":
        return _request_leads(node.left, taint, depth + 1)
    if isinstance(node, nodes.BinOp) and node.op == "%":
        return not isinstance(node.left, nodes.Const) or str(node.left.value).startswith("%")
    if isinstance(node, nodes.Call) and callee_name(node) == "format" and isinstance(node.func, nodes.Attribute):
        receiver = node.func.expr
        return not isinstance(receiver, nodes.Const) or str(receiver.value).startswith("{")
    if isinstance(node, (nodes.IfExp, nodes.BoolOp)):
        branches = [node.body, node.orelse] if isinstance(node, nodes.IfExp) else node.values
        return any(taint.source(b) is not None and _request_leads(b, taint, depth + 1) for b in branches)
    return True
