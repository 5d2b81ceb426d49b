"""DJV402 mark-safe-on-variable: see rules/DJV402.yaml."""

from __future__ import annotations

from collections.abc import Iterator

from astroid import nodes

from djvet.astro.access import is_test_code
from djvet.astro.reviewed import is_reviewed
from djvet.astro.strings import (
    GETTEXT,
    Strings,
    imported_name,
    is_constant_name,
    is_number_attribute,
    module_constant,
    returns_trusted,
)
from djvet.astro.taint import request_taint
from djvet.engine import ModuleContext
from djvet.index.querysets import index_resolver
from djvet.rule import Hit, Rule

MARKERS = {
    "django.utils.safestring.mark_safe": "mark_safe",
    "django.utils.safestring.SafeString": "SafeString",
    "django.utils.safestring.SafeText": "SafeText",
}
# Django's own template engine and escaping utilities: marking strings safe is what they implement
ESCAPING_LAYER = (
    "django/utils/safestring.py", "django/utils/html.py", "django/utils/numberformat.py", "django/utils/translation/",
    "django/template/", "django/templatetags/",
)  # fmt: skip
# ruff's and bandit's codes and names for the same check
REVIEWED_AS = ("S308", "B308", "B703", "suspicious-mark-safe-usage", "django-mark-safe")
# Calls whose result is escaped HTML, HTML a template or widget rendered, or a number
ESCAPING_CALLS = frozenset(
    {
        "escape", "conditional_escape", "force_escape", "format_html", "format_html_join", "mark_safe", "SafeString",
        "escapejs", "json_script", "render_to_string", "render", "as_p", "as_ul", "as_table", "as_div",
        "as_widget", "label_tag", "urlencode", "quote", "quote_plus", "iri_to_uri", "reverse", "int", "len",
        "float", "html_safe", "flatatt", "__html__", "get_absolute_url", "translate", "static",
        # numbers and dates, formatted (django.contrib.humanize, django.utils.formats)
        "naturalday", "naturaltime", "intcomma", "intword", "ordinal", "apnumber", "number_format",
        "date_format", "time_format", "localize", "filesizeformat", "floatformat", "isoformat", "count",
        "build_absolute_uri",
    }
)  # fmt: skip
# Functions and string methods whose result is as safe as what they are given
PASSING_FUNCTIONS = frozenset({"str", "force_str", "smart_str", "force_text", "smart_text", "capfirst", "format_lazy"})
PASSING_METHODS = frozenset(
    {"strip", "lstrip", "rstrip", "replace", "lower", "upper", "title", "capitalize", "decode", "encode", "join"}
)  # fmt: skip
# Callee names that say the result is HTML or sanitized HTML (`clean_html`, `bleach.clean`, `sanitize`)
HTML_WORDS = ("html", "sanitiz", "clean", "bleach", "escape")
# Calls known to return plain text (or JSON, which can close a <script>)
TEXT_CALLS = frozenset({"dumps", "get_full_name", "get_short_name", "get_username", "getattr", "repr"})
# Django's filters that escape their input when asked to
ESCAPING_WHEN_ASKED = frozenset({"linebreaks", "urlize", "urlizetrunc", "linebreaksbr", "linenumbers", "unordered_list"})


class MarkSafeOnVariable(Rule):
    code = "DJV402"
    needs_text = ("mark_safe", "SafeString", "SafeText")

    def applies_to(self, ctx: ModuleContext) -> bool:
        return super().applies_to(ctx) and not is_test_code(ctx) and not ctx.relpath.startswith(ESCAPING_LAYER)

    def check_call(self, node: nodes.Call, ctx: ModuleContext) -> Iterator[Hit]:
        if len(node.args) != 1 or node.keywords or not isinstance(node.func, (nodes.Name, nodes.Attribute)):
            return
        marker = MARKERS.get(index_resolver(ctx.index).resolve(ctx.module, node.func.as_string()))
        if marker is None:
            return
        value = node.args[0]
        if is_reviewed(ctx, node, REVIEWED_AS):
            return
        taint = request_taint(node, ctx)
        source = taint.source(value) if taint is not None else None
        if source is not None:
            yield Hit(node, {"marker": marker, "value": " ".join(value.as_string().split())[:60], "where": f" (it holds {source})"})
            return
        # a value passed whole (a parameter, a helper's result) may be HTML rendered elsewhere:
        # only HTML written here around a value is judged
        strings = Strings(node.scope(), trusts_html, joins=False)
        found = strings.blame_text(value) if strings.is_built_here(value) else None
        if found is not None:
            yield Hit(node, {"marker": marker, "value": found.text, "where": f" ({found.how}, line {found.part.lineno})"})


def trusts_html(node: nodes.NodeNG, strings: Strings, depth: int) -> bool:
    """Escaped or rendered HTML, translations of literals, numbers and constants."""
    if isinstance(node, nodes.Name):
        return module_constant(node, strings, depth)
    if isinstance(node, nodes.Subscript):
        return strings.blame(node.value, "the value", depth) is None and not isinstance(node.value, nodes.Call)
    if isinstance(node, nodes.Attribute):
        return is_number_attribute(node) or is_constant_name(node.attrname)
    if not isinstance(node, nodes.Call):
        return False
    name = imported_name(node)
    # `render()`, `render_html()`, `widget.render_option()`, `get_link_html()`: HTML a template or
    # widget rendered, by the callee's own name
    lowered = name.lower()
    if name in ESCAPING_CALLS or name.lstrip("_").startswith(("render", "as_")) or any(w in lowered for w in HTML_WORDS):
        return True
    if returns_trusted(node, strings, depth):
        return True
    if name in ESCAPING_WHEN_ASKED:
        return any(k.arg == "autoescape" and isinstance(k.value, nodes.Const) and k.value.value is True for k in node.keywords or ())
    arguments = [*node.args, *(k.value for k in node.keywords or ())]
    if name in GETTEXT or name in PASSING_FUNCTIONS:
        return all(strings.blame(a, "the value", depth) is None for a in arguments)
    if name in PASSING_METHODS and isinstance(node.func, nodes.Attribute):
        return all(strings.blame(a, "the value", depth) is None for a in [node.func.expr, *arguments])
    # any other call: djvet cannot tell a helper that returns HTML from one that returns text
    return name not in TEXT_CALLS
