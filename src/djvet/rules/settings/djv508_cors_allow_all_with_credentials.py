"""DJV508 cors-allow-all-with-credentials: see rules/DJV508.yaml."""

from __future__ import annotations

from collections.abc import Iterator

from djvet.astro.deployment import LOWER, Issue, SettingsRule, describe
from djvet.engine import ModuleContext
from djvet.index.deployment import SettingsTarget

# django-cors-headers; CORS_ORIGIN_ALLOW_ALL is the name before 3.5
ALLOW_ALL = ("CORS_ALLOW_ALL_ORIGINS", "CORS_ORIGIN_ALLOW_ALL")


class CorsAllowAllWithCredentials(SettingsRule):
    code = "DJV508"
    needs_text = ("CORS_",)

    def inspect(self, target: SettingsTarget, ctx: ModuleContext) -> Iterator[Issue]:
        credentials = target.reading("CORS_ALLOW_CREDENTIALS")
        if not credentials.known or credentials.value is not True:
            return
        for name in ALLOW_ALL:
            reading = target.reading(name)
            if reading.known and reading.line and reading.value is True:
                lowered = "env-default" in (reading.source, credentials.source)
                severity = LOWER[self.meta.severity] if lowered else None
                yield Issue(
                    reading.path, reading.line,
                    {"setting": name, "how": describe(reading), "credentials": describe(credentials), "module": target.fact.module},
                    severity,
                )  # fmt: skip
                return
