"""Step 2, memory: read what earlier reviews left (and what people wrote), apply the decisions and
accepted risks recorded there, and read other skills' memory of the project as reference."""

from __future__ import annotations

from dataclasses import replace

from djvet.review.base import GOALS, SKILL, ReviewState, ReviewStepError, StepResult
from djvet.review.memory import (
    NOTE_TITLES,
    AcceptedRisk,
    FileMemoryStore,
    MemorySnapshot,
    MemoryStore,
    MemoryStoreError,
    SkillMemory,
    human_text,
)
from djvet.review.scope import Choice, build_plan

# Lines djvet itself puts outside the block when it creates a note.
SKELETON = frozenset({*(f"# {t}" for t in NOTE_TITLES.values()), "## Notes", "<!-- Yours: djvet never changes anything outside the djvet block above. -->"})


def default_store(state: ReviewState) -> MemoryStore:
    root = state.options.memory_dir or state.require_root() / ".djvet" / "memory"
    return FileMemoryStore(root)


def count_human_lines(memory: SkillMemory) -> int:
    return sum(
        1
        for text in memory.notes.values()
        for line in human_text(text).splitlines()
        if line.strip() and line.strip() not in SKELETON
    )


class MemoryStep:
    number = 2
    name = "memory"
    title = "Memory"

    def run(self, state: ReviewState) -> StepResult:
        store = state.store = state.store or default_store(state)
        project = state.project_name
        try:
            own = store.get_skill_memory(SKILL, project)
        except MemoryStoreError as exc:
            raise ReviewStepError(2, "memory", str(exc)) from None
        except OSError as exc:
            raise ReviewStepError(2, "memory", f"{store.describe(SKILL, project)}: cannot read: {exc}") from None
        others, unreadable = self._others(store, project)
        accepted = self._accepted(state, own)
        applied = self._apply_decisions(state, own)
        if applied:
            state.plan = build_plan(state, state.project)  # type: ignore[arg-type]
        state.memory = MemorySnapshot(
            store_root=store.describe(SKILL, project),
            own=own,
            others=others,
            accepted=accepted,
            applied_decisions=tuple(applied),
            human_lines=count_human_lines(own),
        )
        return StepResult(self._summary(state.memory), tuple(applied) + tuple(unreadable))

    def _others(self, store: MemoryStore, project: str) -> tuple[tuple[SkillMemory, ...], list[str]]:
        try:
            skills = store.get_by_project(project)
        except (MemoryStoreError, OSError) as exc:
            # other skills' memory is reference only: unreadable, it is reported, not fatal
            return (), [f"other skills' memory not read: {exc}"]
        return tuple(m for name, m in sorted(skills.items()) if name != SKILL), []

    def _accepted(self, state: ReviewState, own: SkillMemory) -> tuple[AcceptedRisk, ...]:
        options = state.options
        accepted = {a.fingerprint: a for a in own.state.accepted}
        for fingerprint in options.accept:
            if not options.reason:
                raise ReviewStepError(2, "memory", f"--accept {fingerprint}: expected --reason with it")
            earlier = own.state.findings.get(fingerprint)
            accepted[fingerprint] = AcceptedRisk(
                fingerprint, earlier.code if earlier else "", options.reason, options.expires, state.today.isoformat()
            )
        return tuple(sorted(accepted.values(), key=lambda a: a.fingerprint))

    def _apply_decisions(self, state: ReviewState, own: SkillMemory) -> list[str]:
        """Earlier decisions settle what this run's flags left open (a flag or the config wins)."""
        scope = state.scope
        assert scope is not None and state.project is not None
        applied = []
        goal = own.state.decision("goal")
        if goal and scope.goal.source == "unresolved" and goal.decision in GOALS:
            scope = replace(scope, goal=Choice(goal.decision, "decision", f"decided on {goal.date or 'an earlier review'}"))
            applied.append(f"goal `{goal.decision}` (decision of {goal.date or 'an earlier review'})")
        settings = own.state.decision("settings")
        if settings and scope.settings.source in ("detected", "default", "unresolved"):
            if settings.decision in state.project.index.settings_modules:
                scope = replace(scope, settings=Choice(settings.decision, "decision", f"decided on {settings.date or 'an earlier review'}"))
                applied.append(f"settings `{settings.decision}` (decision of {settings.date or 'an earlier review'})")
            else:
                applied.append(f"decision ignored: settings `{settings.decision}` is no longer a settings module")
        entry = own.state.decision("entry-point")
        if entry and scope.entry_point.source != "flag" and entry.decision in ("wsgi", "asgi"):
            scope = replace(scope, entry_point=Choice(entry.decision, "decision", f"decided on {entry.date or 'an earlier review'}"))
            applied.append(f"entry point `{entry.decision}` (decision of {entry.date or 'an earlier review'})")
        settled = {t for t, ok in (("goal", scope.goal.value), ("settings", scope.settings.source == "decision"), ("entry-point", scope.entry_point.value)) if ok}
        state.questions = [q for q in state.questions if q.topic not in settled]
        state.scope = scope
        return applied

    def _summary(self, memory: MemorySnapshot) -> str:
        own = memory.own
        if not own.state.reviews and not own.notes:
            head = f"first review: no memory yet at `{memory.store_root}`"
        else:
            last = own.state.reviews[-1] if own.state.reviews else None
            head = f"last review {last.date}: {len(own.state.findings)} findings recorded" if last else "notes found, no earlier review recorded"
        parts = [
            head,
            f"{len(memory.accepted)} accepted risks",
            f"{len(own.state.decisions)} decisions" + (f" ({len(memory.applied_decisions)} applied)" if memory.applied_decisions else ""),
            f"{memory.human_lines} human-written note lines kept",
        ]
        if memory.others:
            parts.append("reference memory of " + ", ".join(f"`{m.skill}`" for m in memory.others))
        return "; ".join(parts)
