"""GitHub Actions workflow commands: one annotation per finding and per file not analyzed."""

from __future__ import annotations

from collections.abc import Mapping

from djvet.catalog import RuleMeta
from djvet.runner import Report

COMMANDS = {"error": "error", "warning": "warning", "info": "notice"}


def _data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(value: str) -> str:
    return _data(value).replace(":", "%3A").replace(",", "%2C")


def render_github(report: Report, catalog: Mapping[str, RuleMeta]) -> str:
    lines = []
    for f in report.findings:
        props = (
            f"file={_property(f.path)},line={f.line},col={f.column},endLine={f.end_line},"
            f"endColumn={f.end_column},title={_property(f'{f.code} {f.name}')}"
        )
        lines.append(f"::{COMMANDS[f.severity]} {props}::{_data(f.message)}")
    for e in report.errors:
        lines.append(f"::error file={_property(e.path)},title=djvet::{_data(e.message)}")
    return "".join(line + "\n" for line in lines)
