"""SARIF 2.1.0, for GitHub code scanning and other SARIF viewers."""

from __future__ import annotations

import json
from collections.abc import Mapping
from urllib.parse import quote

from djvet import __version__
from djvet.catalog import RuleMeta
from djvet.runner import Report

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {"error": "error", "warning": "warning", "info": "note"}


def _uri(path: str) -> str:
    """artifactLocation.uri is a URI reference: a space, `%` or `#` in a file name must be escaped."""
    return quote(path, safe="/")


def _rule(meta: RuleMeta) -> dict[str, object]:
    return {
        "id": meta.code,
        "name": meta.name,
        "shortDescription": {"text": meta.summary},
        "fullDescription": {"text": meta.docs.what.strip()},
        "help": {"text": f"{meta.docs.why.strip()}\n\nSee `djvet explain {meta.code}`."},
        "helpUri": meta.docs.references[0] if meta.docs.references else None,
        "defaultConfiguration": {"level": LEVELS[meta.severity]},
        "properties": {"category": meta.category, "confidence": meta.confidence},
    }


def render_sarif(report: Report, catalog: Mapping[str, RuleMeta]) -> str:
    codes = sorted({f.code for f in report.findings})
    rules = [{k: v for k, v in _rule(catalog[c]).items() if v is not None} for c in codes if c in catalog]
    index = {code: i for i, code in enumerate(codes)}
    results = [
        {
            "ruleId": f.code,
            "ruleIndex": index[f.code],
            "level": LEVELS[f.severity],
            "message": {"text": f.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": _uri(f.path)},
                        "region": {
                            "startLine": f.line,
                            "startColumn": f.column,
                            "endLine": f.end_line,
                            "endColumn": f.end_column,
                        },
                    }
                }
            ],
            "partialFingerprints": {"djvet/v1": f.fingerprint},
            "properties": {"confidence": f.confidence},
        }
        for f in report.findings
    ]
    notifications = [
        {
            "level": "error",
            "message": {"text": e.message},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": _uri(e.path)}}}],
        }
        for e in report.errors
    ]
    document = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "djvet",
                        "version": __version__,
                        "informationUri": "https://pypi.org/project/djvet/",
                        "rules": rules,
                    }
                },
                # findings count columns in characters; SARIF's default is UTF-16 code units
                "columnKind": "unicodeCodePoints",
                "results": results,
                "invocations": [
                    {"executionSuccessful": not any(e.internal for e in report.errors), "toolExecutionNotifications": notifications}
                ],
            }
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
