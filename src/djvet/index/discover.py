"""Find the project root, its Python files, their module names and what kind of file each is."""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

ROOT_MARKERS = ("pyproject.toml", "manage.py", ".git")
# Folders that never hold the project's own code.
PRUNED_DIRS = frozenset({"node_modules", "__pycache__", "site-packages", "dist-packages", ".djvet_cache"})
# Never checked unless asked for by config; still part of the project. (Migrations are checked, but
# only by the rules that set `Rule.checks_migrations`.)
DEFAULT_EXCLUDES: tuple[str, ...] = ()

KIND_BY_STEM = {
    "models": "models",
    "serializers": "serializers",
    "views": "views",
    "viewsets": "views",
    "api": "views",
    "urls": "urls",
    "settings": "settings",
    "admin": "admin",
    "tasks": "tasks",
    "forms": "forms",
    "apps": "apps",
    "managers": "models",
    "querysets": "models",
}


def find_root(path: Path) -> Path:
    """The nearest folder at or above `path` holding pyproject.toml, manage.py or .git."""
    start = path if path.is_dir() else path.parent
    start = start.resolve()
    for folder in (start, *start.parents):
        if any((folder / marker).exists() for marker in ROOT_MARKERS):
            return folder
    return start


def is_virtualenv(folder: Path) -> bool:
    return (folder / "pyvenv.cfg").is_file()


def is_pruned(name: str, folder: Path) -> bool:
    return name.startswith(".") or name in PRUNED_DIRS or is_virtualenv(folder)


def iter_python_files(root: Path) -> Iterator[Path]:
    """Every .py file below root, sorted, outside hidden folders, virtualenvs and node_modules."""
    for path in python_file_names(str(root)):
        yield Path(path)


def python_file_names(root: str) -> list[str]:
    """iter_python_files as strings, in the same order (the cache's warm path walks with this: it
    is several times faster than building Path objects)."""
    found = []
    join = os.path.join
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(
            d
            for d in dirnames
            if not (d.startswith(".") or d in PRUNED_DIRS or os.path.isfile(join(dirpath, d, "pyvenv.cfg")))
        )
        for filename in sorted(filenames):
            if filename.endswith(".py") and not filename.startswith("."):
                found.append(join(dirpath, filename))
    return found


def relpath(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


def module_name(path: Path, root: Path) -> tuple[str, bool]:
    """The dotted module name Python would give the file, and whether it is a package.

    Walks up while the folder is a package (has __init__.py), never above the root: the first
    folder that is not a package is where the project's sys.path entry would be."""
    is_package = path.name == "__init__.py"
    parts = [] if is_package else [path.stem]
    folder = path.parent
    while (folder / "__init__.py").exists():
        parts.append(folder.name)
        if folder == root or folder.parent == folder:
            break
        folder = folder.parent
    return ".".join(reversed(parts)) or path.stem, is_package


def is_migration(rel: str) -> bool:
    parts = rel.split("/")
    return len(parts) >= 2 and parts[-2] == "migrations"


def file_kinds(rel: str) -> frozenset[str]:
    parts = rel.split("/")
    stem = parts[-1][:-3]
    kinds = set()
    if is_migration(rel):
        kinds.add("migrations")
    elif stem == "__init__" and len(parts) >= 2:
        stem = parts[-2]
    for part in (stem, *parts[:-1]):
        kind = KIND_BY_STEM.get(part)
        if kind:
            kinds.add(kind)
    if stem.startswith("test") or "tests" in parts[:-1]:
        kinds.add("tests")
    return frozenset(kinds)


def matches_any(rel: str, patterns: Iterable[str]) -> bool:
    """Glob match against the path relative to the root; `**/x/**` also matches at the top."""
    for pattern in patterns:
        if fnmatch.fnmatch(rel, pattern):
            return True
        if pattern.startswith("**/") and fnmatch.fnmatch(rel, pattern[3:]):
            return True
        if pattern.endswith("/**") and (rel == pattern[:-3] or rel.startswith(pattern[:-2])):
            return True
    return False


# ---- requirement and lock files -------------------------------------------------------------

def requirement_folders(root: Path) -> list[Path]:
    """The root, a requirements/ folder in it, and the repository top when the root is below it."""
    folders = [root, root / "requirements"]
    for parent in list(root.parents)[:3]:
        if (parent / ".git").exists():
            folders += [parent, parent / "requirements"]
            break
    return [f for f in folders if f.is_dir()]


REQUIREMENT_NAMES = ("pyproject.toml", "Pipfile", "poetry.lock", "uv.lock", "pdm.lock", "Pipfile.lock", "setup.cfg", "setup.py")


def requirement_files(root: Path) -> list[Path]:
    """Every file collect_requirements reads, in its order (the cache fingerprints them: they are
    not Python, yet the Django version they state changes what some rules report)."""
    found: list[Path] = []
    for folder in requirement_folders(root):
        for path in sorted(folder.iterdir()):
            name = path.name
            listed = re.match(r"^requirements.*\.(txt|in)$", name) or (folder.name == "requirements" and name.endswith((".txt", ".in")))
            if (listed or name in REQUIREMENT_NAMES) and path.is_file():
                found.append(path)
        if folder == root:
            found += sorted(folder.glob("*.dist-info/METADATA"))
    return found
