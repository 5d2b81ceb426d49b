"""Step 2's store: the project memory a review starts from and leaves behind.

`MemoryStore` is the interface; `FileMemoryStore` keeps, per project and skill, four markdown notes
(djvet rewrites only the block between its markers; the rest is the user's) and `state.json`
(findings by fingerprint, accepted risks, decisions, review history). Writes go to a temporary
file renamed over the old one, under a lock, so a crash or a second review never leaves a
half-written or interleaved file."""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import re
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

from djvet.runner import display_path

SCHEMA = 1
NOTES = ("project_overview", "architecture_notes", "data_model_patterns", "deployment_notes")
NOTE_TITLES = {
    "project_overview": "Project overview",
    "architecture_notes": "Architecture notes",
    "data_model_patterns": "Data model patterns",
    "deployment_notes": "Deployment notes",
}
STATE_FILE = "state.json"
LOCK_FILE = ".lock"
BEGIN = "<!-- djvet:begin: written by `djvet review`; edits inside this block are replaced, write yours outside it -->"
BEGIN_RE = re.compile(r"^<!-- djvet:begin\b.*-->[ \t]*$", re.MULTILINE)
END = "<!-- djvet:end -->"
END_RE = re.compile(r"^<!-- djvet:end\b.*-->[ \t]*$", re.MULTILINE)
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MAX_REVIEWS = 100  # the review history kept in state.json


class MemoryStoreError(Exception):
    """Memory that cannot be read or written; the message names the file."""


@dataclass(frozen=True, slots=True)
class RecordedFinding:
    fingerprint: str
    code: str
    severity: str
    path: str
    line: int
    message: str
    first_seen: str
    last_seen: str

    def to_json(self) -> dict[str, object]:
        return {
            "code": self.code,
            "severity": self.severity,
            "path": self.path,
            "line": self.line,
            "message": self.message,
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
        }


@dataclass(frozen=True, slots=True)
class AcceptedRisk:
    fingerprint: str
    code: str
    reason: str
    expires: str | None = None
    added: str | None = None

    def is_active(self, today: datetime.date) -> bool:
        return self.expires is None or today.isoformat() <= self.expires

    def to_json(self) -> dict[str, object]:
        return {"fingerprint": self.fingerprint, "code": self.code, "reason": self.reason, "expires": self.expires, "added": self.added}


@dataclass(frozen=True, slots=True)
class Decision:
    topic: str
    decision: str
    date: str | None = None

    def to_json(self) -> dict[str, object]:
        return {"topic": self.topic, "decision": self.decision, "date": self.date}


@dataclass(frozen=True, slots=True)
class ReviewRecord:
    date: str
    report: str | None
    goal: str | None
    findings: int
    new: int
    fixed: int
    still_open: int
    accepted: int
    version: str

    def to_json(self) -> dict[str, object]:
        return {
            "date": self.date,
            "report": self.report,
            "goal": self.goal,
            "findings": self.findings,
            "new": self.new,
            "fixed": self.fixed,
            "still_open": self.still_open,
            "accepted": self.accepted,
            "version": self.version,
        }


@dataclass(frozen=True, slots=True)
class MemoryState:
    findings: Mapping[str, RecordedFinding] = field(default_factory=dict)
    accepted: tuple[AcceptedRisk, ...] = ()
    decisions: tuple[Decision, ...] = ()
    reviews: tuple[ReviewRecord, ...] = ()

    def decision(self, topic: str) -> Decision | None:
        for decision in reversed(self.decisions):
            if decision.topic == topic:
                return decision
        return None

    def to_json(self, project: str, skill: str) -> dict[str, object]:
        return {
            "schema": SCHEMA,
            "project": project,
            "skill": skill,
            "findings": {fp: f.to_json() for fp, f in sorted(self.findings.items())},
            "accepted": [a.to_json() for a in sorted(self.accepted, key=lambda a: a.fingerprint)],
            "decisions": [d.to_json() for d in sorted(self.decisions, key=lambda d: (d.topic, d.date or "", d.decision))],
            "reviews": [r.to_json() for r in self.reviews],
        }


