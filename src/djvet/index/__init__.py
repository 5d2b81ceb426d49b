"""The project index: static facts about the whole project, built once per run, never by importing it."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from djvet.index.build import build_index
    from djvet.index.facts import UNKNOWN, ProjectIndex

__all__ = ["UNKNOWN", "ProjectIndex", "build_index"]


def __getattr__(name: str) -> object:
    # Lazy: `djvet check` with a warm cache imports djvet.index.discover and nothing heavier.
    if name == "build_index":
        from djvet.index.build import build_index

        return build_index
    if name in ("UNKNOWN", "ProjectIndex"):
        from djvet.index import facts

        return getattr(facts, name)
    raise AttributeError(f"module 'djvet.index' has no attribute {name!r}")
