"""`path:line:col: CODE message`, the shape editors' problem matchers parse."""

from __future__ import annotations

from collections.abc import Mapping

from djvet.catalog import RuleMeta
from djvet.runner import Report


def render_text(report: Report, catalog: Mapping[str, RuleMeta]) -> str:
    return "".join(f"{f.path}:{f.line}:{f.column}: {f.code} {f.message}\n" for f in report.findings)


def render_summary(report: Report) -> str:
    """One line for stderr, so stdout holds only findings."""
    findings = len(report.findings)
    noun = "finding" if findings == 1 else "findings"
    errors = len(report.errors)
    error_part = f", {errors} file{'s' if errors != 1 else ''} not analyzed" if errors else ""
    return f"djvet: {findings} {noun} in {report.files} file{'s' if report.files != 1 else ''}{error_part}"
