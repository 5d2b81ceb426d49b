"""`djvet fix`: apply the edits of fixable findings to the files, atomically, one file at a time."""

from __future__ import annotations

import difflib
import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from djvet.catalog import RuleMeta
from djvet.finding import FileError, Finding
from djvet.fixes.queryset import FixError, apply_edits
from djvet.fixes.serializer_meta import META_KINDS, apply_meta_edits
from djvet.index.source import SourceError, read_source


@dataclass
class FixResult:
    fixed: dict[str, list[Finding]] = field(default_factory=dict)  # path -> findings fixed
    diffs: list[str] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)


def fixable(findings: Iterable[Finding], catalog: Mapping[str, RuleMeta], unsafe: bool) -> list[Finding]:
    chosen = []
    for finding in findings:
        fix = catalog[finding.code].fix
        if finding.edit is None or fix is None:
            continue
        if fix.safety == "safe" or unsafe:
            chosen.append(finding)
    return chosen


def _write_atomically(path: Path, text: str) -> None:
    data = text.encode("utf-8")
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".djvet-fix")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.chmod(temp, path.stat().st_mode & 0o7777)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def apply_fixes(findings: Iterable[Finding], *, write: bool) -> FixResult:
    result = FixResult()
    by_path: dict[str, list[Finding]] = {}
    for finding in findings:
        by_path.setdefault(finding.path, []).append(finding)
    for shown, group in sorted(by_path.items()):
        path = Path(shown)
        try:
            original = read_source(path)
            if path.read_bytes().decode("utf-8", errors="strict") != original:
                raise FixError("only UTF-8 files without a byte order mark are fixed")
            edits = [f.edit for f in group if f.edit is not None]
            # appended calls never add lines, so the Meta edits' positions still hold after them
            updated = apply_edits(original, [e for e in edits if e.kind not in META_KINDS])
            updated = apply_meta_edits(updated, [e for e in edits if e.kind in META_KINDS])
        except (SourceError, FixError, UnicodeDecodeError) as exc:
            result.errors.append(FileError(shown, f"not fixed: {exc}"))
            continue
        if updated == original:
            continue
        result.fixed[shown] = group
        result.diffs.append(
            "".join(difflib.unified_diff(original.splitlines(True), updated.splitlines(True), f"a/{shown}", f"b/{shown}"))
        )
        if write:
            _write_atomically(path, updated)
    return result
