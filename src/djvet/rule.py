"""The Rule base class, the registry (filled by importing djvet.rules) and node dispatch."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, ClassVar

from astroid import nodes

from djvet.catalog import RuleMeta
from djvet.finding import Edit

if TYPE_CHECKING:
    from djvet.engine import ModuleContext

REGISTRY: dict[str, type[Rule]] = {}


@dataclass(frozen=True, slots=True)
class Hit:
    """Where a rule fires and the values for its YAML message template."""

    node: nodes.NodeNG
    args: dict[str, object] = field(default_factory=dict)
    confidence: str | None = None  # overrides the YAML default (e.g. when the index was needed)
    edit: Edit | None = None  # what `djvet fix` would change; None when the fix cannot apply here
    # overrides the YAML severity for this finding (one of finding.SEVERITIES): `info` when an insecure
    # value is only the default of an environment read, or an option removed in the project's Django
    severity: str | None = None


class Rule:
    """One rule: subscribes to astroid node types with `check_<nodename>` methods yielding Hits.

    Text (message, docs) lives in rules/<code>.yaml; the class holds only detection."""

    code: ClassVar[str]
    # Cheap gate: the rule can only fire when one of these strings is in the file's text.
    needs_text: ClassVar[tuple[str, ...]] = ()
    # Cheap gate: the rule can only fire in files of one of these kinds (see index.discover).
    needs_kinds: ClassVar[frozenset[str]] = frozenset()
    # Files in a migrations/ folder are checked only by the rules that say so (DJV609-DJV612).
    checks_migrations: ClassVar[bool] = False

    def __init__(self, meta: RuleMeta) -> None:
        self.meta = meta

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        code = getattr(cls, "code", None)
        if code:
            if code in REGISTRY and REGISTRY[code] is not cls:
                raise RuntimeError(f"two rule classes claim {code}: {REGISTRY[code].__name__}, {cls.__name__}")
            REGISTRY[code] = cls

    def applies_to(self, ctx: ModuleContext) -> bool:
        """Cheap facts decide whether the rule could fire in this file at all (no tree is built
        for a file no rule applies to). Must never say False where the rule could fire."""
        if self.needs_kinds and not (self.needs_kinds & ctx.kinds):
            return False
        if "migrations" in ctx.kinds and not self.checks_migrations:
            return False
        return not self.needs_text or any(t in ctx.text for t in self.needs_text)

    def handlers(self) -> Iterator[tuple[type[nodes.NodeNG], str]]:
        for attr in dir(type(self)):
            if attr.startswith("check_"):
                yield node_class(attr[len("check_") :]), attr


@lru_cache(maxsize=None)
def _node_classes() -> dict[str, type[nodes.NodeNG]]:
    return {cls.__name__.lower(): cls for cls in nodes.ALL_NODE_CLASSES}


def node_class(name: str) -> type[nodes.NodeNG]:
    try:
        return _node_classes()[name]
    except KeyError:
        raise RuntimeError(f"check_{name}: no astroid node class named {name!r}") from None


@lru_cache(maxsize=1)
def load_rule_classes() -> dict[str, type[Rule]]:
    """Import every module under djvet.rules so each Rule subclass registers itself."""
    import djvet.rules as package

    for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        importlib.import_module(module.name)
    return dict(REGISTRY)
