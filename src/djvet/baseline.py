"""A baseline file records findings by fingerprint so that legacy findings stop failing a gate."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from djvet.config import ConfigError
from djvet.finding import Finding


def write_baseline(path: Path, findings: list[Finding]) -> None:
    entries = [{"code": f.code, "path": f.path, "fingerprint": f.fingerprint} for f in findings]
    document = json.dumps({"tool": "djvet", "baseline": entries}, indent=2) + "\n"
    folder = path.parent if str(path.parent) else Path(".")
    try:
        handle, temp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot write baseline: {exc.strerror or exc}") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(document)
        # mkstemp creates the file 0600; a baseline is shared (committed, read by CI) like any file
        os.chmod(temp, 0o666 & ~_umask())
        os.replace(temp, path)
    except OSError as exc:
        Path(temp).unlink(missing_ok=True)
        raise ConfigError(f"{path}: cannot write baseline: {exc.strerror or exc}") from None
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def apply_baseline(path: Path, findings: list[Finding]) -> list[Finding]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        known = {(e["code"], e["fingerprint"]) for e in data["baseline"]}
    except FileNotFoundError:
        raise ConfigError(f"{path}: baseline file not found; write one with --write-baseline") from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"{path}: expected a djvet baseline (JSON with a 'baseline' list); {exc}") from None
    return [f for f in findings if (f.code, f.fingerprint) not in known]
