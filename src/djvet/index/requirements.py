"""Requirement and lock files read for the project's dependencies and their versions (the Django
version decides what some rules report). Read only, never executed; a file that cannot be parsed
is skipped, never a crash."""

from __future__ import annotations

import json
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from djvet.index.discover import requirement_files

REQUIREMENT_RE = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(.*)$")
EXACT_RE = re.compile(r"^===?\s*([0-9][0-9A-Za-z.+!-]*)$")
MAX_BYTES = 512 * 1024


def normalize_name(name: str) -> str:
    """PEP 503 normalization: `Django_REST.framework` and `django-rest-framework` are one name."""
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True, slots=True)
class Requirement:
    name: str  # normalized
    spec: str  # as written, without extras and markers ("==5.1.4", ">=5.1,<5.2", "" for any)
    source: str  # file relative to the project root, with the table for TOML files
    version: str | None  # the exact version when pinned or locked
    locked: bool = False


def _parse_requirement(text: str, source: str) -> Requirement | None:
    # drop comments, environment markers and per-requirement options (`--hash=...`)
    text = re.split(r"\s+--?[A-Za-z]", text.split(" #", 1)[0].split(";", 1)[0], maxsplit=1)[0].strip()
    if not text or text.startswith(("-", "#")) or "://" in text or text.startswith((".", "/")):
        return None
    match = REQUIREMENT_RE.match(text)
    if match is None:
        return None
    spec = match.group(3).strip().replace(" ", "")
    if spec.startswith("@"):  # `name @ url`
        spec = ""
    exact = EXACT_RE.match(spec)
    return Requirement(normalize_name(match.group(1)), spec, source, exact.group(1) if exact else None)


def _requirements_file(path: Path, rel: str) -> list[Requirement]:
    found = []
    text = _read(path)
    if text is None:
        return []
    for line in text.replace("\\\n", " ").splitlines():
        requirement = _parse_requirement(line, rel)
        if requirement is not None:
            found.append(requirement)
    return found


def _read(path: Path) -> str | None:
    try:
        if path.stat().st_size > MAX_BYTES:
            return None
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _toml(path: Path) -> dict[str, object] | None:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib

    text = _read(path)
    if text is None:
        return None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return None


def _poetry_spec(value: object) -> str:
    if isinstance(value, dict):
        value = value.get("version", "")
    if not isinstance(value, str) or value in ("", "*"):
        return ""
    # Poetry writes a bare version for ==, ^ and ~ for ranges
    return f"=={value}" if value[0].isdigit() else value


def _pyproject(data: dict[str, object], rel: str) -> list[Requirement]:
    found: list[Requirement] = []
    project = data.get("project")
    if isinstance(project, dict):
        for line in project.get("dependencies") or []:
            if isinstance(line, str) and (r := _parse_requirement(line, f"{rel} [project.dependencies]")):
                found.append(r)
        optional = project.get("optional-dependencies") or {}
        if isinstance(optional, dict):
            for group, lines in sorted(optional.items()):
                for line in lines if isinstance(lines, list) else []:
                    if isinstance(line, str) and (r := _parse_requirement(line, f"{rel} [project.optional-dependencies.{group}]")):
                        found.append(r)
    groups = data.get("dependency-groups")
    if isinstance(groups, dict):
        for group, lines in sorted(groups.items()):
            for line in lines if isinstance(lines, list) else []:
                if isinstance(line, str) and (r := _parse_requirement(line, f"{rel} [dependency-groups.{group}]")):
                    found.append(r)
    tool = data.get("tool")
    poetry = tool.get("poetry") if isinstance(tool, dict) else None
    if isinstance(poetry, dict):
        tables = [("tool.poetry.dependencies", poetry.get("dependencies")), ("tool.poetry.dev-dependencies", poetry.get("dev-dependencies"))]
        poetry_groups = poetry.get("group")
        if isinstance(poetry_groups, dict):
            for group, table in sorted(poetry_groups.items()):
                tables.append((f"tool.poetry.group.{group}.dependencies", table.get("dependencies") if isinstance(table, dict) else None))
        for where, table in tables:
            if not isinstance(table, dict):
                continue
            for name, value in sorted(table.items()):
                if name.lower() == "python":
                    continue
                spec = _poetry_spec(value)
                exact = EXACT_RE.match(spec)
                found.append(Requirement(normalize_name(name), spec, f"{rel} [{where}]", exact.group(1) if exact else None))
    return found


