"""DJV511 security-header-weakened: see rules/DJV511.yaml."""

from __future__ import annotations

from collections.abc import Iterator

from djvet.astro.deployment import Issue, SettingsRule, describe, issue_at
from djvet.engine import ModuleContext
from djvet.index.deployment import SettingsTarget

SECURITY = "django.middleware.security.SecurityMiddleware"
XFRAME = "django.middleware.clickjacking.XFrameOptionsMiddleware"


class SecurityHeaderWeakened(SettingsRule):
    code = "DJV511"
    needs_text = ("X_FRAME_OPTIONS", "SECURE_CONTENT_TYPE_NOSNIFF", "SECURE_REFERRER_POLICY")

    def inspect(self, target: SettingsTarget, ctx: ModuleContext) -> Iterator[Issue]:
        module = target.fact.module
        frame = target.reading("X_FRAME_OPTIONS")
        if target.holds("MIDDLEWARE", XFRAME) and frame.known and frame.line and frame.value != "DENY":
            # security.W019; SAMEORIGIN is a common, deliberate choice (admin previews in iframes)
            severity = "info" if str(frame.value).upper() == "SAMEORIGIN" else self.meta.severity
            yield issue_at(frame, severity, setting="X_FRAME_OPTIONS", how=describe(frame), module=module)
        if not target.holds("MIDDLEWARE", SECURITY):
            return
        nosniff = target.reading("SECURE_CONTENT_TYPE_NOSNIFF")
        if nosniff.known and nosniff.line and nosniff.value is not True:  # security.W006
            yield issue_at(nosniff, self.meta.severity, setting="SECURE_CONTENT_TYPE_NOSNIFF", how=describe(nosniff), module=module)
        referrer = target.reading("SECURE_REFERRER_POLICY")
        if referrer.known and referrer.line and referrer.value in (None, "unsafe-url"):  # security.W022
            yield issue_at(referrer, self.meta.severity, setting="SECURE_REFERRER_POLICY", how=describe(referrer), module=module)
