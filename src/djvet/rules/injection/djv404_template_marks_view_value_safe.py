"""DJV404 template-marks-view-value-safe: see rules/DJV404.yaml."""

from __future__ import annotations

from collections.abc import Iterator

from astroid import nodes

from djvet.astro.access import is_test_code
from djvet.astro.rendering import RENDER_CALL_NAMES, RenderedTemplate, context_entries, find_rendered
from djvet.astro.strings import callee_name
from djvet.astro.taint import request_taint
from djvet.engine import ModuleContext
from djvet.index.templates import UnescapedOutput, template_unescaped_outputs, unescaped_outputs
from djvet.rule import Hit, Rule


class TemplateMarksViewValueSafe(Rule):
    code = "DJV404"
    needs_text = ("render", "TemplateResponse")

    def applies_to(self, ctx: ModuleContext) -> bool:
        return super().applies_to(ctx) and not is_test_code(ctx)

    def check_call(self, node: nodes.Call, ctx: ModuleContext) -> Iterator[Hit]:
        if callee_name(node) not in RENDER_CALL_NAMES:
            return
        taint = request_taint(node, ctx)
        found = find_rendered(node, ctx) if taint is not None else None
        if found is None or taint is None:
            return
        template, context = found
        outputs = _outputs(template)
        if not outputs:
            return
        for key, value in context_entries(context, node, ctx).items():
            shown = next((o for o in outputs if o.root == key), None)
            source = taint.source(value) if shown is not None else None
            if shown is not None and source is not None:
                yield Hit(value, {"key": key, "source": source, "template": template.name, "line": shown.line, "how": shown.how})


def _outputs(template: RenderedTemplate) -> tuple[UnescapedOutput, ...]:
    if template.path is None:
        return unescaped_outputs(template.source or "")
    return template_unescaped_outputs(template.path) or ()
