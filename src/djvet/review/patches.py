"""Patches for the guidance: small source edits shown as unified diffs, never written to files."""

from __future__ import annotations

import ast
import difflib
from collections.abc import Sequence
from pathlib import Path

from djvet.index.source import SourceError, read_source


def read(root: Path, rel: str) -> str | None:
    try:
        return read_source(root / rel)
    except (SourceError, OSError):
        return None


def unified_diff(rel: str, before: str, after: str) -> str | None:
    if before == after:
        return None
    lines = difflib.unified_diff(before.splitlines(True), after.splitlines(True), f"a/{rel}", f"b/{rel}", n=2)
    text = "".join(lines)
    return text if text.endswith("\n") else text + "\n"


def statement_span(text: str, line: int) -> tuple[int, int] | None:
    """First and last line of the statement that starts on `line`."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.stmt) and node.lineno == line:
            return node.lineno, node.end_lineno or node.lineno
    return None


def replace_statement(text: str, line: int, new_lines: Sequence[str]) -> str | None:
    """`text` with the statement starting on `line` replaced, keeping its indentation."""
    span = statement_span(text, line)
    if span is None:
        return None
    lines = text.splitlines(True)
    indent = lines[span[0] - 1][: len(lines[span[0] - 1]) - len(lines[span[0] - 1].lstrip())]
    replacement = [f"{indent}{item}\n" for item in new_lines]
    return "".join(lines[: span[0] - 1] + replacement + lines[span[1] :])


def insert_after(text: str, line: int, new_lines: Sequence[str]) -> str | None:
    """`text` with lines added after the statement starting on `line`, at its indentation."""
    span = statement_span(text, line)
    if span is None:
        return None
    lines = text.splitlines(True)
    indent = lines[span[0] - 1][: len(lines[span[0] - 1]) - len(lines[span[0] - 1].lstrip())]
    return "".join(lines[: span[1]] + [f"{indent}{item}\n" for item in new_lines] + lines[span[1] :])


def wrap_list(prefix: str, items: Sequence[str], width: int = 88, indent: str = "    ") -> list[str]:
    """`prefix = [...]` on one line when it fits, else one item per line (black's style)."""
    quoted = [f'"{i}"' for i in items]
    one = f"{prefix}[{', '.join(quoted)}]"
    if len(indent) * 2 + len(one) <= width:
        return [one]
    return [f"{prefix}["] + [f"{indent}{q}," for q in quoted] + ["]"]
