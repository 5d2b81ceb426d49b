"""What the review steps share: options, the clock, the run's state, step results and errors."""

from __future__ import annotations

import datetime
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from djvet.review.analysis import Analysis
    from djvet.review.context import ContextProvider, ContextSelection
    from djvet.review.guidance import Guidance
    from djvet.review.memory import MemorySnapshot, MemoryStore
    from djvet.review.output import OutputResult
    from djvet.review.scope import Scope
    from djvet.runner import Project

SKILL = "django"
GOALS = ("feature", "refactor", "performance", "security", "debugging")
# The family digits of the rule catalog, most relevant first for each goal (docs/output-conventions.md).
GOAL_FAMILY_ORDER: Mapping[str, tuple[str, ...]] = {
    "security": ("2", "4", "3", "5", "8", "1", "6", "7"),
    "performance": ("1", "7", "6", "3", "2", "4", "5", "8"),
    "feature": ("3", "6", "2", "1", "7", "4", "5", "8"),
    "refactor": ("6", "3", "1", "7", "2", "4", "5", "8"),
    "debugging": ("7", "1", "6", "2", "3", "4", "5", "8"),
}
SEVERITY_RANK = {"error": 0, "warning": 1, "info": 2}
CONFIDENCE_RANK = {"high": 0, "inference": 1}


class Clock(Protocol):
    """Where "today" and durations come from; tests freeze it."""

    def today(self) -> datetime.date: ...

    def monotonic(self) -> float: ...


class SystemClock:
    def today(self) -> datetime.date:
        return datetime.date.today()

    def monotonic(self) -> float:
        return time.perf_counter()


@dataclass(frozen=True, slots=True)
class FrozenClock:
    """A clock that always says the same day and never advances (durations are 0)."""

    day: datetime.date

    def today(self) -> datetime.date:
        return self.day

    def monotonic(self) -> float:
        return 0.0


@dataclass(frozen=True, slots=True)
class ReviewOptions:
    path: Path = Path(".")
    goal: str | None = None
    settings_module: str | None = None
    entry_point: str | None = None  # wsgi | asgi
    output_dir: Path | None = None  # default: <cwd>/claudedocs
    memory_dir: Path | None = None  # default: <project root>/.djvet/memory
    context_dirs: tuple[Path, ...] = ()  # default: <project root>/.djvet/context when it exists
    context_budget: int = 5
    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    accept: tuple[str, ...] = ()
    reason: str | None = None
    expires: str | None = None  # YYYY-MM-DD
    write: bool = True


class ReviewStepError(Exception):
    """A step could not complete; the run stops with exit 2 and this message."""

    def __init__(self, number: int, name: str, reason: str) -> None:
        super().__init__(f"review step {number} ({name}): {reason}")
        self.number = number
        self.name = name
        self.reason = reason


@dataclass(frozen=True, slots=True)
class StepResult:
    """What a step produced, for the compliance checklist: one line and its details."""

    summary: str
    details: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class StepRecord:
    number: int
    name: str
    title: str
    result: StepResult
    seconds: float | None  # None for the step still running when the report is rendered


class Step(Protocol):
    number: int
    name: str
    title: str

    def run(self, state: ReviewState) -> StepResult: ...


@dataclass(frozen=True, slots=True)
class OpenQuestion:
    topic: str  # settings | entry-point | goal | versions | project-type | ...
    question: str
    meanwhile: str  # what the review did while the question is open
    settle: str  # the flag (or file) that answers it


@dataclass(frozen=True, slots=True)
class PlanItem:
    key: str
    title: str
    why: str


@dataclass
class ReviewState:
    """Everything the steps build, in order; each step reads what earlier steps left."""

    options: ReviewOptions
    clock: Clock
    started: float
    today: datetime.date
    cwd: Path
    store: MemoryStore | None = None
    provider: ContextProvider | None = None
    root: Path | None = None
    project_name: str = ""
    project: Project | None = None
    scope: Scope | None = None
    questions: list[OpenQuestion] = field(default_factory=list)
    plan: list[PlanItem] = field(default_factory=list)
    memory: MemorySnapshot | None = None
    context: ContextSelection | None = None
    analysis: Analysis | None = None
    guidance: Guidance | None = None
    output: OutputResult | None = None
    checklist: list[StepRecord] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)  # what a step leaves for later ones or plug-ins (caches)

    def require_root(self) -> Path:
        assert self.root is not None, "step 1 sets the project root"
        return self.root


def family_order(goal: str | None) -> tuple[str, ...] | None:
    return GOAL_FAMILY_ORDER.get(goal) if goal else None
