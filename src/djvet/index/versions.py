"""The project's Django version as its requirement and lock files state it (what `djvet review`'s
scope step shows): exact when a lock file or a pin says it, else the lower bound of the range."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from djvet.index.facts import ProjectIndex
from djvet.index.requirements import collect_requirements

VERSION_RE = re.compile(r"^(\d+)\.(\d+)")
LOWER_RE = re.compile(r"(?:>=|~=|==|\^|~)\s*(\d+\.\d+)")


@dataclass(frozen=True, slots=True)
class DjangoVersion:
    exact: tuple[int, int] | None  # every lock and pin agrees on it
    minimum: tuple[int, int] | None  # the highest lower bound the ranges state

    def at_least(self, version: tuple[int, int]) -> bool | None:
        """True or False when the files settle it, None when they do not."""
        if self.exact is not None:
            return self.exact >= version
        if self.minimum is not None and self.minimum >= version:
            return True
        return None


def _major_minor(text: str) -> tuple[int, int] | None:
    match = VERSION_RE.match(text)
    return (int(match.group(1)), int(match.group(2))) if match else None


def read_django_version(root: Path) -> DjangoVersion:
    sources = [r for r in collect_requirements(root) if r.name == "django"]
    exact = {v for r in sources if r.version and (v := _major_minor(r.version))}
    lower = [v for r in sources for m in LOWER_RE.findall(r.spec) if (v := _major_minor(m))]
    return DjangoVersion(exact.pop() if len(exact) == 1 else None, max(lower) if lower else None)


def django_version(index: ProjectIndex) -> DjangoVersion:
    """Read once per index, as a shared result (index.deps): a file that asks depends on the answer,
    which a later run reads again from the requirement files."""
    from djvet.index.deps import shared

    return shared("Django version", index, _index_django_version)


def _index_django_version(index: ProjectIndex) -> DjangoVersion:
    return read_django_version(Path(index.root))
