"""Step 6, output: the report (never overwriting an earlier one) and the memory update."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, replace
from pathlib import Path

from djvet import __version__
from djvet.review.base import SKILL, ReviewState, ReviewStepError, StepRecord, StepResult
from djvet.review.changes import recorded
from djvet.review.document import build_document
from djvet.review.markdown import relative_link
from djvet.review.memory import NOTES, AcceptedRisk, Decision, MemoryStoreError, MemoryUpdate, ReviewRecord, write_atomic
from djvet.review.notes import build_notes
from djvet.review.report import render_report
from djvet.runner import display_path

MAX_SUFFIX = 1000


@dataclass(frozen=True, slots=True)
class OutputResult:
    report: Path | None
    markdown: str
    document: dict[str, object]


def report_name(project: str, day: str, number: int) -> str:
    return f"django_{project}_{day}.md" if number == 1 else f"django_{project}_{day}_{number}.md"


def claim_report_path(folder: Path, project: str, day: str) -> Path:
    """Create the first free `django_{project}_{day}[_n].md` (O_EXCL: two reviews never share one)."""
    folder.mkdir(parents=True, exist_ok=True)
    for number in range(1, MAX_SUFFIX):
        path = folder / report_name(project, day, number)
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            continue
        os.close(fd)
        return path
    raise OSError(f"{display_path(folder)}: {MAX_SUFFIX} reports for {day} already; expected fewer")


def memory_folder(state: ReviewState) -> Path:
    root = state.options.memory_dir or state.require_root() / ".djvet" / "memory"
    return root / state.project_name / SKILL


def new_decisions(state: ReviewState) -> tuple[Decision, ...]:
    scope = state.scope
    assert scope is not None
    day = state.today.isoformat()
    chosen = (("goal", scope.goal), ("settings", scope.settings), ("entry-point", scope.entry_point))
    return tuple(Decision(topic, c.value, day) for topic, c in chosen if c.source == "flag" and c.value)


def accepted_now(state: ReviewState) -> tuple[AcceptedRisk, ...]:
    """The risks `--accept` added in this run, with the rule code of the finding they accept."""
    assert state.memory is not None and state.analysis is not None
    codes = {f.fingerprint: f.code for f in state.analysis.findings}
    return tuple(
        replace(a, code=a.code or codes.get(a.fingerprint, "")) for a in state.memory.accepted if a.fingerprint in state.options.accept
    )


class OutputStep:
    number = 6
    name = "output"
    title = "Output and memory update"

    def run(self, state: ReviewState) -> StepResult:
        analysis, memory, store = state.analysis, state.memory, state.store
        assert analysis is not None and memory is not None and store is not None
        options = state.options
        root = state.require_root()
        folder = memory_folder(state)
        report_dir = (options.output_dir or state.cwd / "claudedocs").resolve()
        report: Path | None = None
        if options.write:
            try:
                report = claim_report_path(report_dir, state.project_name, state.today.isoformat())
            except OSError as exc:
                raise ReviewStepError(6, "output", f"{display_path(report_dir)}: cannot create the report: {exc}") from None
        changes = analysis.changes
        result = self._result(state, report, folder, report_dir)
        state.checklist.append(StepRecord(self.number, self.name, self.title, result, None))
        try:
            markdown = render_report(state, report_dir, report, folder)
            document = build_document(state, report, folder)
        finally:
            state.checklist.pop()
        if report is not None:
            try:
                write_atomic(report, markdown)
                update = MemoryUpdate(
                    notes=build_notes(state, report, folder),
                    findings=recorded(analysis.findings, memory.own.state, state.today),
                    accepted=accepted_now(state),
                    decisions=new_decisions(state),
                    review=ReviewRecord(
                        state.today.isoformat(),
                        Path(os.path.relpath(report, root)).as_posix(),
                        state.scope.goal.value if state.scope else None,
                        len(analysis.findings),
                        len(changes.new),
                        len(changes.fixed),
                        len(changes.still_open),
                        len(changes.accepted),
                        __version__,
                    ),
                )
                store.update(SKILL, state.project_name, update)
            except (MemoryStoreError, OSError) as exc:
                with contextlib.suppress(OSError):
                    report.unlink()
                raise ReviewStepError(6, "output", f"memory update failed, report withdrawn: {exc}") from None
        state.output = OutputResult(report, markdown, document)
        return result

    def _result(self, state: ReviewState, report: Path | None, folder: Path, report_dir: Path) -> StepResult:
        analysis, memory = state.analysis, state.memory
        assert analysis is not None and memory is not None
        changes = analysis.changes
        if report is None:
            return StepResult("dry run (`--no-write`): the report went to stdout only; memory not updated")
        decisions = ", ".join(f"{d.topic} `{d.decision}`" for d in new_decisions(state))
        return StepResult(
            f"report `{report.name}`; memory `{relative_link(folder, report_dir)}`: {len(changes.new)} new, {len(changes.fixed)} fixed, "
            f"{len(changes.still_open)} still open, {len(changes.accepted)} accepted; {len(NOTES)} notes refreshed, "
            f"{memory.human_lines} human-written lines kept" + (f"; decisions recorded: {decisions}" if decisions else ""),
        )
