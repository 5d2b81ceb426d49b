"""DJV505 https-not-enforced: see rules/DJV505.yaml."""

from __future__ import annotations

from collections.abc import Iterator

from djvet.astro.deployment import Issue, SettingsRule, describe, issue_at
from djvet.engine import ModuleContext
from djvet.index.deployment import SettingsTarget

SECURITY_MIDDLEWARE = "django.middleware.security.SecurityMiddleware"


class HttpsNotEnforced(SettingsRule):
    code = "DJV505"

    def inspect(self, target: SettingsTarget, ctx: ModuleContext) -> Iterator[Issue]:
        module = target.fact.module
        # security.W008 / W004 / W005 / W021 apply only with SecurityMiddleware (else DJV506 reports it)
        if target.holds("MIDDLEWARE", SECURITY_MIDDLEWARE):
            redirect = target.reading("SECURE_SSL_REDIRECT")
            if redirect.known and redirect.value is not True:
                yield issue_at(redirect, self.meta.severity, setting="SECURE_SSL_REDIRECT", how=describe(redirect), module=module)
            yield from self._hsts(target)
        yield from self._proxy(target)

    def _hsts(self, target: SettingsTarget) -> Iterator[Issue]:
        seconds = target.reading("SECURE_HSTS_SECONDS")
        if not seconds.known:
            return
        if not seconds.value:
            yield issue_at(seconds, self.meta.severity, setting="SECURE_HSTS_SECONDS", how=describe(seconds), module=target.fact.module)
            return
        for name in ("SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD"):
            reading = target.reading(name)
            if reading.known and reading.value is not True:
                # hardening on top of HSTS that a site may decline on purpose (subdomains on plain HTTP)
                yield issue_at(reading, "info", setting=name, how=describe(reading), module=target.fact.module)

    def _proxy(self, target: SettingsTarget) -> Iterator[Issue]:
        """Behind a proxy (`USE_X_FORWARDED_HOST`), Django cannot tell HTTPS without the header."""
        header = target.reading("SECURE_PROXY_SSL_HEADER")
        if not header.known or header.value is not None:
            return
        for name in ("USE_X_FORWARDED_HOST", "USE_X_FORWARDED_PORT"):
            proxy = target.reading(name)
            if proxy.known and proxy.line and proxy.value is True:
                how = f"is not set while `{name}` {describe(proxy)}"
                yield issue_at(proxy, self.meta.severity, setting="SECURE_PROXY_SSL_HEADER", how=how, module=target.fact.module)
                return
