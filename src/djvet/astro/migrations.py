"""The migration rules' shared gate: a `Migration` class in the newest migration of its app, with
its operations (index.migrations) matched to the call nodes they are written as."""

from __future__ import annotations

from collections.abc import Iterator

from astroid import nodes

from djvet.astro.loops import is_test_support
from djvet.engine import ModuleContext
from djvet.index.migrations import (
    MigrationFile,
    Operation,
    is_newest_migration,
    migration_file,
)
from djvet.rule import Rule


class MigrationRule(Rule):
    """A rule that reads the operations of the newest migration of each app (the one most likely
    not yet applied everywhere: see index.migrations)."""

    checks_migrations = True

    def applies_to(self, ctx: ModuleContext) -> bool:
        if not super().applies_to(ctx) or "tests" in ctx.kinds or is_test_support(ctx.relpath) or "Migration" not in ctx.text:
            return False
        return is_newest_migration(ctx.index, ctx.relpath, ctx.text)

    def operations(self, node: nodes.ClassDef, ctx: ModuleContext) -> Iterator[tuple[MigrationFile, Operation, nodes.Call]]:
        if node.name != "Migration" or not isinstance(node.parent, nodes.Module):
            return
        migration = migration_file(ctx.index, ctx.relpath, ctx.text)
        if migration is None or migration.line != node.lineno:
            return
        calls = {(c.lineno, c.col_offset): c for c in node.nodes_of_class(nodes.Call)}
        for operation in migration.operations:
            call = calls.get((operation.line, operation.col))
            if call is not None:
                yield migration, operation, call
