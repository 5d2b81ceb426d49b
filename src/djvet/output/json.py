"""The JSON contract of DESIGN.md ("Findings and output")."""

from __future__ import annotations

import json
from collections.abc import Mapping

from djvet import __version__
from djvet.catalog import RuleMeta
from djvet.runner import Report


def render_json(report: Report, catalog: Mapping[str, RuleMeta]) -> str:
    document = {
        "tool": "djvet",
        "version": __version__,
        "findings": [f.to_json() for f in report.findings],
        "errors": [e.to_json() for e in report.errors],
        "summary": {
            "files": report.files,
            "findings": len(report.findings),
            "errors": len(report.errors),
            "seconds": report.seconds,
        },
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
