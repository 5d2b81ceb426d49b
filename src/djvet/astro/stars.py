"""The public names `from m import *` binds when `m` is a project module (`djvet.astro.build`
builds `m` with astroid to know them), remembered per index and, with the cache, between runs.

Each entry keeps the index reads that computing it took: `m`'s text and facts, and those of the
project modules `m` star-imports in turn. An importer replays them, so its findings depend on
those files. On disk the reads are stored with their digests (`index.deps`), as a file's findings
are: a later run reuses the names only while every digest recomputed on its own index matches,
so the cache never changes a finding; it only saves building the star-imported modules (14 of
them, half a second, when pre-commit checks netbox's `dcim/views.py`). No astroid here: the
runner attaches the cache without importing it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from djvet.index.deps import PerIndex, Read, untracked

if TYPE_CHECKING:
    from djvet.cache import Cache
    from djvet.index.deps import Digests
    from djvet.index.facts import ProjectIndex

KIND = "stars"
Entry = tuple[tuple[str, ...], frozenset[Read]]  # (public names, the reads computing them took)
Stamped = tuple[tuple[str, object, str], ...]  # reads with their digests (Digests.stamp)


class StarNames:
    """The entries of one index. An entry computed while the index was tracked (a recorded check)
    holds every read it depends on and is `complete`; one computed on the plain index (the pylint
    plugin's trees) recorded only text reads: it is used only where nothing is recorded."""

    def __init__(self) -> None:
        self.known: dict[str, tuple[Entry, bool]] = {}
        self.store: tuple[Cache, Digests] | None = None
        self.stored: dict[str, tuple[tuple[str, ...], Stamped]] | None = None
        self.new: set[str] = set()

    def attach(self, cache: Cache, digests: Digests) -> None:
        """Read entries from `cache` (once, when first needed) and write new ones on `save`."""
        self.store = (cache, digests)

    def get(self, module: str, complete: bool) -> Entry | None:
        found = self.known.get(module)
        if found is not None and (found[1] or not complete):
            return found[0]
        stored = self._stored().get(module)
        if stored is not None and self.store is not None and self.store[1].still_valid(stored[1]):
            entry = (stored[0], frozenset((namespace, key) for namespace, key, _ in stored[1]))
            self.known[module] = (entry, True)
            return entry
        return None

    def put(self, module: str, entry: Entry, complete: bool) -> None:
        self.known[module] = (entry, complete)
        if complete and self.store is not None:
            self.new.add(module)

    def save(self) -> None:
        """Write the entry when this run computed names the cache did not have (or had stale)."""
        if self.store is None or not self.new:
            return
        cache, digests = self.store
        entries = dict(self._stored())
        for module in self.new:
            (names, reads), _ = self.known[module]
            entries[module] = (names, digests.stamp(reads))
        cache.put(KIND, KIND, _key(), tuple((module, names, stamped) for module, (names, stamped) in sorted(entries.items())))
        self.stored = entries
        self.new.clear()

    def _stored(self) -> dict[str, tuple[tuple[str, ...], Stamped]]:
        if self.stored is None:
            self.stored = {}
            if self.store is not None:
                hit, value = self.store[0].get(KIND, KIND, _key())
                if hit and isinstance(value, tuple):
                    self.stored = {item[0]: (item[1], item[2]) for item in value if _is_item(item)}
        return self.stored


def _is_item(item: object) -> bool:
    return (
        isinstance(item, tuple)
        and len(item) == 3
        and isinstance(item[0], str)
        and isinstance(item[1], tuple)
        and all(isinstance(name, str) for name in item[1])
        and isinstance(item[2], tuple)
    )


def _key() -> str:
    """astroid's version is part of the key: its builder decides which names a module binds
    (djvet's own code is in every entry's header)."""
    from astroid import __version__ as astroid_version

    from djvet.cache import digest

    return digest(KIND, astroid_version)


_BOOKS: PerIndex[StarNames] = PerIndex(lambda index: StarNames())


def star_names(index: ProjectIndex) -> StarNames:
    """The entries of `index` (tracked or not: one set per real index; only the latest index's are kept)."""
    return _BOOKS(untracked(index))
