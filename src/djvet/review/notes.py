"""The djvet blocks of the four memory notes: what the next review (a person or an assistant)
should know without rereading the code. Everything outside the blocks belongs to people."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from djvet.catalog import FAMILIES
from djvet.review.base import ReviewState
from djvet.review.inventory import InventorySection
from djvet.review.markdown import relative_link, table

NOTE_ROWS = 25


def _section(state: ReviewState, key: str) -> InventorySection | None:
    assert state.analysis is not None
    return next((s for s in state.analysis.inventory if s.key == key), None)


def _summary(state: ReviewState, key: str) -> str:
    section = _section(state, key)
    return section.summary if section else "not collected"


def _rows(section: InventorySection | None, limit: int = NOTE_ROWS) -> list[str]:
    if section is None or not section.rows:
        return []
    return ["", *table(section.headers, section.rows, limit)]


def build_notes(state: ReviewState, report: Path | None, memory_folder: Path) -> Mapping[str, str]:
    scope, analysis = state.scope, state.analysis
    assert scope is not None and analysis is not None
    day = state.today.isoformat()
    where = f"[report]({relative_link(report, memory_folder)})" if report else "no report written (`--no-write`)"
    stamp = f"_Refreshed by `djvet review` on {day} ({where})._"
    changes = analysis.changes
    families: dict[str, int] = {}
    for finding in changes.open:
        families[finding.code[3]] = families.get(finding.code[3], 0) + 1
    by_family = ", ".join(f"{FAMILIES[f]} {n}" for f, n in sorted(families.items())) or "none"
    severities = {s: sum(1 for f in changes.open if f.severity == s) for s in ("error", "warning", "info")}
    questions = ", ".join(sorted({q.topic for q in state.questions})) or "none"
    overview = [
        stamp,
        "",
        f"- Project `{scope.project}`: Django {scope.django.display}, DRF {scope.drf.display if scope.drf_used else 'not used'}, {scope.project_type}.",
        "- Project apps: " + (", ".join(f"`{a}`" for a in scope.project_apps) or "none found") + ".",
        f"- Goal of the last review: {f'`{scope.goal.value}`' if scope.goal.value else 'not given'}.",
        f"- Open findings: {len(changes.open)} ({severities['error']} error, {severities['warning']} warning, {severities['info']} info); "
        f"by family: {by_family}; accepted risks: {len(changes.accepted)}.",
        f"- Since the review before: {len(changes.new)} new, {len(changes.fixed)} fixed, {len(changes.still_open)} still open.",
        f"- Open questions: {questions}.",
    ]
    api = _section(state, "api")
    architecture = [
        stamp,
        "",
        f"- Apps: {_summary(state, 'apps')}.",
        f"- API surface: {_summary(state, 'api')}.",
        *(f"- {n}" for n in (api.notes if api else ())),
        f"- Async and background work: {_summary(state, 'async')}.",
        f"- Middleware: {_summary(state, 'middleware')}.",
    ]
    models = _section(state, "models")
    data_model = [
        stamp,
        "",
        f"- Models: {_summary(state, 'models')}.",
        *(f"- {n}" for n in (models.notes if models else ())),
        f"- Migrations: {_summary(state, 'migrations')}.",
        *_rows(models),
    ]
    points = ", ".join(f"`{p.path}` ({p.interface.upper()})" for p in scope.entry_points) or "none found"
    servers = sorted({f"`{e.server}` in `{e.path}:{e.line}`" for e in scope.deploy_files if e.server})
    files = sorted({f"`{e.path}` ({e.kind})" for e in scope.deploy_files if e.kind not in ("server", "development-server")})
    deployment = [
        stamp,
        "",
        f"- Entry points: {points}; production: {f'`{scope.entry_point.value}` ({scope.entry_point.reason})' if scope.entry_point.value else 'open question'}.",
        f"- Production settings: {f'`{scope.production}`' if scope.production else 'open question'}; analyzed: `{scope.settings.value}` ({scope.settings.reason}).",
        "- Servers started by deployment files: " + (", ".join(servers) or "none found") + ".",
        "- Containers, manifests and process files: " + (", ".join(files) or "none found") + ".",
        f"- Databases: {_summary(state, 'databases')}.",
        f"- Caches: {_summary(state, 'caches')}.",
        *_rows(_section(state, "security-settings")),
    ]
    return {
        "project_overview": "\n".join(overview),
        "architecture_notes": "\n".join(architecture),
        "data_model_patterns": "\n".join(data_model),
        "deployment_notes": "\n".join(deployment),
    }
