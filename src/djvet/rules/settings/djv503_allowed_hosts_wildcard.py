"""DJV503 allowed-hosts-wildcard: see rules/DJV503.yaml."""

from __future__ import annotations

from collections.abc import Iterator

from djvet.astro.deployment import Issue, SettingsRule, describe, issue_at
from djvet.engine import ModuleContext
from djvet.index.deployment import SettingsTarget, module_text


def validates_host(target: SettingsTarget, ctx: ModuleContext) -> bool:
    """A project middleware in MIDDLEWARE raises DisallowedHost: it checks the Host header itself
    (pretix's MultiDomainMiddleware serves only the domains it knows)."""
    known = target.items("MIDDLEWARE")
    for entry in known[0] if known else ():
        module = str(entry).rpartition(".")[0]
        info = ctx.index.modules.get(module)
        if info is not None and "DisallowedHost" in module_text(ctx.index, info.path):
            return True
    return False


class AllowedHostsWildcard(SettingsRule):
    code = "DJV503"
    needs_text = ("ALLOWED_HOSTS",)

    def inspect(self, target: SettingsTarget, ctx: ModuleContext) -> Iterator[Issue]:
        hosts = target.reading("ALLOWED_HOSTS")
        if hosts.known and hosts.line and isinstance(hosts.value, tuple) and "*" in hosts.value:
            if validates_host(target, ctx):
                return
            yield issue_at(hosts, self.meta.severity, how=describe(hosts), module=target.fact.module)
