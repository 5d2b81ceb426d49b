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
    # A file that could not be read or parsed is one error; a rule that broke on a file is another
    # (the file's other rules still ran), and one file can hold several of those.
    unread = len({e.path for e in report.errors if not e.internal})
    internal = sum(1 for e in report.errors if e.internal)
    error_part = f", {unread} file{'s' if unread != 1 else ''} not analyzed" if unread else ""
    if internal:
        error_part += f", {internal} internal error{'s' if internal != 1 else ''}"
    return f"djvet: {findings} {noun} in {report.files} file{'s' if report.files != 1 else ''}{error_part}"