@dataclass(frozen=True, slots=True)
class SkillMemory:
    skill: str
    project: str
    folder: Path
    exists: bool
    notes: Mapping[str, str]  # note name (file stem) -> text
    state: MemoryState


@dataclass(frozen=True, slots=True)
class MemoryUpdate:
    """What a review writes: the djvet blocks of the notes and the new machine state. Accepted risks
    and decisions are merged with what is on disk by then (another review may have added some)."""

    notes: Mapping[str, str]  # note name -> the text inside the djvet block
    findings: Mapping[str, RecordedFinding]
    accepted: tuple[AcceptedRisk, ...]
    decisions: tuple[Decision, ...]
    review: ReviewRecord


@dataclass(frozen=True, slots=True)
class MemorySnapshot:
    """What step 2 read, and what it means for this run."""

    store_root: str
    own: SkillMemory
    others: tuple[SkillMemory, ...]
    accepted: tuple[AcceptedRisk, ...]  # after --accept
    applied_decisions: tuple[str, ...]  # what the decisions changed in this run
    human_lines: int


class MemoryStore(Protocol):
    def get_skill_memory(self, skill: str, project: str) -> SkillMemory: ...

    def get_by_project(self, project: str) -> Mapping[str, SkillMemory]: ...

    def update(self, skill: str, project: str, update: MemoryUpdate) -> SkillMemory: ...

    def describe(self, skill: str, project: str) -> str: ...


# ---- state.json -------------------------------------------------------------------------------


def _expect(where: str, value: object, kind: type | tuple[type, ...], expected: str) -> object:
    if not isinstance(value, kind) or isinstance(value, bool) and kind is int:
        raise MemoryStoreError(f"{where}: expected {expected}; got {json.dumps(value)[:60]}")
    return value


def _date(where: str, value: object, optional: bool = True) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str) or not DATE_RE.match(value):
        raise MemoryStoreError(f"{where}: expected a date YYYY-MM-DD{' or null' if optional else ''}; got {json.dumps(value)[:60]}")
    try:
        datetime.date.fromisoformat(value)
    except ValueError:
        raise MemoryStoreError(f"{where}: expected a date YYYY-MM-DD; got {json.dumps(value)}") from None
    return value


def _text(where: str, data: Mapping[str, object], key: str, optional: bool = False) -> str:
    value = data.get(key)
    if optional and value in (None, ""):
        return ""
    if not isinstance(value, str) or not value.strip():
        raise MemoryStoreError(f"{where}.{key}: expected a non-empty string; got {json.dumps(value)[:60]}")
    return value


