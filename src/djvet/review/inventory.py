"""Step 4's inventory: what the project is made of, one collector per subject. A new subject is a
new class appended to COLLECTORS; the pipeline and the report render any section generically."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from djvet.finding import Finding
from djvet.index.facts import UNKNOWN, ProjectIndex, SettingsFact, SettingValue
from djvet.review.markdown import plural
from djvet.review.scope import Scope
from djvet.review.sources import count_migrations
from djvet.review.surface import (
    Endpoint,
    collect_async_views,
    collect_endpoints,
    collect_enqueue_sites,
    collect_tasks,
    drf_setting,
    short,
)

MAX_CELL = 90


@dataclass(frozen=True, slots=True)
class InventorySection:
    key: str
    title: str
    summary: str
    headers: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict[str, object]:
        return {
            "key": self.key,
            "title": self.title,
            "summary": self.summary,
            "rows": [dict(zip(self.headers, row, strict=True)) for row in self.rows],
            "notes": list(self.notes),
        }


@dataclass
class InventoryContext:
    root: Path
    index: ProjectIndex
    scope: Scope
    settings: SettingsFact | None
    findings: Sequence[Finding]
    cache: dict[str, object] = field(default_factory=dict)

    def endpoints(self) -> tuple[Endpoint, ...]:
        if "endpoints" not in self.cache:
            self.cache["endpoints"] = collect_endpoints(self.index)
        return self.cache["endpoints"]  # type: ignore[return-value]

    def value(self, name: str) -> SettingValue | None:
        return self.settings.values.get(name) if self.settings else None


class Collector(Protocol):
    key: str
    title: str
    why: str

    def collect(self, ctx: InventoryContext) -> InventorySection: ...


def code(text: object) -> str:
    return f"`{text}`"


def python_literal(value: object) -> str:
    """A settings value as Python source (what the settings file says), unknown parts as `…`."""
    if value is UNKNOWN:
        return "…"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(python_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{python_literal(k)}: {python_literal(v)}" for k, v in value.items()) + "}"
    return repr(value)


def literal(value: object) -> str:
    """A settings value, short; unknown values said so."""
    if value is UNKNOWN:
        return "computed at runtime"
    text = python_literal(value)
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"


def describe(setting: SettingValue | None, default: str) -> str:
    if setting is None:
        return f"not set ({default})"
    where = f" ({setting.path}:{setting.line})"
    if setting.from_env:
        var = f"`{setting.env_var}`" if setting.env_var else "the environment"
        if setting.value is UNKNOWN or setting.value is None:
            return f"from {var}, no default{where}"
        return f"from {var}, default `{literal(setting.value)}`{where}"
    if setting.value is UNKNOWN:
        return f"computed{where}"
    return f"`{literal(setting.value)}`{where}"


def in_package(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def app_folder(index: ProjectIndex, root: Path, package: str) -> Path | None:
    info = index.modules.get(package)
    if info is None:
        return None
    return (root / info.path).parent


class AppsCollector:
    key = "apps"
    title = "Apps"
    why = "which apps make up the project, and what each holds"

    def collect(self, ctx: InventoryContext) -> InventorySection:
        index = ctx.index
        labels = {package: label for label, package in index.app_labels.items()}
        rows = []
        for package in ctx.scope.project_apps:
            folder = app_folder(index, ctx.root, package)
            migrations = count_migrations(folder) if folder else None
            models = sum(1 for m in index.models.values() if in_package(m.module, package) and not m.abstract)
            views = sum(1 for v in index.views.values() if in_package(v.module, package))
            serializers = sum(1 for s in index.serializers.values() if in_package(s.module, package))
            tests = sum(1 for m in index.modules.values() if in_package(m.name, package) and "tests" in m.kinds)
            rows.append(
                (code(labels.get(package, package.rsplit(".", 1)[-1])), code(package), str(models), str(views), str(serializers),
                 "none" if migrations is None else str(migrations), str(tests))
            )
        installed = ctx.scope.installed_apps
        notes = []
        if installed is None:
            summary = f"{plural(len(rows), 'project app')}; `INSTALLED_APPS` is computed at runtime, apps are taken from `AppConfig` classes"
        else:
            own = set(ctx.scope.project_apps)
            contrib = [a for a in installed if a.startswith("django.")]
            third = [a for a in installed if not a.startswith("django.") and a.split(".apps.", 1)[0] not in own]
            summary = f"{plural(len(rows), 'project app')}, {len(third)} third-party and {len(contrib)} Django apps in `INSTALLED_APPS`"
            if third:
                notes.append("Third-party apps: " + ", ".join(code(a) for a in sorted(third)))
            if contrib:
                notes.append("Django apps: " + ", ".join(code(a) for a in sorted(contrib)))
        return InventorySection(self.key, self.title, summary, ("app", "package", "models", "views", "serializers", "migrations", "test modules"), tuple(rows), tuple(notes))


class DependenciesCollector:
    key = "dependencies"
    title = "Dependencies"
    why = "the declared packages and versions the advice must fit"

    def collect(self, ctx: InventoryContext) -> InventorySection:
        requirements = ctx.scope.requirements
        direct = [r for r in requirements if not r.locked]
        locks: dict[str, int] = {}
        for r in requirements:
            if r.locked:
                locks[r.source] = locks.get(r.source, 0) + 1
        rows = tuple((code(r.name), code(r.spec) if r.spec else "any", code(r.source)) for r in direct)
        files = sorted({r.source.split(" ", 1)[0] for r in requirements})
        summary = f"{len({r.name for r in direct})} packages declared in {', '.join(code(f) for f in files)}" if files else "no requirements, pyproject, Pipfile or lock file found"
        notes = tuple(f"{code(source)} locks {count} packages" for source, count in sorted(locks.items()))
        return InventorySection(self.key, self.title, summary, ("package", "version", "declared in"), rows, notes)


class ModelsCollector:
    key = "models"
    title = "Models and relations"
    why = "the data model the queries and serializers work on"

    def collect(self, ctx: InventoryContext) -> InventorySection:
        rows = []
        relations = 0
        for model in sorted(ctx.index.models.values(), key=lambda m: (m.label, m.qualname)):
            links = []
            for field_fact in model.fields.values():
                if field_fact.relation:
                    target = ctx.index.models.get(field_fact.target or "")
                    name = target.label if target else (field_fact.target or "?").rsplit(".", 1)[-1]
                    links.append(f"`{field_fact.name}` → `{name}` ({field_fact.relation})")
            relations += len(links)
            kind = "abstract" if model.abstract else "proxy" if model.proxy else ""
            if model.partial:
                kind = (kind + ", " if kind else "") + "bases outside the project"
            rows.append((code(model.label), f"{model.path}:{model.line}", str(len(model.fields)), "; ".join(links) or "-", kind or "-"))
        concrete = sum(1 for m in ctx.index.models.values() if not m.abstract)
        user = ctx.settings.get("AUTH_USER_MODEL") if ctx.settings else None
        notes = (f"Custom user model: {code(user)}",) if isinstance(user, str) else ()
        summary = f"{plural(concrete, 'concrete model')}, {len(rows) - concrete} abstract, {plural(relations, 'relation')}"
        return InventorySection(self.key, self.title, summary, ("model", "defined in", "fields", "relations", "kind"), tuple(rows), notes)


class MigrationsCollector:
    key = "migrations"
    title = "Migrations"
    why = "schema history per app (djvet's index skips migration files; they are counted here)"

    def collect(self, ctx: InventoryContext) -> InventorySection:
        rows = []
        missing = []
        for package in ctx.scope.project_apps:
            folder = app_folder(ctx.index, ctx.root, package)
            count = count_migrations(folder) if folder else None
            has_models = any(in_package(m.module, package) and not m.abstract for m in ctx.index.models.values())
            if count is None and has_models:
                missing.append(package)
            rows.append((code(package), "no migrations folder" if count is None else str(count)))
        total = sum(int(r[1]) for r in rows if r[1].isdigit())
        notes = tuple(f"{code(p)} has models but no `migrations/` folder in the repository" for p in missing)
        return InventorySection(self.key, self.title, f"{plural(total, 'migration file')} in {plural(len(rows), 'app')}", ("app", "migrations"), tuple(rows), notes)


class ApiSurfaceCollector:
    key = "api"
    title = "API surface"
    why = "every route with its view, methods, authentication and permissions (as `djvet endpoints` lists them)"

    def collect(self, ctx: InventoryContext) -> InventorySection:
        endpoints = ctx.endpoints()
        rows = tuple(
            (
                code("/" + e.url),
                "Django admin" if e.kind == "admin" else code(short(e.view)) if e.view else "-",
                ", ".join(e.methods) or ("-" if e.kind in ("include", "admin") else "any"),
                e.access.authentication,
                e.access.permissions,
                e.access.anonymous,
                " ".join(e.flags) or "-",
                f"{e.path}:{e.line}" if e.path else "-",
            )
            for e in endpoints
        )
        anonymous = sum(1 for e in endpoints if e.access.anonymous == "yes")
        read_only = sum(1 for e in endpoints if e.access.anonymous == "read-only")
        unknown = sum(1 for e in endpoints if e.access.anonymous == "unknown")
        summary = f"{plural(len(endpoints), 'endpoint')}; anonymous clients can call {anonymous} and read {read_only} more; {unknown} undecided statically"
        notes = []
        if ctx.scope.drf_used:
            for key, default in (
                ("DEFAULT_PERMISSION_CLASSES", "AllowAny"),
                ("DEFAULT_AUTHENTICATION_CLASSES", "SessionAuthentication, BasicAuthentication"),
                ("DEFAULT_THROTTLE_CLASSES", "no throttling"),
                ("DEFAULT_PAGINATION_CLASS", "no pagination"),
            ):
                value = drf_setting(ctx.settings, key)
                shown = (
                    f"not set (DRF default: {default})" if value is None
                    else "computed at runtime" if value is UNKNOWN
                    else ", ".join(code(short(str(v))) for v in value) if isinstance(value, tuple)
                    else code(short(str(value)))
                )
                notes.append(f"`REST_FRAMEWORK[{key!r}]`: {shown}")
        unfollowed = sum(1 for e in endpoints if "not-followed" in e.flags)
        if unfollowed:
            notes.append(f"{plural(unfollowed, 'include')} could not be followed statically (computed URLconfs or third-party apps); their routes are not listed")
        return InventorySection(
            self.key, self.title, summary, ("URL", "view", "methods", "authentication", "permissions", "anonymous", "flags", "view defined in"), rows, tuple(notes)
        )


class AsyncCollector:
    key = "async"
    title = "Async and background work"
    why = "async views, Celery / RQ tasks and enqueue sites: where work leaves the request"

    def collect(self, ctx: InventoryContext) -> InventorySection:
        rows: list[tuple[str, ...]] = []
        for view in collect_async_views(ctx.index):
            rows.append(("async view", code(view.qualname), f"{view.path}:{view.line}", "async " + ", ".join(view.handlers)))
        tasks = collect_tasks(ctx.index)
        for task in tasks:
            rows.append((f"{task.framework} task", code(task.qualname), f"{task.path}:{task.line}", f"`@{short(task.decorator)}`" + (" (async def)" if task.is_async else "")))
        enqueues = collect_enqueue_sites(ctx.index)
        for qualname, path, line in enqueues:
            rows.append(("enqueue site", code(qualname), f"{path}:{line}", "calls `.enqueue(...)`"))
        frameworks = sorted({t.framework for t in tasks})
        summary = (
            f"{plural(sum(1 for r in rows if r[0] == 'async view'), 'async view')}, {plural(len(tasks), 'background task')}"
            + (f" ({', '.join(frameworks)})" if frameworks else "")
            + f", {plural(len(enqueues), 'enqueue site')}"
        )
        notes = []
        interface = ctx.scope.entry_point.value
        if any(r[0] == "async view" for r in rows) and interface == "wsgi":
            notes.append("Async views under WSGI run in a thread per request: they gain nothing and cost a thread switch")
        return InventorySection(self.key, self.title, summary, ("kind", "name", "defined in", "detail"), tuple(rows), tuple(notes))


MIDDLEWARE_NOTES = {
    "django.middleware.security.SecurityMiddleware": "HTTPS redirect, HSTS, nosniff",
    "django.contrib.sessions.middleware.SessionMiddleware": "sessions",
    "django.middleware.common.CommonMiddleware": "APPEND_SLASH, DISALLOWED_USER_AGENTS",
    "django.middleware.csrf.CsrfViewMiddleware": "CSRF protection",
    "django.contrib.auth.middleware.AuthenticationMiddleware": "request.user",
    "django.contrib.auth.middleware.LoginRequiredMiddleware": "login required for every view",
    "django.contrib.messages.middleware.MessageMiddleware": "messages",
    "django.middleware.clickjacking.XFrameOptionsMiddleware": "X-Frame-Options",
    "django.middleware.gzip.GZipMiddleware": "compression (BREACH risk with secrets in HTML)",
    "django.middleware.cache.UpdateCacheMiddleware": "per-site cache (write)",
    "django.middleware.cache.FetchFromCacheMiddleware": "per-site cache (read)",
    "django.middleware.locale.LocaleMiddleware": "language from the request",
    "corsheaders.middleware.CorsMiddleware": "CORS headers",
    "whitenoise.middleware.WhiteNoiseMiddleware": "static files",
    "debug_toolbar.middleware.DebugToolbarMiddleware": "debug toolbar (development only)",
}


class MiddlewareCollector:
    key = "middleware"
    title = "Middleware"
    why = "what every request passes through, in order"

    def collect(self, ctx: InventoryContext) -> InventorySection:
        setting = ctx.value("MIDDLEWARE")
        where = f" of `{ctx.settings.module}`" if ctx.settings else ""
        if setting is None:
            return InventorySection(self.key, self.title, f"no `MIDDLEWARE` setting{where}")
        if not isinstance(setting.value, tuple):
            return InventorySection(self.key, self.title, f"`MIDDLEWARE`{where} is computed at runtime ({setting.path}:{setting.line})")
        rows = tuple((str(n), code(m if isinstance(m, str) else "?"), MIDDLEWARE_NOTES.get(str(m), "")) for n, m in enumerate(setting.value, 1))
        return InventorySection(self.key, self.title, f"{len(rows)} middleware classes in `MIDDLEWARE`{where} ({setting.path}:{setting.line})", ("#", "middleware", "does"), rows)


def _aliases(setting: SettingValue | None) -> dict[str, object] | None:
    if setting is None or not isinstance(setting.value, dict):
        return None
    return setting.value


class CachesCollector:
    key = "caches"
    title = "Caches"
    why = "cache backends, and where sessions live"

    def collect(self, ctx: InventoryContext) -> InventorySection:
        setting = ctx.value("CACHES")
        aliases = _aliases(setting)
        session = ctx.value("SESSION_ENGINE")
        notes = (f"`SESSION_ENGINE`: {describe(session, 'database sessions')}",)
        if setting is None:
            return InventorySection(self.key, self.title, "no `CACHES` setting: Django's local-memory cache, one per process", notes=notes)
        if aliases is None:
            return InventorySection(self.key, self.title, f"`CACHES` is computed at runtime ({setting.path}:{setting.line})", notes=notes)
        rows = []
        for alias, config in sorted(aliases.items()):
            backend = config.get("BACKEND") if isinstance(config, dict) else UNKNOWN
            location = config.get("LOCATION", "-") if isinstance(config, dict) else UNKNOWN
            rows.append((code(alias), code(literal(backend)), code(literal(location)) if location != "-" else "-"))
        return InventorySection(self.key, self.title, f"{plural(len(rows), 'cache alias', 'cache aliases')} ({setting.path}:{setting.line})", ("alias", "backend", "location"), tuple(rows), notes)


class DatabasesCollector:
    key = "databases"
    title = "Databases"
    why = "database engines and connection settings"

    def collect(self, ctx: InventoryContext) -> InventorySection:
        setting = ctx.value("DATABASES")
        aliases = _aliases(setting)
        if setting is None:
            return InventorySection(self.key, self.title, "no `DATABASES` setting found")
        if aliases is None:
            return InventorySection(self.key, self.title, f"`DATABASES` is computed at runtime ({setting.path}:{setting.line})")
        rows = []
        for alias, config in sorted(aliases.items()):
            values: dict[str, object] = config if isinstance(config, dict) else {}
            known = isinstance(config, dict)
            rows.append(
                (
                    code(alias),
                    code(literal(values.get("ENGINE", UNKNOWN))),
                    code(literal(values.get("CONN_MAX_AGE", 0) if known else UNKNOWN)),
                    code(literal(values.get("ATOMIC_REQUESTS", False) if known else UNKNOWN)),
                    "yes" if values.get("CONN_HEALTH_CHECKS") is True else "no",
                )
            )
        routers = ctx.value("DATABASE_ROUTERS")
        notes = (f"`DATABASE_ROUTERS`: {describe(routers, 'none')}",) if routers else ()
        return InventorySection(self.key, self.title, f"{plural(len(rows), 'database alias', 'database aliases')} ({setting.path}:{setting.line})", ("alias", "engine", "CONN_MAX_AGE", "ATOMIC_REQUESTS", "health checks"), tuple(rows), notes)


SECURITY_SETTINGS = (
    ("DEBUG", "Django default: False"),
    ("SECRET_KEY", "Django refuses to start"),
    ("ALLOWED_HOSTS", "empty: only localhost when DEBUG"),
    ("SECURE_SSL_REDIRECT", "False"),
    ("SECURE_PROXY_SSL_HEADER", "None"),
    ("SESSION_COOKIE_SECURE", "False"),
    ("CSRF_COOKIE_SECURE", "False"),
    ("SECURE_HSTS_SECONDS", "0: no HSTS"),
    ("SECURE_HSTS_INCLUDE_SUBDOMAINS", "False"),
    ("SECURE_CONTENT_TYPE_NOSNIFF", "True"),
    ("X_FRAME_OPTIONS", "DENY"),
    ("CSRF_TRUSTED_ORIGINS", "none"),
    ("AUTH_PASSWORD_VALIDATORS", "none: any password"),
    ("LOGGING", "Django's default logging"),
)


def describe_security(setting: SettingValue | None, name: str, default: str) -> str:
    if name == "SECRET_KEY" and setting is not None:
        # never print a secret, even a development one
        if setting.from_env:
            var = f"`{setting.env_var}`" if setting.env_var else "the environment"
            has_default = setting.value is not UNKNOWN and setting.value is not None
            return f"from {var}, {'with a default in code' if has_default else 'no default'} ({setting.path}:{setting.line})"
        return f"{'computed' if setting.value is UNKNOWN else 'a literal in code'} ({setting.path}:{setting.line})"
    if name in ("AUTH_PASSWORD_VALIDATORS", "LOGGING") and setting is not None and not setting.from_env:
        if isinstance(setting.value, (tuple, dict)):
            return f"{len(setting.value)} {'validators' if name.startswith('AUTH') else 'keys'} ({setting.path}:{setting.line})"
    return describe(setting, default)


class SecuritySettingsCollector:
    key = "security-settings"
    title = "Security settings"
    why = "the production settings that decide HTTPS, cookies, hosts and secrets"

    def collect(self, ctx: InventoryContext) -> InventorySection:
        if ctx.settings is None:
            return InventorySection(self.key, self.title, "no settings module read")
        rows = tuple((code(name), describe_security(ctx.value(name), name, default)) for name, default in SECURITY_SETTINGS)
        return InventorySection(self.key, self.title, f"as read from `{ctx.settings.module}`", ("setting", "value"), rows)


COLLECTORS: list[Collector] = [
    AppsCollector(),
    DependenciesCollector(),
    ModelsCollector(),
    MigrationsCollector(),
    ApiSurfaceCollector(),
    AsyncCollector(),
    MiddlewareCollector(),
    CachesCollector(),
    DatabasesCollector(),
    SecuritySettingsCollector(),
]
