"""An on-disk cache in `<project root>/.djvet_cache/`: per-file index facts and per-file findings.

Deliberately simple and always correct:
- one file per *slot* (a relative path plus what the entry was computed for), holding a header
  (magic, djvet version, the full key) and a pickle; the slot's file is overwritten when the key
  changes, so the folder stays as large as the project;
- a write is a temp file + `os.replace`, so two processes sharing the folder never see a torn entry;
- a read that fails in any way (missing, truncated, garbage, another version, another key, a
  pickle that does not load) is a miss, never trusted; entries are unpickled with an allow-list
  (djvet's own data classes and a few builtins), so a planted file cannot run code;
- after a run, the oldest entries beyond a bound (about twice the project's file count) and
  left-over temporary files are removed, so the folder does not grow with every edit;
- a folder that cannot be created or written means running without a cache, silently.
"""

from __future__ import annotations

import hashlib
import importlib
import io
import os
import pickle
import time
from collections.abc import Iterable
from pathlib import Path

from djvet import __version__

DIRNAME = ".djvet_cache"
MAGIC = b"DJVETCACHE1\n"
ENV_DISABLE = "DJVET_NO_CACHE"

_CODE_STAMP: str | None = None


def disabled_by_env() -> bool:
    return os.environ.get(ENV_DISABLE, "").strip().lower() not in ("", "0", "false", "no")


def digest(*parts: object) -> str:
    """sha256 over the repr of the parts (strings, numbers, tuples of them)."""
    return hashlib.sha256(repr(parts).encode("utf-8", "backslashreplace")).hexdigest()


def code_stamp() -> str:
    """djvet's version plus the size and mtime of its own source files: an editable checkout whose
    code changed must not reuse entries computed by the old code."""
    global _CODE_STAMP
    if _CODE_STAMP is None:
        package = Path(__file__).parent
        stats = []
        for path in sorted(package.rglob("*.py")):
            try:
                stat = path.stat()
            except OSError:
                continue
            stats.append((path.relative_to(package).as_posix(), stat.st_size, stat.st_mtime_ns))
        _CODE_STAMP = f"{__version__}:{digest(*stats)[:16]}"
    return _CODE_STAMP


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fingerprint(items: Iterable[tuple[str, str]]) -> str:
    """A hash over sorted (name, content hash) pairs."""
    h = hashlib.sha256()
    for name, content in sorted(items):
        h.update(name.encode("utf-8", "surrogateescape") + b"\0" + content.encode("ascii") + b"\n")
    return h.hexdigest()


class Cache:
    """Entries addressed by (kind, slot), valid only for an exact key."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.version = code_stamp().encode("utf-8")
        self.writable = True

    @classmethod
    def open(cls, root: Path) -> Cache | None:
        """The cache of a project root, or None when disabled or the folder cannot be made."""
        if disabled_by_env():
            return None
        directory = root / DIRNAME
        try:
            directory.mkdir(exist_ok=True)
            ignore = directory / ".gitignore"
            if not ignore.exists():
                _write_atomic(directory, ".gitignore", b"*\n")
        except Exception:  # OSError mostly: a read-only checkout runs without a cache, silently
            try:
                if not directory.is_dir():
                    return None
            except OSError:
                return None
        return cls(directory)

    def _path(self, kind: str, slot: str) -> Path:
        return self.directory / f"{kind}-{digest(slot)[:40]}.pickle"

    def get(self, kind: str, slot: str, key: str) -> tuple[bool, object]:
        """(True, value) on a hit; (False, None) on any kind of miss."""
        try:
            data = self._path(kind, slot).read_bytes()
            header = MAGIC + self.version + b"\n" + key.encode("ascii") + b"\n"
            if not data.startswith(header):
                return False, None
            return True, _SafeUnpickler(io.BytesIO(data[len(header) :])).load()
        except Exception:  # corrupt, truncated, foreign: a miss, never trusted
            return False, None

    def put(self, kind: str, slot: str, key: str, value: object) -> None:
        if not self.writable:
            return
        try:
            header = MAGIC + self.version + b"\n" + key.encode("ascii") + b"\n"
            payload = header + pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
            _write_atomic(self.directory, self._path(kind, slot).name, payload)
        except OSError:  # read-only folder, full disk: carry on without writing
            self.writable = False
        except Exception:  # a value that does not pickle: just not cached
            pass


    def prune(self, keep: int, stale_seconds: float = 3600.0) -> None:
        """Keep the `keep` most recently written entries; remove temporary files a killed process
        left behind (older than `stale_seconds`: a live writer's are seconds old)."""
        try:
            entries = []
            now = time.time()
            with os.scandir(self.directory) as scan:
                for item in scan:
                    if item.name.endswith(".pickle"):
                        entries.append((item.stat().st_mtime_ns, item.name))
                    elif item.name.startswith(".tmp-") and now - item.stat().st_mtime > stale_seconds:
                        os.unlink(item.path)
            entries.sort(reverse=True)
            for _, name in entries[keep:]:
                os.unlink(self.directory / name)
        except OSError:  # another process pruning at the same time, a read-only folder
            pass


_ALLOWED_BUILTINS = frozenset({("builtins", "frozenset"), ("builtins", "set"), ("builtins", "slice"), ("builtins", "complex")})


class _SafeUnpickler(pickle.Unpickler):
    """Loads only what djvet writes: its own classes (constructing a frozen data class runs no
    code of the file's choosing) and the UNKNOWN marker; anything else is a foreign file."""

    def find_class(self, module: str, name: str) -> object:
        found = _FOUND.get((module, name))
        if found is not None:
            return found
        if (module, name) in _ALLOWED_BUILTINS:
            return super().find_class(module, name)
        if module.startswith("djvet.") and "." not in name:
            value = getattr(importlib.import_module(module), name)
            if isinstance(value, type) or (module, name) == ("djvet.index.expr", "UNKNOWN"):
                _FOUND[(module, name)] = value  # each entry names the same few classes again
                return value
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a djvet cache file")


_FOUND: dict[tuple[str, str], object] = {}


def _write_atomic(directory: Path, name: str, payload: bytes) -> None:
    import tempfile

    fd, temp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
        os.replace(temp, directory / name)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise
