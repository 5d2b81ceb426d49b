"""DJV502 hardcoded-secret-key: see rules/DJV502.yaml."""

from __future__ import annotations

from collections.abc import Iterator

from djvet.astro.deployment import Issue, SettingsRule, issue_at
from djvet.engine import ModuleContext
from djvet.index.deployment import Reading, SettingsTarget

# django/core/checks/security/base.py (security.W009 / W025)
INSECURE_PREFIX = "django-insecure-"
MIN_LENGTH, MIN_UNIQUE = 50, 5


def _how(reading: Reading, key: str) -> str:
    if reading.source == "env-default":
        how = f"falls back to a key written in code when `{reading.env_var or 'the variable'}` is not set"
    else:
        how = "is a key written in code"
    if key.startswith(INSECURE_PREFIX):
        how += f" (a `{INSECURE_PREFIX}` key)"
    elif len(key) < MIN_LENGTH or len(set(key)) < MIN_UNIQUE:
        how += f" (weak: {len(key)} characters, {len(set(key))} distinct)"
    return how


def _is_key(value: object) -> bool:
    # "" makes Django refuse to start; "{{ secret_key }}" is a startproject template placeholder
    return isinstance(value, str) and bool(value.strip()) and not value.startswith("{{")


class HardcodedSecretKey(SettingsRule):
    code = "DJV502"
    needs_text = ("SECRET_KEY",)

    def inspect(self, target: SettingsTarget, ctx: ModuleContext) -> Iterator[Issue]:
        key = target.reading("SECRET_KEY")
        if key.known and key.line and _is_key(key.value):
            yield issue_at(key, self.meta.severity, setting="SECRET_KEY", how=_how(key, str(key.value)))
        fallbacks = target.reading("SECRET_KEY_FALLBACKS")
        if fallbacks.known and fallbacks.line and isinstance(fallbacks.value, tuple):
            for value in fallbacks.value:
                if _is_key(value):
                    yield issue_at(fallbacks, self.meta.severity, setting="SECRET_KEY_FALLBACKS", how=_how(fallbacks, str(value)))
                    break
