"""What a check produces: findings about code, and errors about files that could not be checked."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace

SEVERITIES = ("error", "warning", "info")
CONFIDENCES = ("high", "inference")


EDIT_KINDS = ("append-call", "replace-assignment", "meta-add-name", "meta-set-option", "add-keyword")


@dataclass(frozen=True, slots=True)
class Edit:
    """What a fix changes at the node spanning these 1-based positions (columns count characters;
    end exclusive). Fixers merge edits that share a span. By `kind`:

    - append-call: append `.method("argument")` to the expression (edits of one span merge);
    - replace-assignment: the assignment statement becomes `method = [*values]` (a list of strings);
    - meta-add-name: add the string `argument` to the list or tuple the class (a `Meta`) assigns to
      `method`, creating `method = ("argument",)` when it assigns none;
    - meta-set-option: in the dict the class assigns to `method` (`extra_kwargs`), set
      `argument: {value: True for value in values}`, creating the dict when there is none;
    - add-keyword: add `method=argument` (argument is Python source) to the call."""

    line: int
    column: int
    end_line: int
    end_column: int
    method: str  # select_related | prefetch_related | ...; the option, target or keyword for other kinds
    argument: str  # the string argument the method needs ("author__publisher")
    kind: str = "append-call"
    values: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    name: str
    severity: str
    confidence: str
    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    message: str
    fingerprint: str
    fixable: bool
    # Not part of the JSON contract: the fix's title for this finding and what it changes.
    fix_title: str | None = None
    edit: Edit | None = None

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.path, self.line, self.column, self.code, self.message)

    def to_json(self) -> dict[str, object]:
        return {
            "code": self.code,
            "name": self.name,
            "severity": self.severity,
            "confidence": self.confidence,
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "message": self.message,
            "fingerprint": self.fingerprint,
            "fixable": self.fixable,
        }


@dataclass(frozen=True, slots=True)
class FileError:
    path: str
    message: str
    internal: bool = False

    def to_json(self) -> dict[str, object]:
        return {"path": self.path, "message": self.message}


def make_fingerprint(code: str, path: str, scope: str, source: str) -> str:
    """Stable across edits that move code: no line numbers, whitespace folded."""
    normalized = " ".join(source.split())
    digest = hashlib.sha1(f"{code}\0{path}\0{scope}\0{normalized}".encode())
    return digest.hexdigest()[:16]


def disambiguate_fingerprints(findings: list[Finding]) -> list[Finding]:
    """Two findings with the same fingerprint in one file get an occurrence suffix, in order."""
    seen: dict[str, int] = {}
    out = []
    for finding in sorted(findings, key=Finding.sort_key):
        count = seen.get(finding.fingerprint, 0)
        seen[finding.fingerprint] = count + 1
        if count:
            finding = replace(finding, fingerprint=f"{finding.fingerprint}-{count}")
        out.append(finding)
    return out
