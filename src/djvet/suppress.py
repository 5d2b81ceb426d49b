"""`# noqa` and `# noqa: DJV301, DJV302` comments, read from comment tokens only."""

from __future__ import annotations

import io
import re
import tokenize

NOQA_RE = re.compile(r"#\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*))?", re.IGNORECASE)
ALL = frozenset({"*"})


def collect_noqa(text: str) -> dict[int, frozenset[str]]:
    """Line -> suppressed codes ({"*"} for a bare noqa)."""
    if "noqa" not in text.lower():
        return {}
    found: dict[int, frozenset[str]] = {}
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type != tokenize.COMMENT:
                continue
            match = NOQA_RE.search(token.string)
            if match is None:
                continue
            codes = match.group("codes")
            line = token.start[0]
            if codes is None:
                found[line] = ALL
            else:
                found[line] = found.get(line, frozenset()) | frozenset(c.upper() for c in re.split(r"[\s,]+", codes) if c)
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return found
    return found


def is_suppressed(noqa: dict[int, frozenset[str]], line: int, code: str) -> bool:
    codes = noqa.get(line)
    return codes is not None and (codes is ALL or "*" in codes or code in codes)
