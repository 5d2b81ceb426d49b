"""DJV507 weak-password-hasher: see rules/DJV507.yaml."""

from __future__ import annotations

from collections.abc import Iterator

from djvet.astro.deployment import Issue, SettingsRule, issue_at
from djvet.engine import ModuleContext
from djvet.index.deployment import SettingsTarget

# django.contrib.auth.hashers: fast or unsalted digests, and crypt(3) (DES: 8 characters of password)
WEAK = frozenset(
    {"MD5PasswordHasher", "UnsaltedMD5PasswordHasher", "SHA1PasswordHasher", "UnsaltedSHA1PasswordHasher", "CryptPasswordHasher"}
)


class WeakPasswordHasher(SettingsRule):
    code = "DJV507"
    needs_text = ("PASSWORD_HASHERS",)

    def inspect(self, target: SettingsTarget, ctx: ModuleContext) -> Iterator[Issue]:
        reading = target.reading("PASSWORD_HASHERS")
        if not reading.known or not reading.line or not isinstance(reading.value, tuple):
            return
        names = [v.rsplit(".", 1)[-1] if isinstance(v, str) else None for v in reading.value]
        if names and names[0] in WEAK:
            how = "hashes new passwords with"
            yield issue_at(reading, self.meta.severity, how=how, hasher=names[0], module=target.fact.module)
            return
        legacy = next((n for n in names[1:] if n in WEAK), None)
        if legacy is not None:
            # only checks stored hashes (and upgrades them on login): old weak hashes stay valid
            yield issue_at(reading, "info", how="still accepts passwords hashed with", hasher=legacy, module=target.fact.module)
