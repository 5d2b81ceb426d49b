"""Step 5's project-level recommendations: security controls, tests, observability. Each advisor
reads the inventory and the findings and says what it found (the evidence) and what to do. A new
advisor is a function appended to ADVISORS."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from djvet.finding import Finding
from djvet.index.facts import UNKNOWN, ProjectIndex, SettingValue, ViewFact
from djvet.review.guidance import GuidanceContext, ProjectRecommendation
from djvet.review.markdown import plural
from djvet.review.surface import Endpoint, drf_setting, short
from djvet.review.writers.serializers import serializer_at

Advisor = Callable[[GuidanceContext], list[ProjectRecommendation]]
SECURITY, TESTS, OBSERVABILITY = "security controls", "tests", "observability"
LIST_LIMIT = 8


def _value(ctx: GuidanceContext, name: str) -> SettingValue | None:
    settings = ctx.inventory.settings
    return settings.values.get(name) if settings else None


def _where(setting: SettingValue | None) -> str:
    return f" ({setting.path}:{setting.line})" if setting else ""


def _names(ctx: GuidanceContext) -> set[str]:
    return {r.name for r in ctx.scope.requirements}


def _some(items: Sequence[str], limit: int = LIST_LIMIT) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def _module(ctx: GuidanceContext) -> str:
    return f"`{ctx.inventory.settings.module}`" if ctx.inventory.settings else "the settings"


# ---- security controls ------------------------------------------------------------------------


def debug_and_secret(ctx: GuidanceContext) -> list[ProjectRecommendation]:
    if ctx.inventory.settings is None:
        return [ProjectRecommendation(SECURITY, "Production settings", "check", "no settings module was read", "Name it with `--settings MODULE`.")]
    out = []
    debug = _value(ctx, "DEBUG")
    if debug is not None and debug.value is UNKNOWN:
        out.append(ProjectRecommendation(SECURITY, "DEBUG off in production", "check", f"`DEBUG` is computed at runtime in {_module(ctx)}{_where(debug)}", "Make sure production cannot start with it on (no default of `True`)."))
    elif debug is not None and debug.value is True:
        how = f"defaults to `True` when `{debug.env_var}` is not set" if debug.from_env else "is `True`"
        out.append(ProjectRecommendation(SECURITY, "DEBUG off in production", "todo", f"`DEBUG` {how} in {_module(ctx)}{_where(debug)}", "Default to `False`; let development settings turn it on."))
    else:
        out.append(ProjectRecommendation(SECURITY, "DEBUG off in production", "in place", f"`DEBUG` is not `True` in {_module(ctx)}{_where(debug)}"))
    secret = _value(ctx, "SECRET_KEY")
    if secret is None:
        out.append(ProjectRecommendation(SECURITY, "Secret key from the environment", "check", f"{_module(ctx)} does not set `SECRET_KEY` where djvet can see it"))
    elif not secret.from_env and secret.value is UNKNOWN:
        out.append(
            ProjectRecommendation(
                SECURITY, "Secret key from the environment", "check", f"`SECRET_KEY` is computed at runtime{_where(secret)}",
                "Make sure it comes from outside the repository and that production never generates or defaults it.",
            )
        )
    elif not secret.from_env:
        out.append(
            ProjectRecommendation(
                SECURITY, "Secret key from the environment", "todo", f"`SECRET_KEY` is a literal in code{_where(secret)}",
                "Read it from the environment (or a secrets manager) and rotate the key that was committed.", 'SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]\n',
            )
        )
    elif secret.value is not UNKNOWN and secret.value is not None:
        out.append(
            ProjectRecommendation(
                SECURITY, "Secret key from the environment", "todo", f"`SECRET_KEY` falls back to a default in code when `{secret.env_var}` is missing{_where(secret)}",
                "Fail at start-up instead of running with a known key.", f'SECRET_KEY = os.environ["{secret.env_var or "DJANGO_SECRET_KEY"}"]\n',
            )
        )
    else:
        out.append(ProjectRecommendation(SECURITY, "Secret key from the environment", "in place", f"`SECRET_KEY` from `{secret.env_var or 'the environment'}`, no default{_where(secret)}"))
    hosts = _value(ctx, "ALLOWED_HOSTS")
    if hosts is not None and hosts.value is UNKNOWN and not hosts.from_env:
        out.append(ProjectRecommendation(SECURITY, "Allowed hosts", "check", f"`ALLOWED_HOSTS` is computed at runtime{_where(hosts)}", "Make sure production lists its host names and never `\"*\"`."))
    elif hosts is not None and isinstance(hosts.value, tuple) and "*" in hosts.value:
        out.append(ProjectRecommendation(SECURITY, "Allowed hosts", "todo", f"`ALLOWED_HOSTS` contains `\"*\"`{_where(hosts)}", "List the host names the site answers to (Host header attacks, cache poisoning), unless a middleware validates the Host header; then say so in the deployment notes."))
    elif hosts is not None:
        out.append(ProjectRecommendation(SECURITY, "Allowed hosts", "in place", f"`ALLOWED_HOSTS` {'from the environment' if hosts.from_env else 'set'}{_where(hosts)}"))
    return out


HTTPS_SETTINGS = ("SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_HSTS_SECONDS")


def https(ctx: GuidanceContext) -> list[ProjectRecommendation]:
    if ctx.inventory.settings is None:
        return []
    missing, computed = [], []
    for name in HTTPS_SETTINGS:
        setting = _value(ctx, name)
        if setting is None or setting.value is False or setting.value == 0:
            missing.append(name)
        elif setting.value is UNKNOWN and not setting.from_env:
            computed.append(name)
    if computed and not missing:
        return [ProjectRecommendation(SECURITY, "HTTPS, secure cookies and HSTS", "check", f"computed at runtime in {_module(ctx)}: `" + "`, `".join(computed) + "`", "Make sure production turns them on (or that a proxy in front does the same).")]
    if not missing:
        return [ProjectRecommendation(SECURITY, "HTTPS, secure cookies and HSTS", "in place", "`" + "`, `".join(HTTPS_SETTINGS) + f"` set in {_module(ctx)}")]
    code = "".join(f"{n} = {'60 * 60 * 24 * 365' if n == 'SECURE_HSTS_SECONDS' else 'True'}\n" for n in missing)
    return [
        ProjectRecommendation(
            SECURITY, "HTTPS, secure cookies and HSTS", "todo", f"not set in {_module(ctx)}: `" + "`, `".join(missing) + "`",
            "Set them in the production settings (a proxy that terminates TLS also needs `SECURE_PROXY_SSL_HEADER`); start HSTS with a short max-age.", code,
        )
    ]


REQUIRED_MIDDLEWARE = {
    "django.middleware.security.SecurityMiddleware": "security headers and the HTTPS redirect",
    "django.middleware.csrf.CsrfViewMiddleware": "CSRF protection for session-authenticated forms and API calls",
    "django.middleware.clickjacking.XFrameOptionsMiddleware": "clickjacking protection",
}


def middleware(ctx: GuidanceContext) -> list[ProjectRecommendation]:
    setting = _value(ctx, "MIDDLEWARE")
    if setting is None or not isinstance(setting.value, tuple):
        return []
    # a project subclass (`myproject.middleware.SecurityMiddleware`) counts as the Django one
    present = {a for m in setting.value if isinstance(m, str) for a in ctx.index.mros.get(m, (m,))}
    missing = [m for m in REQUIRED_MIDDLEWARE if m not in present]
    if not missing:
        return [ProjectRecommendation(SECURITY, "Security middleware", "in place", f"`SecurityMiddleware`, `CsrfViewMiddleware`, `XFrameOptionsMiddleware` (or subclasses) in `MIDDLEWARE`{_where(setting)}")]
    return [
        ProjectRecommendation(
            SECURITY, "Security middleware", "todo", "missing from `MIDDLEWARE`: " + ", ".join(f"`{short(m)}` ({REQUIRED_MIDDLEWARE[m]})" for m in missing) + _where(setting),
            "Add them unless another layer provides the same protection, and say so in the deployment notes.",
        )
    ]


def _public(endpoints: Sequence[Endpoint]) -> list[Endpoint]:
    return [e for e in endpoints if e.access.anonymous in ("yes", "read-only") and e.kind not in ("admin", "external")]


def api_access(ctx: GuidanceContext) -> list[ProjectRecommendation]:
    if not ctx.scope.drf_used:
        return []
    out = []
    default = drf_setting(ctx.inventory.settings, "DEFAULT_PERMISSION_CLASSES")
    if default is None:
        out.append(
            ProjectRecommendation(
                SECURITY, "A closed default for API permissions", "todo", "`REST_FRAMEWORK` does not set `DEFAULT_PERMISSION_CLASSES`: DRF's default is `AllowAny`",
                "Make authenticated access the default and open views one by one with `permission_classes = [AllowAny]`.",
                'REST_FRAMEWORK = {\n    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],\n}\n',
            )
        )
    elif default is not UNKNOWN:
        shown = ", ".join(f"`{short(str(v))}`" for v in default) if isinstance(default, tuple) else f"`{default}`"
        out.append(ProjectRecommendation(SECURITY, "A closed default for API permissions", "in place", f"`DEFAULT_PERMISSION_CLASSES`: {shown}"))
    public = _public(ctx.inventory.endpoints())
    if public:
        listed = [f"`/{e.url}` ({short(e.view or '?')}: {e.access.permissions}{', read-only' if e.access.anonymous == 'read-only' else ''})" for e in public]
        out.append(
            ProjectRecommendation(
                SECURITY, "Endpoints open to anonymous clients", "check", f"{plural(len(public), 'endpoint')}: {_some(listed)}",
                "Confirm each is public by design, and that its serializer publishes only public fields.",
            )
        )
        throttles = drf_setting(ctx.inventory.settings, "DEFAULT_THROTTLE_CLASSES")
        if throttles is None:
            out.append(
                ProjectRecommendation(
                    SECURITY, "Rate limits for anonymous clients", "todo",
                    f"anonymous clients can call {plural(len(public), 'endpoint')} (" + _some([f"`/{e.url}`" for e in public], 3) + ") and `DEFAULT_THROTTLE_CLASSES` is not set",
                    "Throttle anonymous and authenticated clients (and scrapers of public lists) by default.",
                    'REST_FRAMEWORK = {\n    # ... the existing keys ...\n    "DEFAULT_THROTTLE_CLASSES": [\n        "rest_framework.throttling.AnonRateThrottle",\n'
                    '        "rest_framework.throttling.UserRateThrottle",\n    ],\n    "DEFAULT_THROTTLE_RATES": {"anon": "100/hour", "user": "1000/hour"},\n}\n',
                )
            )
    return out


def passwords_and_dev_servers(ctx: GuidanceContext) -> list[ProjectRecommendation]:
    out = []
    validators = _value(ctx, "AUTH_PASSWORD_VALIDATORS")
    if ctx.inventory.settings is not None:
        if validators is not None and validators.value is UNKNOWN:
            out.append(ProjectRecommendation(SECURITY, "Password validation", "check", f"`AUTH_PASSWORD_VALIDATORS` is computed at runtime{_where(validators)}"))
        elif validators is None or validators.value == ():
            out.append(ProjectRecommendation(SECURITY, "Password validation", "todo", f"no `AUTH_PASSWORD_VALIDATORS` in {_module(ctx)}", "Enable Django's four validators (length, common, numeric, similarity)."))
        else:
            out.append(ProjectRecommendation(SECURITY, "Password validation", "in place", f"`AUTH_PASSWORD_VALIDATORS` set{_where(validators)}"))
    runserver = [e for e in ctx.scope.deploy_files if e.kind == "development-server"]
    if runserver:
        out.append(
            ProjectRecommendation(
                SECURITY, "No development server in deployment files", "todo", "`runserver` in " + ", ".join(f"`{e.path}:{e.line}`" for e in runserver),
                "Serve with gunicorn or uvicorn; `runserver` is not hardened and serves one request at a time per thread.",
            )
        )
    installed = ctx.scope.installed_apps or ()
    if "debug_toolbar" in installed and ctx.scope.production and ctx.scope.settings.value == ctx.scope.production:
        out.append(ProjectRecommendation(SECURITY, "No debug toolbar in production", "todo", f"`debug_toolbar` in `INSTALLED_APPS` of {_module(ctx)}", "Install it from the development settings only."))
    return out


# ---- tests ------------------------------------------------------------------------------------


def view_at(index: ProjectIndex, path: str, line: int) -> ViewFact | None:
    best = None
    for view in index.views.values():
        if view.path != path:
            continue
        info = index.classes.get(view.qualname)
        end = info.end_line if info else _function_end(index, view)
        if view.line <= line <= end and (best is None or view.line > best.line):
            best = view
    return best


def _function_end(index: ProjectIndex, view: ViewFact) -> int:
    info = index.modules.get(view.module)
    function = info.functions.get(view.name) if info else None
    return function.end_line if function else view.line


def endpoints_of(ctx: GuidanceContext, qualnames: set[str]) -> list[Endpoint]:
    return [e for e in ctx.inventory.endpoints() if e.view in qualnames]


def _test_name(text: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in text.strip("/").lower()).strip("_") or "root"


def _request(endpoint: Endpoint) -> str:
    """The test client call for an endpoint: a literal path when it has no parameters."""
    method = "get" if not endpoint.methods or "GET" in endpoint.methods else endpoint.methods[0].lower()
    params = re.findall(r"\{(\w+)\}|<(?:\w+:)?(\w+)>", endpoint.url)
    if not params:
        return f'self.client.{method}("/{endpoint.url}")'
    names = [a or b for a, b in params]
    kwargs = ", ".join(f'"{n}": ...' for n in names)
    target = f'reverse("{endpoint.name}", kwargs={{{kwargs}}})' if endpoint.name else f'"/{endpoint.url}"  # fill in {", ".join(names)}'
    return f"self.client.{method}({target})"


def query_count_tests(ctx: GuidanceContext) -> list[ProjectRecommendation]:
    flagged = [f for f in ctx.findings if f.code[3] == "1"]
    views: dict[str, list[Finding]] = {}
    for finding in flagged:
        view = view_at(ctx.index, finding.path, finding.line)
        if view is not None:
            views.setdefault(view.qualname, []).append(finding)
    endpoints = endpoints_of(ctx, set(views))
    if endpoints:
        listed = []
        for endpoint in endpoints:
            findings = views[endpoint.view or ""]
            listed.append(f"`/{endpoint.url}` ({', '.join(sorted({f'{f.code} at {f.path}:{f.line}' for f in findings}))})")
        first = endpoints[0]
        name = _test_name(first.url)
        code = (
            "from django.test import TestCase\n"
            + ("from django.urls import reverse\n" if "reverse(" in _request(first) else "")
            + "\n\n"
            f"class {''.join(p.capitalize() for p in name.split('_') if p)}QueriesTest(TestCase):\n"
            "    def test_query_count_does_not_grow_with_rows(self):\n"
            "        make_rows(1)  # your factory: one row, then many; the count must stay the same\n"
            "        with self.assertNumQueries(EXPECTED):\n"
            f"            {_request(first)}\n"
            "        make_rows(20)\n"
            "        with self.assertNumQueries(EXPECTED):\n"
            f"            {_request(first)}\n"
        )
        return [
            ProjectRecommendation(
                TESTS, "Query counts of the endpoints with an N+1", "todo", f"{len(endpoints)} endpoints: {_some(listed)}",
                "One `assertNumQueries` test per endpoint, with one row and with many, keeps each fix fixed; the first one:", code,
            )
        ]
    if flagged:
        in_views = sum(len(found) for found in views.values())
        parts = []
        if in_views:
            names = sorted({short(v) for v in views})
            parts.append(f"{in_views} in views that no URL djvet could follow reaches ({_some([f'`{n}`' for n in names], 4)})")
        if len(flagged) > in_views:
            parts.append(f"{len(flagged) - in_views} in code outside views (tasks, admin, commands, services)")
        return [
            ProjectRecommendation(
                TESTS, "Query counts of the code with an N+1", "todo", f"{plural(len(flagged), 'finding')}: " + "; ".join(parts),
                "Call the code (or its view) under `assertNumQueries`, with one row and with many; the count must not grow.",
            )
        ]
    lists = [e for e in ctx.inventory.endpoints() if "GET" in e.methods and e.kind in ("drf-viewset", "drf-generic", "django-cbv")]
    if lists:
        return [
            ProjectRecommendation(
                TESTS, "Query counts of list endpoints", "check", "no N+1 finding in this review; list endpoints: " + _some([f"`/{e.url}`" for e in lists]),
                "An `assertNumQueries` test per list endpoint (with 1 and with many rows) keeps an N+1 from coming back unnoticed.",
            )
        ]
    return []


def serializer_field_tests(ctx: GuidanceContext) -> list[ProjectRecommendation]:
    listed = []
    first = None
    seen = set()
    for finding in ctx.findings:
        if finding.code[3] != "3":
            continue
        serializer = serializer_at(ctx.index, finding.path, finding.line)
        if serializer is None or serializer.qualname in seen or serializer.model is None:
            continue
        seen.add(serializer.qualname)
        first = first or serializer
        served = [e for e in ctx.inventory.endpoints() if e.view and (v := ctx.index.views.get(e.view)) and v.serializer_class == serializer.qualname]
        where = (" served at " + ", ".join(f"`/{e.url}`" for e in served)) if served else ""
        listed.append(f"`{serializer.name}` ({finding.code} at {finding.path}:{finding.line}{where})")
    if first is None:
        return []
    code = (
        f"from {first.module} import {first.name}\n\n\n"
        f"def test_{_test_name(first.name)}_publishes_only_the_agreed_fields():\n"
        f"    assert set({first.name}().fields) == {{...}}  # the names in Meta.fields, once chosen\n"
    )
    return [
        ProjectRecommendation(
            TESTS, "Published fields of the flagged serializers", "todo", _some(listed),
            "Pin each serializer's field names, so a new model field cannot reach the API unnoticed; the first one:", code,
        )
    ]


def access_tests(ctx: GuidanceContext) -> list[ProjectRecommendation]:
    endpoints = [e for e in ctx.inventory.endpoints() if e.kind.startswith("drf") or e.kind.startswith("django-")]
    if not endpoints:
        return []
    expectations = []
    for e in endpoints:
        if e.access.anonymous == "no":
            expectations.append(f"`/{e.url}`: anonymous → 401/403")
        elif e.access.anonymous == "read-only":
            expectations.append(f"`/{e.url}`: anonymous GET → 200, anonymous write → 401/403")
        elif e.access.anonymous == "yes" and set(e.methods) - {"GET", "HEAD", "OPTIONS"}:
            expectations.append(f"`/{e.url}`: anonymous writes allowed (intended?)")
    if not expectations:
        return []
    if any("tests" in m.kinds for m in ctx.index.modules.values()):
        # a project with tests likely covers the closed endpoints; the open ones are worth a look
        risky = [x for x in expectations if "→ 401/403" not in x or "anonymous GET" in x]
        if not risky:
            return []
        return [ProjectRecommendation(TESTS, "Tests for the endpoints open to anonymous clients", "check", "; ".join(risky[:LIST_LIMIT]) + (f"; and {len(risky) - LIST_LIMIT} more" if len(risky) > LIST_LIMIT else ""), "Make sure a test pins what an anonymous client may do on each.")]
    code = (
        "from rest_framework.test import APITestCase\n\n\n"
        "class AnonymousAccessTest(APITestCase):\n"
        "    def test_anonymous_clients_cannot_write(self):\n"
        '        response = self.client.post("/api/...", {})\n'
        "        self.assertIn(response.status_code, (401, 403))\n"
    )
    return [ProjectRecommendation(TESTS, "Access rules per endpoint", "todo", "; ".join(expectations[:LIST_LIMIT]) + (f"; and {len(expectations) - LIST_LIMIT} more" if len(expectations) > LIST_LIMIT else ""), "One test per endpoint and role (anonymous, owner, another user) makes permission changes visible in review.", code)]


def test_presence(ctx: GuidanceContext) -> list[ProjectRecommendation]:
    modules = sorted(m.path for m in ctx.index.modules.values() if "tests" in m.kinds)
    if modules:
        return [ProjectRecommendation(TESTS, "A test suite", "in place", plural(len(modules), "test module"))]
    return [ProjectRecommendation(TESTS, "A test suite", "todo", "no test modules found (`tests.py`, `test_*.py`, `tests/`)", "Start with the API endpoints and permissions listed in the inventory; the items below are a first list.")]


# ---- observability ----------------------------------------------------------------------------

ERROR_TRACKING = ("sentry-sdk", "raven", "rollbar", "bugsnag", "honeybadger", "opentelemetry-sdk", "ddtrace", "newrelic", "elastic-apm", "scout-apm")
METRICS = ("django-prometheus", "prometheus-client", "opentelemetry-instrumentation-django", "ddtrace", "newrelic", "statsd", "django-statsd", "datadog", "elastic-apm", "scout-apm")
HEALTH_WORDS = frozenset({"health", "healthz", "healthcheck", "ready", "readyz", "readiness", "alive", "livez", "liveness", "ping", "status"})
QUERY_TOOLS = ("django-debug-toolbar", "django-silk", "nplusone", "django-querycount", "django-zeal", "django-query-profiler", "django-auto-prefetch")


def observability(ctx: GuidanceContext) -> list[ProjectRecommendation]:
    names = _names(ctx)
    out = []
    logging = _value(ctx, "LOGGING")
    if logging is None:
        out.append(
            ProjectRecommendation(
                OBSERVABILITY, "Logging configuration", "todo", f"no `LOGGING` in {_module(ctx)}: Django's defaults email admins and drop most records when `DEBUG` is off",
                "Log to stdout in a structured format, with `django.request` at WARNING and the app loggers at INFO.",
                'LOGGING = {\n    "version": 1,\n    "disable_existing_loggers": False,\n    "handlers": {"console": {"class": "logging.StreamHandler"}},\n'
                '    "root": {"handlers": ["console"], "level": "INFO"},\n    "loggers": {"django.request": {"level": "WARNING"}},\n}\n',
            )
        )
    else:
        out.append(ProjectRecommendation(OBSERVABILITY, "Logging configuration", "in place", f"`LOGGING` set{_where(logging)}"))
    for title, packages, action in (
        ("Error tracking", ERROR_TRACKING, "Report unhandled exceptions with their request context (for example `sentry-sdk` with its Django integration)."),
        ("Request and query metrics", METRICS, "Export per-endpoint latency and query counts (django-prometheus or OpenTelemetry) so an N+1 shows up as a trend, not an outage."),
        ("Query visibility in development", QUERY_TOOLS, "Use django-debug-toolbar (or nplusone / django-silk) in development to see the queries each page makes."),
    ):
        found = sorted(p for p in packages if p in names)
        if found:
            out.append(ProjectRecommendation(OBSERVABILITY, title, "in place", "declared: " + ", ".join(f"`{p}`" for p in found)))
        else:
            out.append(ProjectRecommendation(OBSERVABILITY, title, "todo", "none of " + ", ".join(f"`{p}`" for p in packages[:4]) + " … is declared", action))
    health = [e for e in ctx.inventory.endpoints() if HEALTH_WORDS & set(re.split(r"[/_.-]+", e.url.lower()))]
    if health:
        out.append(ProjectRecommendation(OBSERVABILITY, "Health check endpoint", "in place", ", ".join(f"`/{e.url}`" for e in health[:3])))
    elif any("not-followed" in e.flags and _maybe_own(ctx, e.include) for e in ctx.inventory.endpoints()):
        out.append(
            ProjectRecommendation(
                OBSERVABILITY, "Health check endpoint", "check", "no route named like health, ready, alive or ping among the routes djvet could follow (some includes are computed)",
                "Make sure load balancers have a cheap endpoint that checks the database connection.",
            )
        )
    else:
        out.append(
            ProjectRecommendation(
                OBSERVABILITY, "Health check endpoint", "todo", "no route named like health, ready, alive or ping",
                "Add a cheap endpoint that checks the database connection, for load balancers and orchestrators.",
            )
        )
    return out


def _maybe_own(ctx: GuidanceContext, include: str | None) -> bool:
    """An include djvet could not follow that may hold the project's own routes (not a third-party URLconf)."""
    return include is None or include.split(".", 1)[0] in {m.split(".", 1)[0] for m in ctx.index.modules}


ADVISORS: list[Advisor] = [
    debug_and_secret,
    https,
    middleware,
    api_access,
    passwords_and_dev_servers,
    test_presence,
    query_count_tests,
    serializer_field_tests,
    access_tests,
    observability,
]


def flagged_findings(findings: Sequence[Finding], family: str) -> list[Finding]:
    return [f for f in findings if f.code[3] == family]
