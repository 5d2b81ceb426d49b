"""DJV501 debug-true: see rules/DJV501.yaml."""

from __future__ import annotations

from collections.abc import Iterator

from djvet.astro.deployment import Issue, SettingsRule, describe, issue_at
from djvet.engine import ModuleContext
from djvet.index.deployment import SettingsTarget


class DebugTrue(SettingsRule):
    code = "DJV501"
    needs_text = ("DEBUG",)

    def inspect(self, target: SettingsTarget, ctx: ModuleContext) -> Iterator[Issue]:
        reading = target.reading("DEBUG")
        if reading.known and reading.line and reading.value is True:
            yield issue_at(reading, self.meta.severity, how=describe(reading), module=target.fact.module)
