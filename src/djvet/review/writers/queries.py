"""Guidance for family 1 (queries): the `select_related` / `prefetch_related` edit the rule
computed, as the diff `djvet fix` would apply, one per file."""

from __future__ import annotations

from djvet.finding import Finding
from djvet.fixes.queryset import FixError, apply_edits
from djvet.review.guidance import GuidanceContext, Recommendation, RuleGroup, default_writer, first_paragraph, register_writer
from djvet.review.patches import read, unified_diff


@register_writer("1")
def query_edits(group: RuleGroup, ctx: GuidanceContext) -> list[Recommendation]:
    by_path: dict[str, list[Finding]] = {}
    rest = []
    for finding in group.findings:
        if finding.edit is not None:
            by_path.setdefault(finding.path, []).append(finding)
        else:
            rest.append(finding)
    out = []
    for path, findings in sorted(by_path.items()):
        text = read(ctx.root, path)
        try:
            updated = apply_edits(text, [f.edit for f in findings if f.edit is not None]) if text is not None else None
        except FixError:
            updated = None
        patch = unified_diff(path, text, updated) if text is not None and updated is not None else None
        if patch is None:
            rest.extend(findings)
            continue
        titles = sorted({f.fix_title for f in findings if f.fix_title})
        out.append(
            Recommendation(
                title=f"`{path}`: load related rows up front",
                code=group.code,
                severity=group.meta.severity,
                what="; ".join(titles) + ". `djvet fix` applies this diff"
                + (" (unsafe: `--unsafe-fixes`)" if group.meta.fix and group.meta.fix.safety == "unsafe" else "")
                + ". Pin the query count with a test (see Tests below).",
                findings=tuple(findings),
                patch=patch,
                why=first_paragraph(group.meta.docs.why),
                docs=ctx.docs_for("1"),
                fixable=True,
            )
        )
    if rest:
        out += default_writer(RuleGroup(group.meta, tuple(rest)), ctx)
    return out
