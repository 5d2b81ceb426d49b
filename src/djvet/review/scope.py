"""Step 1, scope: what this project is (versions, type, deployment, settings, apps), the goal, and
the plan. Reads files and the project index only; every guess it cannot avoid becomes an open
question naming the flag that settles it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from djvet.catalog import FAMILIES
from djvet.config import ConfigError
from djvet.index.facts import ProjectIndex, SettingsFact
from djvet.index.settings import find_settings_module_names
from djvet.index.source import SourceError, read_source
from djvet.review.base import GOALS, OpenQuestion, PlanItem, ReviewState, ReviewStepError, StepResult
from djvet.review.sources import (
    FileEvidence,
    Requirement,
    collect_deploy_files,
    collect_requirements,
    count_templates,
    project_name,
    server_interface,
)
from djvet.review.surface import collect_async_views, collect_tasks
from djvet.runner import Project, UsageError, display_path, open_project

ASGI_SERVER_PACKAGES = {"uvicorn": "asgi", "daphne": "asgi", "hypercorn": "asgi", "granian": "asgi", "gunicorn": "wsgi", "uwsgi": "wsgi", "waitress": "wsgi", "mod-wsgi": "wsgi"}
SECURE_SETTINGS = ("SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_HSTS_SECONDS")
_TOKENS = {
    "production": frozenset({"prod", "production", "live", "deploy", "deployment", "prd"}),
    "development": frozenset({"dev", "development", "local", "debug"}),
    "test": frozenset({"test", "tests", "testing", "testutils", "ci"}),
    "base": frozenset({"base", "common", "default", "defaults", "shared", "global"}),
}


@dataclass(frozen=True, slots=True)
class PackageVersion:
    name: str
    display: str  # "5.1.4", ">=5.1,<5.2", or "not declared"
    version: str | None  # exact, when a lock or pin says it
    sources: tuple[Requirement, ...]
    conflict: bool = False


@dataclass(frozen=True, slots=True)
class SettingsRole:
    module: str
    path: str
    role: str  # production | development | test | base | settings
    evidence: tuple[str, ...]
    values: int


@dataclass(frozen=True, slots=True)
class EntryPoint:
    path: str
    interface: str  # wsgi | asgi
    settings: tuple[str, ...]
    hints: tuple[str, ...]  # servers the file mentions (in comments or docstrings): hints, not evidence


@dataclass(frozen=True, slots=True)
class Choice:
    """A value the review goes with, where it came from, and why."""

    value: str | None
    source: str  # flag | config | decision | detected | default | unresolved
    reason: str


@dataclass(frozen=True, slots=True)
class Scope:
    project: str
    root: str  # as shown (relative to the current folder)
    files: int
    django: PackageVersion
    drf: PackageVersion
    drf_used: bool
    drf_evidence: tuple[str, ...]
    project_type: str  # hybrid | API-only | monolith with templates | unknown
    type_evidence: tuple[str, ...]
    entry_points: tuple[EntryPoint, ...]
    deploy_files: tuple[FileEvidence, ...]
    server_packages: tuple[Requirement, ...]
    entry_point: Choice
    settings_roles: tuple[SettingsRole, ...]
    production: str | None
    settings: Choice
    installed_apps: tuple[str, ...] | None
    project_apps: tuple[str, ...]
    goal: Choice
    requirements: tuple[Requirement, ...]
    signals: frozenset[str] = field(default_factory=frozenset)


# ---- versions ---------------------------------------------------------------------------------


def package_version(name: str, requirements: Sequence[Requirement]) -> PackageVersion:
    sources = tuple(r for r in requirements if r.name == name)
    if not sources:
        return PackageVersion(name, "not declared", None, ())
    locked = sorted({r.version for r in sources if r.locked and r.version})
    pinned = sorted({r.version for r in sources if not r.locked and r.version})
    exact = locked or pinned
    if exact:
        conflict = len(set(locked + pinned)) > 1
        return PackageVersion(name, " or ".join(exact) if conflict else exact[0], None if conflict else exact[0], sources, conflict)
    specs = sorted({r.spec for r in sources if r.spec})
    return PackageVersion(name, "; ".join(specs) if specs else "any version", None, sources)


# ---- settings ---------------------------------------------------------------------------------


# Settings every Django settings module sets somewhere; a file named settings.py that sets none
# of them (and is not named by an entry point) is some other module.
DJANGO_SETTINGS = frozenset({"INSTALLED_APPS", "DATABASES", "SECRET_KEY", "ROOT_URLCONF", "MIDDLEWARE", "DEBUG", "ALLOWED_HOSTS", "TEMPLATES"})


def _role_by_name(module: str) -> str | None:
    """The role a module's name says: its last part, or its package's for `x.testing.settings`."""
    parts = module.split(".")
    for part in reversed(parts[-2:]):
        tokens = set(re.split(r"[._]", part))
        role = next((role for role, words in _TOKENS.items() if tokens & words), None)
        if role or part not in ("settings", "config", "conf"):
            return role
    return None


def _entry_settings(index: ProjectIndex, root: Path) -> dict[str, list[str]]:
    """settings module -> the entry files (manage.py, wsgi.py, asgi.py) that name it."""
    named: dict[str, list[str]] = {}
    for rel in sorted(index.paths):
        if rel.rsplit("/", 1)[-1] not in ("manage.py", "wsgi.py", "asgi.py"):
            continue
        try:
            text = read_source(root / rel)
        except SourceError:
            continue
        for module in find_settings_module_names(text):
            named.setdefault(module, []).append(rel)
    return named


def settings_roles(index: ProjectIndex, root: Path) -> tuple[SettingsRole, ...]:
    named = _entry_settings(index, root)
    star_importers: dict[str, list[str]] = {}
    for name in index.settings_modules:
        for star in index.modules[name].star_imports if name in index.modules else ():
            star_importers.setdefault(star, []).append(name)
    roles = []
    for name, fact in sorted(index.settings_modules.items()):
        entries = named.get(name, [])
        if not fact.values or not (entries or DJANGO_SETTINGS & set(fact.values)):
            continue
        evidence: list[str] = []
        by_name = _role_by_name(name)
        if by_name:
            evidence.append(f"named `{name}`")
        servers = [e for e in entries if e.endswith(("wsgi.py", "asgi.py"))]
        if servers:
            evidence.append("named by " + ", ".join(f"`{e}`" for e in servers))
        if any(e.endswith("manage.py") for e in entries):
            evidence.append("named by `manage.py` (management commands, runserver)")
        importers = star_importers.get(name, [])
        if importers:
            evidence.append("star-imported by " + ", ".join(f"`{i}`" for i in sorted(importers)))
        debug = fact.values.get("DEBUG")
        if debug is not None and not debug.from_env and isinstance(debug.value, bool) and debug.path == fact.path:
            evidence.append(f"`DEBUG = {debug.value}`")
        secure = [s for s in SECURE_SETTINGS if s in fact.values and fact.values[s].path == fact.path]
        if secure:
            evidence.append("sets " + ", ".join(f"`{s}`" for s in secure))
        role = by_name
        if role is None and servers:
            role = "production"
        if role is None and importers:
            role = "base"
        if role is None and debug is not None and debug.value is True and not debug.from_env:
            role = "development"
        roles.append(SettingsRole(name, fact.path, role or "settings", tuple(evidence), len(fact.values)))
    return tuple(roles)


def production_module(roles: Sequence[SettingsRole]) -> tuple[str | None, str, list[str]]:
    """The production settings module, why, and the candidates when it is ambiguous."""
    production = [r for r in roles if r.role == "production"]
    if len(production) == 1:
        return production[0].module, "; ".join(production[0].evidence), []
    if len(production) > 1:
        return None, "", [r.module for r in production]
    general = [r for r in roles if r.role == "settings"]
    if len(general) == 1 and not any(r.role == "development" for r in roles):
        return general[0].module, "the only settings module: it serves every environment", []
    return None, "", [r.module for r in roles if r.role not in ("base", "test")]


# ---- deployment -------------------------------------------------------------------------------


def entry_points(index: ProjectIndex, root: Path) -> tuple[EntryPoint, ...]:
    found = []
    for rel in sorted(index.paths):
        name = rel.rsplit("/", 1)[-1]
        if name not in ("wsgi.py", "asgi.py"):
            continue
        try:
            text = read_source(root / rel)
        except SourceError:
            continue
        hints = sorted(set(re.findall(r"\b(gunicorn|uvicorn|daphne|hypercorn|uwsgi|granian)\b", text)))
        found.append(EntryPoint(rel, name[:4], tuple(find_settings_module_names(text)), tuple(hints)))
    return tuple(found)


def choose_entry_point(
    flag: str | None, points: Sequence[EntryPoint], deploy: Sequence[FileEvidence], packages: Sequence[Requirement]
) -> Choice:
    if flag:
        return Choice(flag, "flag", f"`--entry-point {flag}`")
    servers = [e for e in deploy if e.kind == "server" and server_interface(e)]
    interfaces = sorted({server_interface(e) or "" for e in servers})
    if len(interfaces) == 1:
        where = ", ".join(sorted({f"`{e.server}` in `{e.path}:{e.line}`" for e in servers}))
        return Choice(interfaces[0], "detected", where)
    by_package = sorted({ASGI_SERVER_PACKAGES[r.name] for r in packages})
    if not interfaces and len(by_package) == 1:
        names = ", ".join(sorted({f"`{r.name}` in `{r.source}`" for r in packages}))
        return Choice(by_package[0], "detected", f"server dependency {names}")
    kinds = sorted({p.interface for p in points})
    if not interfaces and not by_package and len(kinds) == 1:
        return Choice(kinds[0], "detected", "the only entry point: " + ", ".join(f"`{p.path}`" for p in points))
    return Choice(None, "unresolved", "")


# ---- project type -----------------------------------------------------------------------------


def project_type(index: ProjectIndex, root: Path, drf_used: bool) -> tuple[str, tuple[str, ...]]:
    routed = {r.view for r in index.routes if r.view}
    api = sorted(v.name for v in index.views.values() if v.kind.startswith("drf") and v.qualname in routed)
    html = sorted(v.name for v in index.views.values() if v.kind.startswith("django") and v.qualname in routed)
    templates = count_templates(root)
    evidence = []
    if api:
        evidence.append(f"{len(api)} routed DRF views ({_some(api)})")
    if html:
        evidence.append(f"{len(html)} routed Django views ({_some(html)})")
    evidence.append(f"{templates} template files in `templates/` folders")
    if api and (html or templates and not drf_used):
        kind = "hybrid"
    elif api:
        kind = "API-only"
    elif html or templates:
        kind = "monolith with templates"
    else:
        kind = "unknown"
    return kind, tuple(evidence)


def _some(names: Sequence[str], limit: int = 4) -> str:
    shown = ", ".join(f"`{n}`" for n in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


# ---- apps -------------------------------------------------------------------------------------


def project_apps(index: ProjectIndex, installed: tuple[str, ...] | None) -> tuple[str, ...]:
    packages = {p for p in index.app_labels.values() if p in index.modules}
    for entry in installed or ():
        base = entry.split(".apps.", 1)[0]
        if base in index.modules:
            packages.add(base)
    return tuple(sorted(packages))


def installed_apps(settings: SettingsFact | None) -> tuple[str, ...] | None:
    value = settings.get("INSTALLED_APPS") if settings else None
    if isinstance(value, (tuple, list)) and all(isinstance(v, str) for v in value):
        return tuple(value)
    return None


# ---- the step ---------------------------------------------------------------------------------


def open_review_project(state: ReviewState, settings_module: str | None) -> Project:
    options = state.options
    values: dict[str, object] = {"select": options.select, "ignore": options.ignore, "exclude": options.exclude}
    if settings_module:
        values["settings_module"] = settings_module
    try:
        return open_project(state.require_root(), values)
    except (ConfigError, UsageError) as exc:
        raise ReviewStepError(1, "scope", str(exc)) from None


def is_django_project(index: ProjectIndex, requirements: Sequence[Requirement]) -> bool:
    return bool(
        index.settings_modules or index.models or index.views or "manage.py" in index.paths or any(r.name == "django" for r in requirements)
    )


class ScopeStep:
    number = 1
    name = "scope"
    title = "Scope"

    def run(self, state: ReviewState) -> StepResult:
        path = state.options.path
        if not path.exists():
            raise ReviewStepError(1, "scope", f"{path}: no such file or directory")
        from djvet.index.discover import find_root

        root = find_root(path.resolve())
        state.root = root
        state.project_name = project_name(root)
        requirements = collect_requirements(root)
        project = open_review_project(state, state.options.settings_module)
        index = project.index
        if not is_django_project(index, requirements):
            raise ReviewStepError(
                1, "scope", f"{display_path(root)}: no Django project found: no manage.py, settings module, model or view, and no Django dependency"
            )
        state.project = project
        scope = build_scope(state, project, requirements)
        state.scope = scope
        state.questions.extend(scope_questions(scope))
        state.plan = build_plan(state, project)
        return StepResult(
            f"Django {scope.django.display}, DRF {scope.drf.display if scope.drf_used else 'not used'}, {scope.project_type}; "
            f"{len(scope.settings_roles)} settings modules (production: {_tick(scope.production)}); "
            f"entry point: {scope.entry_point.value or 'open question'}; plan of {len(state.plan)} items",
            tuple(f"{q.topic}: open question" for q in state.questions),
        )


def _tick(value: str | None) -> str:
    return f"`{value}`" if value else "open question"


def build_scope(state: ReviewState, project: Project, requirements: tuple[Requirement, ...]) -> Scope:
    root = state.require_root()
    index = project.index
    roles = settings_roles(index, root)
    production, production_reason, _ = production_module(roles)
    settings = choose_settings(state.options.settings_module, project, production, production_reason)
    settings_fact = index.settings_modules.get(settings.value) if settings.value else index.settings
    installed = installed_apps(settings_fact)
    drf_evidence = []
    if installed and "rest_framework" in installed:
        drf_evidence.append(f"`rest_framework` in `INSTALLED_APPS` of `{settings_fact.module if settings_fact else '?'}`")
    drf_views = sum(1 for v in index.views.values() if v.kind.startswith("drf"))
    if drf_views or index.serializers:
        drf_evidence.append(f"{drf_views} DRF views and {len(index.serializers)} serializers in the code")
    drf = package_version("djangorestframework", requirements)
    if drf.sources:
        drf_evidence.append("`djangorestframework` declared in " + ", ".join(sorted({f"`{r.source}`" for r in drf.sources})))
    drf_used = bool(drf_views or index.serializers or (installed and "rest_framework" in installed))
    kind, type_evidence = project_type(index, root, drf_used)
    points = entry_points(index, root)
    deploy = collect_deploy_files(root)
    packages = tuple(r for r in requirements if r.name in ASGI_SERVER_PACKAGES)
    goal = Choice(state.options.goal, "flag", f"`--goal {state.options.goal}`") if state.options.goal else Choice(None, "unresolved", "")
    scope = Scope(
        project=state.project_name,
        root=display_path(root),
        files=len(index.paths),
        django=package_version("django", requirements),
        drf=drf,
        drf_used=drf_used,
        drf_evidence=tuple(drf_evidence),
        project_type=kind,
        type_evidence=type_evidence,
        entry_points=points,
        deploy_files=deploy,
        server_packages=packages,
        entry_point=choose_entry_point(state.options.entry_point, points, deploy, packages),
        settings_roles=roles,
        production=production,
        settings=settings,
        installed_apps=installed,
        project_apps=project_apps(index, installed),
        goal=goal,
        requirements=requirements,
    )
    return replace(scope, signals=scope_signals(scope, index))


def choose_settings(flag: str | None, project: Project, production: str | None, why: str) -> Choice:
    index = project.index
    known = sorted(m for m, f in index.settings_modules.items() if f.values)
    if flag:
        if flag not in index.settings_modules:
            raise ReviewStepError(1, "scope", f"--settings {flag}: not a settings module djvet found; expected one of: {', '.join(known) or 'none found'}")
        return Choice(flag, "flag", f"`--settings {flag}`")
    configured = project.config.settings_module
    if configured and configured in index.settings_modules:
        return Choice(configured, "config", f"`settings-module` in `{project.config.source or 'pyproject.toml'}`")
    if production:
        return Choice(production, "detected", f"looks like production: {why}")
    if index.settings is not None:
        return Choice(index.settings.module, "default", "named by `manage.py` or the only settings module; production is not known")
    return Choice(None, "unresolved", "no settings module found")


def scope_signals(scope: Scope, index: ProjectIndex) -> frozenset[str]:
    signals = {"settings"} if scope.settings_roles else set()
    if index.models:
        signals.add("models")
    if scope.drf_used:
        signals.add("drf")
    if scope.project_type in ("hybrid", "monolith with templates"):
        signals.add("templates")
    for point in scope.entry_points:
        signals.add(point.interface)
    if scope.deploy_files:
        signals.add("containers")
    names = {r.name for r in scope.requirements}
    for name in ("celery", "rq", "django-rq", "channels", "dramatiq", "huey"):
        if name in names:
            signals.add("rq" if name == "django-rq" else name)
    if collect_async_views(index):
        signals.add("async-views")
    for task in collect_tasks(index):
        signals.add(task.framework)
    if scope.production:
        signals.add("production-settings")
    has_tests = any("tests" in m.kinds for m in index.modules.values())
    signals.add("tests" if has_tests else "no-tests")
    return frozenset(signals)


def scope_questions(scope: Scope) -> list[OpenQuestion]:
    questions = []
    if scope.goal.value is None:
        questions.append(
            OpenQuestion(
                "goal",
                "What is this review for?",
                "findings are ranked by severity and number; no family comes first",
                f"`--goal {'|'.join(GOALS)}`",
            )
        )
    if scope.production is None and scope.settings_roles:
        candidates = [r.module for r in scope.settings_roles if r.role not in ("base", "test")]
        questions.append(
            OpenQuestion(
                "settings",
                "Which settings module does production use? Candidates: " + ", ".join(f"`{c}`" for c in candidates) + ".",
                f"settings are read from `{scope.settings.value}` ({scope.settings.reason})" if scope.settings.value else "no settings are read",
                "`--settings MODULE`",
            )
        )
    if scope.entry_point.value is None and {p.interface for p in scope.entry_points} == {"wsgi", "asgi"}:
        files = " or ".join(f"`{p.path}`" for p in scope.entry_points)
        hints = sorted({f"`{p.path}` mentions {', '.join(p.hints)}" for p in scope.entry_points if p.hints})
        hint = f" (a hint, not evidence: {'; '.join(hints)})" if hints else ""
        questions.append(
            OpenQuestion(
                "entry-point",
                f"Which entry point serves production: {files}? No Dockerfile, Procfile, compose or Kubernetes manifest names a server, and no server package is declared{hint}.",
                "both are described; guidance for async views covers both",
                "`--entry-point wsgi|asgi`",
            )
        )
    for package in (scope.django, scope.drf if scope.drf_used else None):
        if package is None:
            continue
        if package.conflict:
            where = ", ".join(sorted(f"`{r.source}` ({r.spec})" for r in package.sources if r.version))
            questions.append(
                OpenQuestion(
                    "versions",
                    f"Which {package.name} version is deployed? The files disagree: {where}.",
                    f"all of {package.display} are reported",
                    "the requirement and lock files (djvet reads files only)",
                )
            )
        elif not package.sources:
            questions.append(
                OpenQuestion(
                    "versions",
                    f"Which {package.name} version does the project use? No requirements, pyproject, Pipfile or lock file declares it.",
                    "version-specific advice is left out",
                    "a requirements or lock file at the project root",
                )
            )
    if scope.project_type == "unknown":
        questions.append(
            OpenQuestion(
                "project-type",
                "No routed views were found: is this a reusable app, or are the URLconfs outside the project root?",
                "the API surface is empty",
                "`djvet review PATH` with the folder that holds the project's `urls.py`",
            )
        )
    return questions


def build_plan(state: ReviewState, project: Project) -> list[PlanItem]:
    from djvet.review.inventory import COLLECTORS

    codes = [r.meta.code for r in project.rules]
    families = sorted({c[3] for c in codes})
    names = ", ".join(FAMILIES[f] for f in families) or "none"
    goal = state.scope.goal.value if state.scope else None
    plan = [
        PlanItem("rules", f"Run {len(codes)} rules ({', '.join(codes) or 'none'})", f"every enabled rule, families: {names}; findings are ranked "
                 + (f"for the goal `{goal}`" if goal else "by severity")),
    ]
    for collector in COLLECTORS:
        plan.append(PlanItem(f"inventory:{collector.key}", f"Inventory: {collector.title}", collector.why))
    plan.append(PlanItem("guidance", "Guidance for every finding", "a patch or pattern per finding, grouped by family and ranked by impact"))
    plan.append(PlanItem("recommendations", "Project recommendations", "security controls, tests and observability, from the inventory and the findings"))
    return plan


def settings_in_force(project: Project, scope: Scope) -> SettingsFact | None:
    index = project.index
    if scope.settings.value:
        return index.settings_modules.get(scope.settings.value)
    return index.settings
