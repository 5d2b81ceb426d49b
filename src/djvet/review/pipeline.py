"""The review pipeline: six steps, always all of them, in this order."""

from __future__ import annotations

from pathlib import Path

from djvet.review.analysis import AnalyzeStep
from djvet.review.base import Clock, ReviewOptions, ReviewState, ReviewStepError, Step, StepRecord, SystemClock
from djvet.review.context import ContextProvider, ContextStep
from djvet.review.guidance import GuidanceStep
from djvet.review.memory import MemoryStore
from djvet.review.output import OutputStep
from djvet.review.recall import MemoryStep
from djvet.review.scope import ScopeStep

PIPELINE: tuple[Step, ...] = (ScopeStep(), MemoryStep(), ContextStep(), AnalyzeStep(), GuidanceStep(), OutputStep())


def run_review(
    options: ReviewOptions,
    *,
    clock: Clock | None = None,
    store: MemoryStore | None = None,
    provider: ContextProvider | None = None,
    cwd: Path | None = None,
) -> ReviewState:
    """Run every step in order; a step that cannot complete raises ReviewStepError (exit 2)."""
    clock = clock or SystemClock()
    state = ReviewState(
        options=options, clock=clock, started=clock.monotonic(), today=clock.today(), cwd=cwd or Path.cwd(), store=store, provider=provider
    )
    for step in PIPELINE:
        started = clock.monotonic()
        try:
            result = step.run(state)
        except ReviewStepError:
            raise
        except (OSError, UnicodeDecodeError) as exc:  # a file that vanished or cannot be read mid-step
            raise ReviewStepError(step.number, step.name, f"{type(exc).__name__}: {exc}") from exc
        if step.number != 6:  # step 6 records itself before rendering the report that shows it
            state.checklist.append(StepRecord(step.number, step.name, step.title, result, round(clock.monotonic() - started, 2)))
        else:
            state.checklist.append(StepRecord(step.number, step.name, step.title, result, None))
    return state
