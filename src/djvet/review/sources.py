"""Files a review reads besides Python: requirement and lock files, deployment files. Read only,
never executed; a file that cannot be parsed is skipped with a note, never a crash."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from djvet.index.discover import is_pruned
# The review reads requirements through this module too (they moved to the index, where the rules
# that depend on the Django version read them).
from djvet.index.requirements import (  # noqa: F401
    MAX_BYTES,
    Requirement,
    _read,
    _toml,
    collect_requirements,
    normalize_name,
)

SERVER_RE = re.compile(r"\b(gunicorn|uvicorn|daphne|hypercorn|granian|uwsgi|waitress-serve|runserver)\b")
K8S_KIND_RE = re.compile(r"^kind:\s*(Deployment|StatefulSet|DaemonSet|CronJob|Job)\s*$", re.MULTILINE)
MAX_DEPTH = 3
# Servers and the interface they speak; gunicorn serves ASGI only with an ASGI worker class.
ASGI_SERVERS = frozenset({"uvicorn", "daphne", "hypercorn", "granian"})
WSGI_SERVERS = frozenset({"gunicorn", "uwsgi", "waitress-serve"})


@dataclass(frozen=True, slots=True)
class FileEvidence:
    path: str  # relative to the project root
    line: int
    kind: str  # server | container | manifest | procfile | development-server
    text: str  # the line, trimmed
    server: str | None = None


def project_name(root: Path) -> str:
    """`[project] name` (or `[tool.poetry] name`) in pyproject.toml, else the folder's name."""
    data = _toml(root / "pyproject.toml") if (root / "pyproject.toml").is_file() else None
    name: object = None
    if data is not None:
        project = data.get("project")
        name = project.get("name") if isinstance(project, dict) else None
        tool = data.get("tool")
        poetry = tool.get("poetry") if isinstance(tool, dict) else None
        if not name and isinstance(poetry, dict):
            name = poetry.get("name")
    if not isinstance(name, str) or not name.strip():
        name = root.name
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name.strip()).strip("-") or "project"


def iter_files(root: Path, max_depth: int = MAX_DEPTH) -> Iterator[Path]:
    """Files below root to a small depth, outside hidden folders, virtualenvs and node_modules."""
    for dirpath, dirnames, filenames in os.walk(root):
        folder = Path(dirpath)
        depth = len(folder.relative_to(root).parts)
        dirnames[:] = sorted(d for d in dirnames if not is_pruned(d, folder / d)) if depth < max_depth else []
        for filename in sorted(filenames):
            yield folder / filename


def _deploy_kind(path: Path) -> str | None:
    name = path.name
    lower = name.lower()
    if lower == "dockerfile" or lower.startswith("dockerfile.") or lower.endswith(".dockerfile") or lower == "containerfile":
        return "container"
    if name == "Procfile":
        return "procfile"
    if re.match(r"^(docker-)?compose.*\.ya?ml$", lower):
        return "compose"
    if lower.endswith((".yaml", ".yml")):
        return "manifest?"
    if lower in ("gunicorn.conf.py", "gunicorn_config.py", "gunicorn.py", "uwsgi.ini", "supervisord.conf", "fly.toml", "app.yaml", "render.yaml"):
        return "server-config"
    if lower.endswith(".service"):
        return "server-config"
    return None


def collect_deploy_files(root: Path) -> tuple[FileEvidence, ...]:
    """Containers, manifests and process files, and each line in them that starts a server."""
    evidence: list[FileEvidence] = []
    for path in iter_files(root):
        kind = _deploy_kind(path)
        if kind is None:
            continue
        text = _read(path)
        if text is None:
            continue
        rel = path.relative_to(root).as_posix()
        if kind == "manifest?":
            if not K8S_KIND_RE.search(text):
                continue
            kind = "manifest"
        evidence.append(FileEvidence(rel, 1, kind, path.name))
        seen: set[tuple[str, str]] = set()
        for number, line in enumerate(text.splitlines(), 1):
            if line.lstrip().startswith("#"):
                continue
            match = SERVER_RE.search(line)  # the first name on a line is the command; later ones are its options
            if match is None or (rel, match.group(1)) in seen:
                continue  # one line per file and server is evidence enough
            server = match.group(1)
            seen.add((rel, server))
            what = "development-server" if server == "runserver" else "server"
            evidence.append(FileEvidence(rel, number, what, line.strip()[:120], server))
    return tuple(sorted(set(evidence), key=lambda e: (e.path, e.line, e.kind, e.server or "")))


def server_interface(evidence: FileEvidence) -> str | None:
    """wsgi or asgi for a line that starts a server, None when the line does not say."""
    server = evidence.server or ""
    if server in ASGI_SERVERS:
        return "asgi"
    if server == "gunicorn":
        return "asgi" if re.search(r"(Uvicorn|ASGI)\w*Worker|asgi:", evidence.text) else "wsgi"
    if server in WSGI_SERVERS:
        return "wsgi"
    return None


def count_templates(root: Path) -> int:
    """HTML templates in templates/ folders (the project's own, not its dependencies')."""
    total = 0
    for dirpath, dirnames, filenames in os.walk(root):
        folder = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if not is_pruned(d, folder / d))
        if "templates" in folder.relative_to(root).parts:
            total += sum(1 for f in filenames if f.endswith((".html", ".htm", ".txt", ".jinja", ".jinja2")) and not f.startswith("."))
    return total


def count_migrations(folder: Path) -> int | None:
    """Migration files (`0*.py`) in an app's migrations/ folder; None when it has none."""
    migrations = folder / "migrations"
    if not migrations.is_dir():
        return None
    return sum(1 for p in migrations.glob("0*.py") if p.is_file())
