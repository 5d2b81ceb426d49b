"""Reading `# djvet-expect: CODE` / `# djvet-ok: CODE` / `# djvet-todo: CODE` markers in fixtures."""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass, field

MARKER_RE = re.compile(r"djvet-(expect|ok|todo):\s*(DJV\d{3}(?:\s*,\s*DJV\d{3})*)")


@dataclass
class Markers:
    expect: set[tuple[int, str]] = field(default_factory=set)
    ok: set[tuple[int, str]] = field(default_factory=set)
    todo: set[tuple[int, str]] = field(default_factory=set)


def read_markers(text: str) -> Markers:
    """A trailing marker means its own line; a marker alone on a line means the next code line."""
    markers = Markers()
    code_lines: set[int] = set()
    comments: list[tuple[int, str, bool]] = []  # line, comment, alone on its line
    lines = text.splitlines()
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if token.type == tokenize.COMMENT:
            alone = lines[token.start[0] - 1][: token.start[1]].strip() == ""
            comments.append((token.start[0], token.string, alone))
        elif token.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER):
            code_lines.update(range(token.start[0], token.end[0] + 1))
    for line, comment, alone in comments:
        for kind, codes in MARKER_RE.findall(comment):
            target = line
            if alone:
                later = [n for n in code_lines if n > line]
                if not later:
                    raise ValueError(f"line {line}: a marker alone on its line needs a code line after it")
                target = min(later)
            for code in re.split(r"\s*,\s*", codes):
                getattr(markers, kind).add((target, code))
    return markers