def _pipfile(data: dict[str, object], rel: str) -> list[Requirement]:
    found = []
    for table in ("packages", "dev-packages"):
        packages = data.get(table)
        if not isinstance(packages, dict):
            continue
        for name, value in sorted(packages.items()):
            spec = value.get("version", "") if isinstance(value, dict) else value
            spec = "" if not isinstance(spec, str) or spec == "*" else spec.replace(" ", "")
            exact = EXACT_RE.match(spec)
            found.append(Requirement(normalize_name(name), spec, f"{rel} [{table}]", exact.group(1) if exact else None))
    return found


def _toml_lock(data: dict[str, object], rel: str) -> list[Requirement]:
    found = []
    packages = data.get("package")
    for package in packages if isinstance(packages, list) else []:
        if isinstance(package, dict) and isinstance(package.get("name"), str) and isinstance(package.get("version"), str):
            version = package["version"]
            found.append(Requirement(normalize_name(package["name"]), f"=={version}", rel, version, locked=True))
    return found


def _pipfile_lock(path: Path, rel: str) -> list[Requirement]:
    text = _read(path)
    try:
        data = json.loads(text) if text is not None else None
    except json.JSONDecodeError:
        return []
    found = []
    for table in ("default", "develop"):
        packages = data.get(table) if isinstance(data, dict) else None
        for name, value in sorted(packages.items()) if isinstance(packages, dict) else []:
            spec = value.get("version", "") if isinstance(value, dict) else ""
            exact = EXACT_RE.match(spec) if isinstance(spec, str) else None
            if exact:
                found.append(Requirement(normalize_name(name), spec, rel, exact.group(1), locked=True))
    return found


def _dist_metadata(path: Path, rel: str) -> list[Requirement]:
    """An installed wheel's METADATA (the project shipped as a package): its Requires-Dist."""
    text = _read(path)
    found = []
    for line in (text or "").splitlines():
        if not line.startswith("Requires-Dist:") or "extra ==" in line:
            continue
        requirement = _parse_requirement(line[len("Requires-Dist:") :], rel)
        if requirement is not None:
            found.append(requirement)
    return found


def _setup_cfg(path: Path, rel: str) -> list[Requirement]:
    import configparser

    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(_read(path) or "")
    except configparser.Error:
        return []
    lines = parser.get("options", "install_requires", fallback="")
    return [r for line in lines.splitlines() if (r := _parse_requirement(line, f"{rel} [options.install_requires]"))]


def _setup_py(path: Path, rel: str) -> list[Requirement]:
    text = _read(path) or ""
    match = re.search(r"install_requires\s*=\s*\[(.*?)\]", text, re.DOTALL)
    if match is None:
        return []
    strings = re.findall(r"""["']([^"']+)["']""", match.group(1))
    return [r for s in strings if (r := _parse_requirement(s, f"{rel} install_requires"))]


def collect_requirements(root: Path) -> tuple[Requirement, ...]:
    found: list[Requirement] = []
    for path in requirement_files(root):
        rel = os.path.relpath(path, root).replace(os.sep, "/")
        name = path.name
        if path.parent.name.endswith(".dist-info"):
            found += _dist_metadata(path, rel)
        elif name == "pyproject.toml":
            found += _pyproject(data, rel) if (data := _toml(path)) is not None else []
        elif name == "Pipfile":
            found += _pipfile(data, rel) if (data := _toml(path)) is not None else []
        elif name in ("poetry.lock", "uv.lock", "pdm.lock"):
            found += _toml_lock(data, rel) if (data := _toml(path)) is not None else []
        elif name == "Pipfile.lock":
            found += _pipfile_lock(path, rel)
        elif name == "setup.cfg":
            found += _setup_cfg(path, rel)
        elif name == "setup.py":
            found += _setup_py(path, rel)
        else:
            found += _requirements_file(path, rel)
    return tuple(sorted(set(found), key=lambda r: (r.name, r.source, r.spec)))
