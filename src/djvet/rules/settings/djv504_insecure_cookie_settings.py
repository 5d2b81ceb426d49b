"""DJV504 insecure-cookie-settings: see rules/DJV504.yaml."""

from __future__ import annotations

from collections.abc import Iterator

from djvet.astro.deployment import Issue, SettingsRule, describe, issue_at
from djvet.engine import ModuleContext
from djvet.index.deployment import SettingsTarget

SESSIONS_APP = "django.contrib.sessions"
SESSION_MIDDLEWARE = "django.contrib.sessions.middleware.SessionMiddleware"
CSRF_MIDDLEWARE = "django.middleware.csrf.CsrfViewMiddleware"


def uses_sessions(target: SettingsTarget) -> bool | None:
    """django/core/checks/security/sessions.py: the sessions app or its middleware is installed."""
    app, middleware = target.holds("INSTALLED_APPS", SESSIONS_APP), target.holds("MIDDLEWARE", SESSION_MIDDLEWARE)
    if app or middleware:
        return True
    return None if app is None or middleware is None else False


def is_replaced(target: SettingsTarget, middleware: str) -> bool:
    """A project subclass stands in MIDDLEWARE for Django's class: it may set the cookie itself
    (pretix's multidomain SessionMiddleware sets `secure` per request)."""
    return bool(target.holds("MIDDLEWARE", middleware)) and target.holds("MIDDLEWARE", middleware, exact=True) is not True


class InsecureCookieSettings(SettingsRule):
    code = "DJV504"

    def inspect(self, target: SettingsTarget, ctx: ModuleContext) -> Iterator[Issue]:
        names = []
        if uses_sessions(target) and not is_replaced(target, SESSION_MIDDLEWARE):
            names += ["SESSION_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY"]
        csrf_sessions = target.reading("CSRF_USE_SESSIONS")
        csrf = target.holds("MIDDLEWARE", CSRF_MIDDLEWARE, exact=True)
        if csrf and csrf_sessions.known and csrf_sessions.value is not True:
            names.append("CSRF_COOKIE_SECURE")  # security.W016: skipped when the token lives in the session
        for name in names:
            reading = target.reading(name)
            if reading.known and reading.value is not True:
                yield issue_at(reading, self.meta.severity, setting=name, how=describe(reading), module=target.fact.module)
