"""Lines another linter's suppression marks as reviewed for the same check: ruff's and flake8's
`# noqa: S308`, bandit's `# nosec B308` (or a bare `# nosec`), ruff's `# ruff: ignore[name]`.
A developer who accepted the same warning there has already looked at the line."""

from __future__ import annotations

import re

from astroid import nodes

from djvet.engine import ModuleContext

_BARE_NOSEC = re.compile(r"#\s*nosec\s*(?:$|#|-)", re.IGNORECASE)
_MARKERS = ("noqa", "nosec", "ruff: ignore", "ruff:ignore")


def is_reviewed(ctx: ModuleContext, node: nodes.NodeNG, codes: tuple[str, ...]) -> bool:
    """`node`'s first or last line suppresses one of `codes` (ruff / bandit codes or rule names)."""
    first = node.lineno or 0
    last = node.end_lineno or first
    for number in {first, last}:
        line = ctx.lines[number - 1] if 0 < number <= len(ctx.lines) else ""
        comment = line[line.find("#") :] if "#" in line else ""
        lowered = comment.lower()
        if not any(marker in lowered for marker in _MARKERS):
            continue
        if _BARE_NOSEC.search(comment) or any(code.lower() in lowered for code in codes):
            return True
    return False
