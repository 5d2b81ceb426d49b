"""Output formats for `djvet check`: text, json, sarif, github."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from djvet.catalog import RuleMeta
from djvet.output.github import render_github
from djvet.output.json import render_json
from djvet.output.sarif import render_sarif
from djvet.output.text import render_text
from djvet.runner import Report

Renderer = Callable[[Report, Mapping[str, RuleMeta]], str]
FORMATS: dict[str, Renderer] = {
    "text": render_text,
    "json": render_json,
    "sarif": render_sarif,
    "github": render_github,
}
