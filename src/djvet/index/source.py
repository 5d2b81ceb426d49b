"""Reading a Python file as text the way Python would (BOM, coding cookie), with a clear error."""

from __future__ import annotations

import ast
import codecs
import io
import re
import tokenize
import warnings
from pathlib import Path

MAX_FILE_BYTES = 2 * 1024 * 1024


class SourceError(Exception):
    """A file that cannot be analyzed; the message says why, for the user."""


# PEP 263; tokenize's own pattern
COOKIE_RE = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)", re.ASCII)


def decode_source(data: bytes) -> str:
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        bom_conflict = _bom_conflict(data) if exc.msg == "encoding problem: utf-8" else None
        raise SourceError(f"cannot decode: {bom_conflict or exc.msg}") from None
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise SourceError(f"cannot decode as {encoding}: {exc.reason if isinstance(exc, UnicodeDecodeError) else exc}") from None
    return text  # utf-8-sig took off the one BOM Python allows; a second one is Python's syntax error


def _bom_conflict(data: bytes) -> str | None:
    """Python's words for a UTF-8 BOM with a cookie naming another codec (tokenize says only
    "encoding problem: utf-8", which names the one encoding the file does not contradict)."""
    if not data.startswith(codecs.BOM_UTF8):
        return None
    for line in data[3:].splitlines()[:2]:
        match = COOKIE_RE.match(line)
        if match:
            return f"encoding problem: {match.group(1).decode('ascii')} with BOM"
    return None


def read_source(path: Path) -> str:
    return read_source_bytes(path)[1]


def read_source_bytes(path: Path) -> tuple[bytes, str]:
    """A file's bytes and its text, read once (the cache hashes the same bytes the check reads)."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise SourceError(f"skipped: {size // 1024} KiB is larger than the {MAX_FILE_BYTES // 1024} KiB limit for one file")
        data = path.read_bytes()
    except OSError as exc:
        raise SourceError(f"cannot read: {exc.strerror or exc}") from None
    return data, decode_source(data)


def syntax_message(exc: BaseException) -> str:
    if isinstance(exc, SyntaxError):
        where = f" (line {exc.lineno}, column {exc.offset})" if exc.lineno else ""
        return f"syntax error: {exc.msg}{where}"
    if isinstance(exc, (RecursionError, MemoryError)):
        return "cannot parse: nested too deeply to analyze"
    if isinstance(exc, ValueError):
        return f"cannot parse: {exc}"
    return f"cannot parse: {type(exc).__name__}: {exc}"


def parse_source(text: str, filename: str) -> ast.Module:
    """ast.parse without warnings leaking to the user's terminal; failures become SourceError."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(text, filename)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        raise SourceError(syntax_message(exc)) from None
