"""The linked index of the last whole-project run, kept in the cache and reused while it is
exactly what `build_index` would build now.

`build_index` is a function of the project's Python files (which exist, in which order, with
which facts), the entry files' text (manage.py and friends name the settings module), the
configured settings module and djvet's code (in every entry's header). The entry records each
file's content hash. A run whose scan finds the same files reuses the index when every file whose
hash changed still has exactly the facts the index was linked from (compared by their canonical
encoding, `index.deps.value_digest`: `1` and `True` differ) and is not an entry file: a comment,
a reformatted line, a run over other files than the last one. Otherwise the index is linked
again, taking the unchanged files' facts from the entry instead of one cache read each.

The entry is written by runs over the whole project, and by any run that found none (a new
djvet, a damaged entry): pickling the index takes longer than linking it, which a pre-commit run
over one edited file would otherwise pay every time.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from djvet.cache import Cache, digest
from djvet.index.build import ENTRY_FILES, Trees, _collect_cached, build_index
from djvet.index.deps import Unhashable, value_digest
from djvet.index.discover import is_migration
from djvet.index.facts import ModuleInfo, ProjectIndex

KIND = "index"
Files = tuple[tuple[str, str], ...]  # (relative path, content hash) of every non-migration Python file, in order
PACKAGE_MARK = "package"  # a migrations folder's readable __init__.py: only that it is there counts


def _files(hashes: Mapping[str, str]) -> Files:
    """The non-migration files with their hashes, and the migrations folders' __init__.py files
    by presence: build_index reads no migration, but module names depend on which folders are
    packages, and a package below a migrations folder is named through it."""
    return tuple(
        (rel, content if not is_migration(rel) else content if content == "unreadable" else PACKAGE_MARK)
        for rel, content in sorted(hashes.items())
        if not is_migration(rel) or rel.endswith("/__init__.py")
    )


def _same_facts(old: ModuleInfo | None, new: ModuleInfo | None) -> bool:
    if old is None or new is None:
        return old is new
    if old != new:  # the usual answer after an edit, and quick
        return False
    try:  # == holds: make sure it is not only because 1 == True
        return value_digest(old) == value_digest(new)
    except Unhashable:
        return False


class _Preloaded:
    """The cache as build_index sees it, answering per-file facts of unchanged files from the
    entry's index (the same key `_collect_cached` asks for) instead of one file read each."""

    def __init__(self, cache: Cache, known: dict[str, tuple[str, ModuleInfo]]) -> None:
        self.cache = cache
        self.known = known

    def get(self, kind: str, slot: str, key: str) -> tuple[bool, object]:
        found = self.known.get(slot) if kind == "module" else None
        if found is not None and found[0] == key:
            return True, (found[1],)
        return self.cache.get(kind, slot, key)

    def put(self, kind: str, slot: str, key: str, value: object) -> None:
        self.cache.put(kind, slot, key, value)


def _valid(value: object) -> bool:
    return (
        isinstance(value, tuple)
        and len(value) == 2
        and isinstance(value[0], tuple)
        and all(isinstance(f, tuple) and len(f) == 2 and isinstance(f[0], str) and isinstance(f[1], str) for f in value[0])
        and type(value[1]) is ProjectIndex
    )


def linked_index(
    root: Path, settings_module: str | None, cache: Cache, hashes: dict[str, str], keep: bool, trees: Trees | None = None
) -> ProjectIndex:
    """`build_index(root, settings_module, None, cache, hashes)` for `hashes` holding the scan of
    every Python file below the root (runner.scan_project). A newly linked index is written for
    later runs with `keep` (a whole-project run) or when the cache held no usable one. `trees`
    receives the `ast` trees of the files parsed on the way, as in build_index."""
    root = root.resolve()
    files = _files(hashes)
    slot = digest(KIND, str(root), settings_module)
    hit, value = cache.get(KIND, slot, KIND)
    preloaded: _Preloaded | None = None
    if hit and _valid(value):
        assert isinstance(value, tuple)
        old_files: Files = value[0]
        old: ProjectIndex = value[1]
        if old.root == str(root):
            if [rel for rel, _ in old_files] == [rel for rel, _ in files] and _unchanged(root, old, dict(old_files), files, cache, hashes, trees):
                return old
            preloaded = _preloaded(old, dict(old_files), cache)
    index = build_index(root, settings_module, None, preloaded or cache, hashes, trees)  # type: ignore[arg-type]
    if keep or preloaded is None:  # a whole-project run, or no usable entry at all (a new djvet)
        cache.put(KIND, slot, KIND, (files, index))
    return index


def _unchanged(
    root: Path, old: ProjectIndex, old_hashes: dict[str, str], files: Files, cache: Cache, hashes: dict[str, str], trees: Trees | None
) -> bool:
    """Whether every file whose hash changed has the facts `old` was linked from."""
    for rel, content in files:
        if old_hashes[rel] == content:
            continue
        if rel.rpartition("/")[2] in ENTRY_FILES or content == "unreadable" or is_migration(rel):
            return False
        name = old.paths.get(rel)
        facts = _collect_cached(root / rel, root, rel, cache, hashes, trees)
        if not _same_facts(old.modules.get(name) if name is not None else None, facts):
            return False
    return True


def _preloaded(old: ProjectIndex, old_hashes: dict[str, str], cache: Cache) -> _Preloaded:
    """The facts of `old` by the key `_collect_cached` asks for: the content hash the entry
    recorded and the module name the facts were collected under (a file whose package changed,
    an __init__.py added, is asked for under another name and collected again)."""
    known: dict[str, tuple[str, ModuleInfo]] = {}
    for rel, name in old.paths.items():
        info = old.modules.get(name)
        if info is not None and info.path == rel and rel in old_hashes:
            known[rel] = (digest("module", old_hashes[rel], rel, info.name, info.is_package), info)
    return _Preloaded(cache, known)
