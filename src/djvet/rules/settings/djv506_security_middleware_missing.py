"""DJV506 security-middleware-missing: see rules/DJV506.yaml."""

from __future__ import annotations

from collections.abc import Iterator

from djvet.astro.deployment import Issue, SettingsRule, issue_at
from djvet.engine import ModuleContext
from djvet.index.deployment import SettingsTarget

SECURITY = "django.middleware.security.SecurityMiddleware"
# security.W001, W003, W002
REQUIRED = (SECURITY, "django.middleware.csrf.CsrfViewMiddleware", "django.middleware.clickjacking.XFrameOptionsMiddleware")
# SecurityMiddleware redirects to HTTPS and sets its headers before these do any work
BEFORE = (
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
)


def _short(path: str) -> str:
    return f"`{path.rsplit('.', 1)[-1]}`"


class SecurityMiddlewareMissing(SettingsRule):
    code = "DJV506"

    def inspect(self, target: SettingsTarget, ctx: ModuleContext) -> Iterator[Issue]:
        reading = target.reading("MIDDLEWARE")
        # a module that sets no MIDDLEWARE at all is more likely read wrong than run without any
        if not reading.known or not reading.line or not isinstance(reading.value, tuple):
            return
        if not all(isinstance(m, str) for m in reading.value):
            return
        # a project subclass stands for the Django class (index MROs)
        positions = [{m, *target.mros.get(m, ())} for m in reading.value]
        missing = [m for m in REQUIRED if not any(m in p for p in positions)]
        if missing:
            how = "lacks " + ", ".join(_short(m) for m in missing)
            yield issue_at(reading, self.meta.severity, how=how, module=target.fact.module)
        else:
            security = next(i for i, p in enumerate(positions) if SECURITY in p)
            late = [m for m in BEFORE if any(m in p for p in positions[:security])]
            if late:
                how = f"puts {_short(SECURITY)} after " + ", ".join(_short(m) for m in late)
                yield issue_at(reading, self.meta.severity, how=how, module=target.fact.module)
