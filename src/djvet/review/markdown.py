"""Small markdown helpers shared by the report and the memory notes."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

MAX_ROWS = 40


def cell(text: object) -> str:
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").strip() or "-"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], limit: int | None = MAX_ROWS) -> list[str]:
    if not rows:
        return []
    lines = ["| " + " | ".join(cell(h) for h in headers) + " |", "|" + "---|" * len(headers)]
    shown = rows if limit is None else rows[:limit]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in shown]
    if limit is not None and len(rows) > limit:
        lines += ["", f"… and {len(rows) - limit} more rows in the JSON document (`djvet review --format json`)."]
    return lines


def relative_link(target: Path, base: Path) -> str:
    """`target` relative to the folder `base`, with forward slashes (links in markdown)."""
    try:
        return Path(os.path.relpath(target, base)).as_posix()
    except ValueError:  # another drive on Windows
        return target.as_posix()


def fence(code: str, language: str = "") -> list[str]:
    ticks = "````" if "```" in code else "```"
    return [f"{ticks}{language}", *code.rstrip("\n").splitlines(), ticks]


def plural(count: int, word: str, many: str | None = None) -> str:
    return f"{count} {word if count == 1 else (many or word + 's')}"
