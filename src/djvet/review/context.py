"""Step 3, context: the guidance documents the review loads, within a file budget.

`ContextProvider` is the interface; `FolderContextProvider` serves the documents that ship with
djvet (djvet/review/guidance/*.md) and the user's own folders. Each document starts with YAML
front matter saying when it applies; only the front matter is read to choose, and only the
chosen documents are loaded."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import yaml

from djvet.catalog import FAMILIES
from djvet.review.base import GOALS, ReviewState, ReviewStepError, StepResult
from djvet.runner import display_path

BUNDLED = Path(__file__).with_name("guidance")
DOMAIN = "django"
FRONT_KEYS = ("id", "title", "domain", "topics", "families", "goals", "signals", "applies_when")
USER_BONUS = 2  # a document the project wrote for itself outranks a generic one of equal relevance
GOAL_WEIGHT = 3
FAMILY_WEIGHT = 4


class ContextError(Exception):
    """A guidance document that cannot be read; the message names the file and the key."""


@dataclass(frozen=True, slots=True)
class GuidanceDoc:
    id: str
    title: str
    domain: str
    topics: tuple[str, ...]
    families: tuple[str, ...]
    goals: tuple[str, ...]
    signals: Mapping[str, int]  # scope signal -> weight
    applies_when: str
    path: Path
    origin: str  # bundled | user

    @property
    def ref(self) -> str:
        """How reports name the document: bundled ones by their place in djvet, others by path."""
        return f"djvet:guidance/{self.path.name}" if self.origin == "bundled" else display_path(self.path)


@dataclass(frozen=True, slots=True)
class LoadedDoc:
    doc: GuidanceDoc
    score: int
    reason: str
    text: str  # the body, without front matter


@dataclass(frozen=True, slots=True)
class ContextSelection:
    budget: int
    topics: tuple[str, ...]
    loaded: tuple[LoadedDoc, ...]
    left_out: tuple[tuple[GuidanceDoc, str], ...]  # relevant, but over the budget or not relevant

    def for_family(self, family: str) -> tuple[GuidanceDoc, ...]:
        return tuple(d.doc for d in self.loaded if family in d.doc.families)


class ContextProvider(Protocol):
    def get_domain_index(self, domain: str) -> tuple[GuidanceDoc, ...]: ...

    def get_conditional_context(self, domain: str, topic: str) -> tuple[GuidanceDoc, ...]: ...

    def get_cross_domain_context(self, domain: str, topics: Sequence[str]) -> tuple[GuidanceDoc, ...]: ...

    def load(self, doc: GuidanceDoc) -> str: ...


def split_front_matter(text: str, shown: str) -> tuple[dict[str, object], str]:
    if not text.startswith("---\n"):
        return {}, text
    end = text.find("\n---\n", 4)
    if end < 0:
        raise ContextError(f"{shown}: front matter: expected a closing `---` line")
    try:
        data = yaml.safe_load(text[4:end]) or {}
    except yaml.YAMLError as exc:
        raise ContextError(f"{shown}: front matter: invalid YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(data, dict):
        raise ContextError(f"{shown}: front matter: expected a mapping with keys {', '.join(FRONT_KEYS)}")
    return data, text[end + 5 :]


def _strings(shown: str, data: Mapping[str, object], key: str) -> tuple[str, ...]:
    value = data.get(key, [])
    if isinstance(value, (str, int)):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, (str, int)) for v in value):
        raise ContextError(f"{shown}: front matter: {key}: expected a list of strings")
    return tuple(str(v) for v in value)


def parse_doc(path: Path, text: str, origin: str) -> GuidanceDoc:
    shown = display_path(path) if origin == "user" else f"djvet:guidance/{path.name}"
    data, _ = split_front_matter(text, shown)
    for key in data:
        if key not in FRONT_KEYS:
            raise ContextError(f"{shown}: front matter: unknown key '{key}'; expected one of {', '.join(FRONT_KEYS)}")
    families = _strings(shown, data, "families")
    for family in families:
        if family not in FAMILIES:
            raise ContextError(f"{shown}: front matter: families: expected digits 1-8; got {family!r}")
    goals = _strings(shown, data, "goals")
    for goal in goals:
        if goal not in GOALS:
            raise ContextError(f"{shown}: front matter: goals: expected some of {', '.join(GOALS)}; got {goal!r}")
    raw_signals = data.get("signals", {})
    if isinstance(raw_signals, list):
        raw_signals = {str(s): 1 for s in raw_signals}
    if not isinstance(raw_signals, dict) or not all(isinstance(v, int) for v in raw_signals.values()):
        raise ContextError(f"{shown}: front matter: signals: expected a mapping of signal -> weight")
    title = data.get("title") or path.stem.replace("-", " ").replace("_", " ").capitalize()
    return GuidanceDoc(
        id=str(data.get("id") or path.stem),
        title=str(title),
        domain=str(data.get("domain") or DOMAIN),
        # families and goals are topics too, so a finding's family or the goal finds the document
        topics=tuple(dict.fromkeys(_strings(shown, data, "topics") + tuple(f"family-{f}" for f in families) + goals)),
        families=families,
        goals=goals,
        signals={str(k): v for k, v in sorted(raw_signals.items())},
        applies_when=str(data.get("applies_when") or ("written for this project" if origin == "user" else "")),
        path=path,
        origin=origin,
    )


def _read_head(path: Path) -> str:
    """The front matter only: choosing among documents must not load them."""
    lines = []
    with path.open(encoding="utf-8") as handle:
        first = handle.readline()
        if first != "---\n":
            return first
        lines.append(first)
        for line in handle:
            lines.append(line)
            if line == "---\n":
                break
    return "".join(lines) + "\n"


class FolderContextProvider:
    """Guidance documents from folders: djvet's own first, then the user's (`*.md`, sorted)."""

    def __init__(self, user_dirs: Sequence[Path] = (), bundled: Path = BUNDLED) -> None:
        self.docs: list[GuidanceDoc] = []
        for origin, folder in [("bundled", bundled)] + [("user", d) for d in user_dirs]:
            if not folder.is_dir():
                if origin == "user":
                    raise ContextError(f"{display_path(folder)}: no such folder (--context-dir)")
                continue
            for path in sorted(folder.glob("*.md")):
                try:
                    self.docs.append(parse_doc(path, _read_head(path), origin))
                except (OSError, UnicodeDecodeError) as exc:
                    raise ContextError(f"{display_path(path)}: cannot read: {exc}") from None

    def get_domain_index(self, domain: str) -> tuple[GuidanceDoc, ...]:
        return tuple(d for d in self.docs if d.domain == domain)

    def get_conditional_context(self, domain: str, topic: str) -> tuple[GuidanceDoc, ...]:
        return tuple(d for d in self.docs if d.domain == domain and topic in d.topics)

    def get_cross_domain_context(self, domain: str, topics: Sequence[str]) -> tuple[GuidanceDoc, ...]:
        wanted = set(topics)
        return tuple(d for d in self.docs if d.domain != domain and wanted & set(d.topics))

    def user_docs(self) -> tuple[GuidanceDoc, ...]:
        return tuple(d for d in self.docs if d.origin == "user")

    def load(self, doc: GuidanceDoc) -> str:
        try:
            text = doc.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ContextError(f"{doc.ref}: cannot read: {exc}") from None
        return split_front_matter(text, doc.ref)[1].strip() + "\n"


def review_topics(signals: Sequence[str], goal: str | None, families: Sequence[str]) -> tuple[str, ...]:
    topics = set(signals)
    if goal:
        topics.add(goal)
    topics.update(f"family-{f}" for f in families)
    return tuple(sorted(topics))


def score(doc: GuidanceDoc, signals: frozenset[str], goal: str | None, families: Mapping[str, int]) -> tuple[int, str]:
    points = 0
    reasons = []
    if doc.origin == "user":
        points += USER_BONUS
        reasons.append("your own document")
    if goal and goal in doc.goals:
        points += GOAL_WEIGHT
        reasons.append(f"goal `{goal}`")
    remembered = sorted(f for f in doc.families if families.get(f))
    if remembered:
        points += FAMILY_WEIGHT * len(remembered)
        count = sum(families[f] for f in remembered)
        names = ", ".join(FAMILIES[f] for f in remembered)
        reasons.append(f"{count} open finding{'s' if count != 1 else ''} in {names} at the last review")
    matched = sorted(s for s in doc.signals if s in signals)
    if matched:
        points += sum(doc.signals[s] for s in matched)
        reasons.append("the project has " + ", ".join(SIGNAL_WORDS.get(s, s) for s in matched))
    return points, "; ".join(reasons)


SIGNAL_WORDS = {
    "models": "models",
    "drf": "DRF",
    "templates": "server-rendered templates",
    "wsgi": "a WSGI entry point",
    "asgi": "an ASGI entry point",
    "containers": "container or process files",
    "celery": "Celery",
    "rq": "RQ",
    "channels": "Channels",
    "dramatiq": "Dramatiq",
    "huey": "Huey",
    "async-views": "async views",
    "production-settings": "production settings",
    "settings": "settings modules",
    "tests": "tests",
    "no-tests": "no tests",
}


def select_context(provider: ContextProvider, state: ReviewState) -> ContextSelection:
    scope = state.scope
    memory = state.memory
    assert scope is not None and memory is not None
    goal = scope.goal.value
    remembered: dict[str, int] = {}
    accepted = {a.fingerprint for a in memory.accepted}
    for fingerprint, finding in memory.own.state.findings.items():
        if fingerprint not in accepted:
            remembered[finding.code[3]] = remembered.get(finding.code[3], 0) + 1
    topics = review_topics(sorted(scope.signals), goal, sorted(remembered))
    candidates: dict[str, GuidanceDoc] = {doc.ref: doc for doc in provider.get_domain_index(DOMAIN)}
    for topic in topics:
        for doc in provider.get_conditional_context(DOMAIN, topic):
            candidates[doc.ref] = doc
    for doc in provider.get_cross_domain_context(DOMAIN, topics):
        candidates[doc.ref] = doc
    if isinstance(provider, FolderContextProvider):
        for doc in provider.user_docs():
            candidates[doc.ref] = doc
    ranked = []
    for doc in candidates.values():
        points, reason = score(doc, scope.signals, goal, remembered)
        ranked.append((-points, doc.origin != "user", doc.id, doc, points, reason))
    ranked.sort(key=lambda r: r[:3])
    budget = state.options.context_budget
    loaded: list[LoadedDoc] = []
    left_out: list[tuple[GuidanceDoc, str]] = []
    for _, _, _, doc, points, reason in ranked:
        if points <= 0:
            left_out.append((doc, "not relevant to this project or goal"))
        elif len(loaded) < budget:
            loaded.append(LoadedDoc(doc, points, reason, provider.load(doc)))
        else:
            left_out.append((doc, f"over the budget of {budget} (relevance {points}: {reason})"))
    return ContextSelection(budget, topics, tuple(loaded), tuple(left_out))


class ContextStep:
    number = 3
    name = "context"
    title = "Context"

    def run(self, state: ReviewState) -> StepResult:
        if state.options.context_budget < 0:
            raise ReviewStepError(3, "context", f"--context-budget: expected 0 or more; got {state.options.context_budget}")
        try:
            if state.provider is None:
                dirs = list(state.options.context_dirs)
                default = state.require_root() / ".djvet" / "context"
                if not dirs and default.is_dir():
                    dirs.append(default)
                state.provider = FolderContextProvider(dirs)
            state.context = select_context(state.provider, state)
        except ContextError as exc:
            raise ReviewStepError(3, "context", str(exc)) from None
        loaded = state.context.loaded
        names = ", ".join(f"`{d.doc.id}`" for d in loaded) or "none"
        return StepResult(
            f"{len(loaded)} of at most {state.context.budget} guidance documents loaded ({names}); "
            f"{len(state.context.left_out)} considered and left out",
            tuple(f"{d.doc.ref}: {d.reason}" for d in loaded),
        )
