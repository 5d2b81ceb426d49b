"""DJV403 format-html-preformatted: see rules/DJV403.yaml."""

from __future__ import annotations

from collections.abc import Iterator

from astroid import nodes

from djvet.astro.access import is_test_code
from djvet.astro.strings import GETTEXT, Strings, callee_name, is_number_attribute, module_constant
from djvet.engine import ModuleContext
from djvet.index.querysets import index_resolver
from djvet.rule import Hit, Rule

# function -> position of its format string
FORMATTERS = {"django.utils.html.format_html": 0, "django.utils.html.format_html_join": 1}


class FormatHtmlPreformatted(Rule):
    code = "DJV403"
    needs_text = ("format_html",)

    def applies_to(self, ctx: ModuleContext) -> bool:
        return super().applies_to(ctx) and not is_test_code(ctx)

    def check_call(self, node: nodes.Call, ctx: ModuleContext) -> Iterator[Hit]:
        if callee_name(node) not in ("format_html", "format_html_join") or not isinstance(node.func, (nodes.Name, nodes.Attribute)):
            return
        function = index_resolver(ctx.index).resolve(ctx.module, node.func.as_string())
        position = FORMATTERS.get(function)
        if position is None or len(node.args) <= position or isinstance(node.args[position], nodes.Starred):
            return
        strings = Strings(node.scope(), _trusts_constants)
        template = node.args[position]
        if not strings.is_built_here(template):
            return
        found = strings.blame_text(template)
        if found is not None:
            yield Hit(node, {"function": function.rpartition(".")[2], "how": found.how, "part": found.text, "line": found.part.lineno})


def _trusts_constants(node: nodes.NodeNG, strings: Strings, depth: int) -> bool:
    """Only the code's own text: constants and translations of literals (and primary keys)."""
    if isinstance(node, nodes.Name):
        return module_constant(node, strings, depth)
    if isinstance(node, nodes.Attribute):
        return is_number_attribute(node)  # `{obj.pk}`: a key cannot carry markup or braces
    if isinstance(node, nodes.Call) and callee_name(node) in GETTEXT:
        return all(isinstance(a, nodes.Const) for a in node.args)
    return False