def parse_state(text: str, shown: str) -> MemoryState:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise MemoryStoreError(f"{shown}: corrupt state file: expected JSON ({exc})") from None
    if not isinstance(data, dict):
        raise MemoryStoreError(f"{shown}: corrupt state file: expected a JSON object with \"schema\": {SCHEMA}")
    if data.get("schema") != SCHEMA:
        raise MemoryStoreError(f"{shown}: schema: expected {SCHEMA}; got {json.dumps(data.get('schema'))} (written by another djvet version?)")
    where = f"{shown}: "
    findings: dict[str, RecordedFinding] = {}
    raw = _expect(where + "findings", data.get("findings", {}), dict, "an object of fingerprint -> finding")
    assert isinstance(raw, dict)
    for fp, item in sorted(raw.items()):
        at = f"{where}findings.{fp}"
        _expect(at, item, dict, "an object")
        line = item.get("line", 0)
        _expect(at + ".line", line, int, "a line number")
        findings[fp] = RecordedFinding(
            fp,
            _text(at, item, "code"),
            _text(at, item, "severity", optional=True) or "warning",
            _text(at, item, "path"),
            line,
            _text(at, item, "message", optional=True),
            _date(at + ".first_seen", item.get("first_seen")) or "",
            _date(at + ".last_seen", item.get("last_seen")) or "",
        )
    accepted = []
    for number, item in enumerate(_expect(where + "accepted", data.get("accepted", []), list, "a list") or []):  # type: ignore[arg-type]
        at = f"{where}accepted[{number}]"
        _expect(at, item, dict, "an object with fingerprint, reason and optional code, expires")
        accepted.append(
            AcceptedRisk(
                _text(at, item, "fingerprint"),
                _text(at, item, "code", optional=True),
                _text(at, item, "reason"),
                _date(at + ".expires", item.get("expires")),
                _date(at + ".added", item.get("added")),
            )
        )
    decisions = []
    for number, item in enumerate(_expect(where + "decisions", data.get("decisions", []), list, "a list") or []):  # type: ignore[arg-type]
        at = f"{where}decisions[{number}]"
        _expect(at, item, dict, "an object with topic, decision and optional date")
        decisions.append(Decision(_text(at, item, "topic"), _text(at, item, "decision"), _date(at + ".date", item.get("date"))))
    reviews = []
    for number, item in enumerate(_expect(where + "reviews", data.get("reviews", []), list, "a list") or []):  # type: ignore[arg-type]
        at = f"{where}reviews[{number}]"
        _expect(at, item, dict, "an object")
        counts = {}
        for key in ("findings", "new", "fixed", "still_open", "accepted"):
            counts[key] = _expect(f"{at}.{key}", item.get(key, 0), int, "a number")
        reviews.append(
            ReviewRecord(
                _date(at + ".date", item.get("date"), optional=False) or "",
                item.get("report") if isinstance(item.get("report"), str) else None,
                item.get("goal") if isinstance(item.get("goal"), str) else None,
                version=str(item.get("version", "")),
                **counts,  # type: ignore[arg-type]
            )
        )
    return MemoryState(findings, tuple(accepted), tuple(decisions), tuple(reviews))


# ---- notes ------------------------------------------------------------------------------------


def check_note(text: str, shown: str) -> None:
    begins, ends = BEGIN_RE.findall(text), END_RE.findall(text)
    if len(begins) > 1 or len(ends) > 1:
        raise MemoryStoreError(f"{shown}: expected one djvet block; found {len(begins)} `djvet:begin` and {len(ends)} `djvet:end` markers")
    if len(begins) != len(ends):
        missing = "djvet:end" if begins else "djvet:begin"
        raise MemoryStoreError(f"{shown}: the djvet block has no `{missing}` marker; add it back or remove the other one")
    if begins and BEGIN_RE.search(text).start() > END_RE.search(text).start():  # type: ignore[union-attr]
        raise MemoryStoreError(f"{shown}: `djvet:end` comes before `djvet:begin`")


def human_text(text: str) -> str:
    """A note without its djvet block: what a person wrote."""
    begin, end = BEGIN_RE.search(text), END_RE.search(text)
    if begin is None or end is None:
        return text
    return text[: begin.start()] + text[end.end() :]


def replace_block(text: str | None, title: str, block: str) -> str:
    """The note with its djvet block replaced (or added); every other character stays as it was."""
    inner = f"{BEGIN}\n{block.rstrip()}\n{END}"
    if text is None:
        return (
            f"# {title}\n\n{inner}\n\n## Notes\n\n"
            "<!-- Yours: djvet never changes anything outside the djvet block above. -->\n"
        )
    begin, end = BEGIN_RE.search(text), END_RE.search(text)
    if begin is None or end is None:
        separator = "" if text.endswith("\n\n") or not text else ("\n" if text.endswith("\n") else "\n\n")
        return f"{text}{separator}{inner}\n"
    return text[: begin.start()] + inner + text[end.end() :]


# ---- files ------------------------------------------------------------------------------------


