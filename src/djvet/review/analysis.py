"""Step 4, analyze: every enabled rule over the whole project (the same engine as `djvet check`),
then the inventory, then the comparison with the last review."""

from __future__ import annotations

from dataclasses import dataclass, replace

from djvet.finding import FileError, Finding
from djvet.index.discover import iter_python_files, relpath
from djvet.review.base import ReviewState, ReviewStepError, StepResult
from djvet.review.changes import Changes, compare
from djvet.review.inventory import COLLECTORS, InventoryContext, InventorySection
from djvet.review.scope import open_review_project, settings_in_force
from djvet.runner import Project


@dataclass(frozen=True, slots=True)
class Analysis:
    findings: tuple[Finding, ...]  # every finding, open and accepted; paths relative to the project root
    errors: tuple[FileError, ...]
    files: int
    settings_module: str | None
    inventory: tuple[InventorySection, ...]
    changes: Changes
    ran: tuple[str, ...]  # plan items carried out


def run_rules(project: Project) -> tuple[list[Finding], list[FileError], int]:
    """What `djvet check ROOT` reports, with paths relative to the project root (not the current
    folder): the report and the memory must not depend on where the review was started."""
    findings: list[Finding] = []
    errors: list[FileError] = []
    files = 0
    for path in iter_python_files(project.root):
        if project.is_excluded(path):
            continue
        files += 1
        rel = relpath(path, project.root)
        found, failed = project.check_file(path)
        findings.extend(replace(f, path=rel) for f in found)
        errors.extend(replace(e, path=rel) for e in failed)
    findings.sort(key=Finding.sort_key)
    errors.sort(key=lambda e: (e.path, e.message))
    return findings, errors, files


class AnalyzeStep:
    number = 4
    name = "analyze"
    title = "Analyze"

    def run(self, state: ReviewState) -> StepResult:
        scope, memory, project = state.scope, state.memory, state.project
        assert scope is not None and memory is not None and project is not None
        wanted = scope.settings.value
        current = project.index.settings.module if project.index.settings else None
        if wanted and wanted != current:
            # the index was built with the settings manage.py names; rules read the chosen ones
            project = state.project = open_review_project(state, wanted)
        findings, errors, files = run_rules(project)
        ran = ["rules"]
        context = InventoryContext(project.root, project.index, scope, settings_in_force(project, scope), findings)
        state.extra["inventory"] = context  # step 5 reads the same endpoints instead of computing them again
        sections = []
        for collector in COLLECTORS:
            try:
                sections.append(collector.collect(context))
            except Exception as exc:  # a broken collector must say so, not end in a half report
                raise ReviewStepError(4, "analyze", f"inventory `{collector.key}` failed: {type(exc).__name__}: {exc}") from exc
            ran.append(f"inventory:{collector.key}")
        changes = compare(memory.own.state, findings, memory.accepted, state.today)
        state.analysis = Analysis(tuple(findings), tuple(errors), files, wanted or current, tuple(sections), changes, tuple(ran))
        planned = [p.key for p in state.plan if p.key == "rules" or p.key.startswith("inventory:")]
        missing = [k for k in planned if k not in ran]
        if missing:
            raise ReviewStepError(4, "analyze", f"planned but not run: {', '.join(missing)}")
        counts = {s: sum(1 for f in changes.open if f.severity == s) for s in ("error", "warning", "info")}
        return StepResult(
            f"{len(project.rules)} rules over {files} files: {len(changes.open)} open findings "
            f"({counts['error']} error, {counts['warning']} warning, {counts['info']} info), {len(changes.accepted)} accepted, "
            f"{len(errors)} files not analyzed; inventory of {len(sections)} subjects",
            tuple(f"{s.title}: {s.summary}" for s in sections),
        )
