"""Which settings modules describe production, and what each setting is there: the value written,
the default of an environment read, Django's own default when the module leaves it out, or unknown.
Read by the settings and deployment rules (DJV5xx); see docs/rules/DJV501.md for the choice."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from djvet.index.expr import UNKNOWN
from djvet.index.facts import ProjectIndex, SettingsFact
from djvet.index.settings import find_settings_module_names
from djvet.index.source import SourceError, read_source

ROLE_TOKENS = {
    "production": frozenset({"prod", "production", "live", "deploy", "deployment", "prd", "staging"}),
    "development": frozenset({"dev", "development", "local", "debug", "develop", "demo"}),
    "test": frozenset({"test", "tests", "testing", "testutils", "ci", "pytest"}),
    "base": frozenset({"base", "common", "default", "defaults", "shared", "global"}),
}
ENTRY_FILES = ("manage.py", "wsgi.py", "asgi.py")
# Django's defaults (django/conf/global_settings.py) for the settings DJV5xx reads.
DJANGO_DEFAULTS: Mapping[str, object] = {
    "DEBUG": False,
    "SECRET_KEY": "",
    "SECRET_KEY_FALLBACKS": (),
    "ALLOWED_HOSTS": (),
    "INSTALLED_APPS": (),
    "MIDDLEWARE": (),
    "SESSION_COOKIE_SECURE": False,
    "SESSION_COOKIE_HTTPONLY": True,
    "CSRF_COOKIE_SECURE": False,
    "CSRF_USE_SESSIONS": False,
    "SECURE_SSL_REDIRECT": False,
    "SECURE_HSTS_SECONDS": 0,
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": False,
    "SECURE_HSTS_PRELOAD": False,
    "SECURE_PROXY_SSL_HEADER": None,
    "USE_X_FORWARDED_HOST": False,
    "USE_X_FORWARDED_PORT": False,
    "SECURE_CONTENT_TYPE_NOSNIFF": True,
    "SECURE_REFERRER_POLICY": "same-origin",
    "SECURE_CROSS_ORIGIN_OPENER_POLICY": "same-origin",
    "X_FRAME_OPTIONS": "DENY",
    "PASSWORD_HASHERS": (
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
        "django.contrib.auth.hashers.ScryptPasswordHasher",
    ),
    # django-cors-headers and DRF: absent means off / no defaults
    "CORS_ALLOW_ALL_ORIGINS": False,
    "CORS_ORIGIN_ALLOW_ALL": False,
    "CORS_ALLOW_CREDENTIALS": False,
    "REST_FRAMEWORK": {},
}
# Code that sets settings djvet cannot see: django-split-settings' include(), globals() / vars()
# written or handed to a function (`globals().get(...)` only reads), exec, setattr on the module.
# A module doing this has no "absent" settings.
_DYNAMIC_RE = re.compile(
    r"\b(?:globals|locals|vars)\s*\(\s*\)(?!\s*\.get\b)|\bexec\s*\(|\bsetattr\s*\(|\bsplit_settings\b|^\s*include\s*\(", re.MULTILINE
)


@dataclass(frozen=True, slots=True)
class Reading:
    """A setting as production sees it. `line` 0: the module leaves it out (Django's default)."""

    value: object  # UNKNOWN when djvet cannot tell
    path: str
    line: int
    source: str  # written | env-default | django-default | unknown
    env_var: str | None = None

    @property
    def known(self) -> bool:
        return self.source != "unknown" and self.value is not UNKNOWN


@dataclass(frozen=True, slots=True)
class SettingsTarget:
    """A settings module whose values DJV5xx judges, and why it was chosen."""

    fact: SettingsFact
    role: str  # production | settings | base
    complete: bool  # every setting it ends up with is visible to djvet
    # class -> its MRO (the index's): a project subclass of SessionMiddleware counts as it
    mros: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def reading(self, name: str) -> Reading:
        setting = self.fact.values.get(name)
        if setting is None:
            if self.complete and self.role != "base" and name in DJANGO_DEFAULTS:
                return Reading(DJANGO_DEFAULTS[name], self.fact.path, 0, "django-default")
            return Reading(UNKNOWN, self.fact.path, 0, "unknown")
        if setting.conditional or (setting.value is UNKNOWN and not setting.from_env):
            return Reading(UNKNOWN, setting.path, setting.line, "unknown")
        if setting.from_env:
            source = "unknown" if setting.value is UNKNOWN else "env-default"
            return Reading(setting.value, setting.path, setting.line, source, setting.env_var)
        return Reading(setting.value, setting.path, setting.line, "written")

    def items(self, name: str) -> tuple[tuple[object, ...], bool] | None:
        """The items of the list setting `name` djvet knows, and whether that is all of them."""
        reading = self.reading(name)
        if reading.known and isinstance(reading.value, tuple):
            return reading.value, True
        setting = self.fact.values.get(name)
        if setting is not None and setting.at_least is not None and reading.value is UNKNOWN:
            return setting.at_least, False
        return None

    def holds(self, name: str, item: str, exact: bool = False) -> bool | None:
        """Whether the list setting `name` holds `item` (or, unless `exact`, a project subclass of
        it); None when djvet cannot tell."""
        known = self.items(name)
        if known is None:
            return None
        items, complete = known
        partial = None if complete else items
        if any(v == item or (not exact and item in self.mros.get(str(v), ())) for v in items):
            return True
        return None if partial is not None or any(not isinstance(v, str) for v in items) else False


@dataclass(frozen=True, slots=True)
class Deployment:
    targets: tuple[SettingsTarget, ...]
    # the files a finding can be in: the targets' own and those of the values they inherit
    paths: frozenset[str] = frozenset()


def role_by_name(module: str) -> str | None:
    """The role a module's name says: its last part, or its package's for `x.testing.settings`."""
    parts = module.split(".")
    for part in reversed(parts[-2:]):
        tokens = set(re.split(r"[._]", part))
        role = next((role for role, words in ROLE_TOKENS.items() if tokens & words), None)
        if role or part not in ("settings", "config", "conf", "__init__"):
            return role
    return None


def is_django_settings(fact: SettingsFact, named: bool) -> bool:
    """A settings module Django could run with, not an app's own `settings.py` of constants."""
    apps = fact.values.get("INSTALLED_APPS")
    return apps is not None and apps.value != () or (named and bool(fact.values))


def entry_settings(index: ProjectIndex) -> dict[str, set[str]]:
    """settings module -> the names of the entry files (manage.py, wsgi.py, asgi.py) naming it."""
    named: dict[str, set[str]] = {}
    for rel in sorted(index.paths):
        filename = rel.rsplit("/", 1)[-1]
        if filename not in ENTRY_FILES:
            continue
        try:
            text = read_source(Path(index.root) / rel)
        except SourceError:
            continue
        for name in find_settings_module_names(text):
            module = _known(index, name)
            if module is not None:
                named.setdefault(module, set()).add(filename)
    return named


def all_settings(index: ProjectIndex) -> dict[str, SettingsFact]:
    """Settings modules by name (settings.py files, entry-point modules) and by content."""
    return {**index.content_settings, **index.settings_modules}


def _known(index: ProjectIndex, name: str) -> str | None:
    modules = all_settings(index)
    if name in modules:
        return name
    return next((m for m in modules if m.endswith("." + name)), None)


def _rooted(index: ProjectIndex, module: str) -> str:
    if module in index.modules:
        return module
    return next((f"{r}.{module}" for r in index.source_roots if f"{r}.{module}" in index.modules), module)


def _star_imports(index: ProjectIndex, module: str) -> list[str]:
    info = index.modules.get(module)
    return [_rooted(index, star) for star in info.star_imports] if info is not None else []


def module_text(index: ProjectIndex, path: str) -> str:
    """A project file's text ("" when it cannot be read)."""
    try:
        return read_source(Path(index.root) / path)
    except SourceError:
        return ""


def _is_complete(index: ProjectIndex, module: str, seen: set[str]) -> bool:
    """No star import from outside the project, no setting written by code djvet cannot follow."""
    info = index.modules.get(module)
    if info is None or module in seen:
        return info is not None
    seen.add(module)
    text = module_text(index, info.path)
    if not text or _DYNAMIC_RE.search(text):
        return False
    return all(_is_complete(index, star, seen) for star in _star_imports(index, module))


def _inherited(index: ProjectIndex, module: str) -> set[str]:
    """Every module `module` star-imports, directly or not."""
    found: set[str] = set()
    todo = _star_imports(index, module)
    while todo:
        star = todo.pop()
        if star not in found:
            found.add(star)
            todo.extend(_star_imports(index, star))
    return found


def default_deployment(index: ProjectIndex) -> Deployment:
    """find_deployment without a configured settings module (a module-level function for index.deps.shared)."""
    return find_deployment(index)


def find_deployment(index: ProjectIndex, configured: str | None = None) -> Deployment:
    """The production settings modules: the configured one; else those named like production; else
    those a wsgi.py / asgi.py names; else every Django settings module not named for development
    or tests, leaving out those another judged module star-imports (they are judged through it)."""
    named = entry_settings(index)
    modules = all_settings(index)
    candidates = {name: fact for name, fact in modules.items() if is_django_settings(fact, name in named)}
    # the file's folders speak too: `tests/settings.py` outside a package is module `settings`
    roles = {name: role_by_name(name) or role_by_name(fact.path[:-3].replace("/", ".")) for name, fact in candidates.items()}
    chosen = _known(index, configured) if configured else None
    if chosen is not None:
        picked = [chosen]
    else:
        picked = [n for n, r in roles.items() if r == "production"]
        if not picked:
            picked = [n for n in candidates if named.get(n, set()) - {"manage.py"} and roles[n] not in ("development", "test")]
        if not picked:
            picked = [n for n, r in roles.items() if r not in ("development", "test")]
            inherited = set().union(*(_inherited(index, n) for n in picked)) if picked else set()
            picked = [n for n in picked if n not in inherited]
    targets = []
    for name in sorted(picked):
        role = "production" if chosen or roles.get(name) == "production" else "settings"
        if roles.get(name) == "base" and not chosen:
            role = "base"  # named base / common: production adds what it leaves out
        targets.append(SettingsTarget(modules[name], role, _is_complete(index, name, set()), index.mros))
    paths = {t.fact.path for t in targets} | {v.path for t in targets for v in t.fact.values.values()}
    return Deployment(tuple(targets), frozenset(paths))