def write_atomic(path: Path, text: str) -> None:
    """Write to a temporary file next to `path`, then rename it over `path` (atomic on POSIX and
    Windows): readers see the old file or the new one, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():
            os.chmod(temp, path.stat().st_mode & 0o777)
        else:
            os.chmod(temp, 0o644)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


@contextlib.contextmanager
def file_lock(folder: Path, timeout: float = 60.0) -> Iterator[None]:
    """An exclusive lock on `folder/.lock`: flock on POSIX, else an O_EXCL lock file with retry."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOCK_FILE
    try:
        import fcntl
    except ImportError:  # Windows
        fcntl = None  # type: ignore[assignment]
    deadline = time.monotonic() + timeout
    if fcntl is not None:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise MemoryStoreError(f"{display_path(path)}: another review holds the memory lock; waited {timeout:.0f} s") from None
                    time.sleep(0.05)
            yield
        finally:
            os.close(fd)  # closing releases the lock
        return
    while True:
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            os.close(fd)
            break
        except FileExistsError:
            if time.monotonic() > deadline:
                raise MemoryStoreError(f"{display_path(path)}: another review holds the memory lock (delete the file if no review is running)") from None
            time.sleep(0.05)
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise MemoryStoreError(f"{display_path(path)}: cannot read: {exc}") from None


class FileMemoryStore:
    """`<root>/<project>/<skill>/`: the four notes and state.json."""

    def __init__(self, root: Path, lock_timeout: float = 60.0) -> None:
        self.root = root
        self.lock_timeout = lock_timeout

    def folder(self, skill: str, project: str) -> Path:
        return self.root / project / skill

    def describe(self, skill: str, project: str) -> str:
        return display_path(self.folder(skill, project))

    def get_skill_memory(self, skill: str, project: str) -> SkillMemory:
        folder = self.folder(skill, project)
        if folder.exists() and not folder.is_dir():
            raise MemoryStoreError(f"{display_path(folder)}: expected a folder")
        notes = {}
        for path in sorted(folder.glob("*.md")) if folder.is_dir() else []:
            text = _read_text(path)
            if text is not None:
                check_note(text, display_path(path))
                notes[path.stem] = text
        state_path = folder / STATE_FILE
        text = _read_text(state_path)
        state = parse_state(text, display_path(state_path)) if text is not None else MemoryState()
        return SkillMemory(skill, project, folder, folder.is_dir(), notes, state)

    def get_by_project(self, project: str) -> Mapping[str, SkillMemory]:
        base = self.root / project
        found = {}
        for folder in sorted(base.iterdir()) if base.is_dir() else []:
            if folder.is_dir() and not folder.name.startswith("."):
                found[folder.name] = self.get_skill_memory(folder.name, project)
        return found

    def update(self, skill: str, project: str, update: MemoryUpdate) -> SkillMemory:
        folder = self.folder(skill, project)
        with file_lock(folder, self.lock_timeout):
            # Read again under the lock: another review may have written since step 2 read it.
            current = self.get_skill_memory(skill, project)
            accepted = {a.fingerprint: a for a in current.state.accepted}
            accepted.update({a.fingerprint: a for a in update.accepted})
            decisions = {d.topic: d for d in current.state.decisions}
            decisions.update({d.topic: d for d in update.decisions})
            reviews = sorted(current.state.reviews + (update.review,), key=lambda r: (r.date, r.report or ""))[-MAX_REVIEWS:]
            state = MemoryState(dict(update.findings), tuple(accepted.values()), tuple(decisions.values()), tuple(reviews))
            for name in NOTES:
                text = current.notes.get(name)
                write_atomic(folder / f"{name}.md", replace_block(text, NOTE_TITLES[name], update.notes.get(name, "")))
            write_atomic(folder / STATE_FILE, json.dumps(state.to_json(project, skill), indent=2, sort_keys=True) + "\n")
        return replace(current, state=state, exists=True)
