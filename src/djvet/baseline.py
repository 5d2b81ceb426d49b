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
    handle, temp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(document)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def apply_baseline(path: Path, findings: list[Finding]) -> list[Finding]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        known = {(e["code"], e["fingerprint"]) for e in data["baseline"]}
    except FileNotFoundError:
        raise ConfigError(f"{path}: baseline file not found; write one with --write-baseline") from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"{path}: expected a djvet baseline (JSON with a 'baseline' list); {exc}") from None
    return [f for f in findings if (f.code, f.fingerprint) not in known]
