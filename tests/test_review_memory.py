"""Step 2 of `djvet review`: the file memory store (notes with a djvet block, state.json, locks,
atomic writes) and what earlier decisions and accepted risks do to a run."""

from __future__ import annotations

import datetime
import json
import multiprocessing
from pathlib import Path

import pytest

from djvet.review.base import FrozenClock, ReviewOptions, ReviewState, ReviewStepError
from djvet.review.memory import (
    BEGIN,
    END,
    AcceptedRisk,
    Decision,
    FileMemoryStore,
    MemoryStoreError,
    MemoryUpdate,
    RecordedFinding,
    ReviewRecord,
    human_text,
    parse_state,
    replace_block,
)
from djvet.review.recall import MemoryStep
from djvet.review.scope import ScopeStep

DAY = datetime.date(2025, 1, 15)


def an_update(day: str = "2025-01-15", **changes: object) -> MemoryUpdate:
    finding = RecordedFinding("abc", "DJV302", "warning", "shop/serializers.py", 9, "`S` exposes ...", day, day)
    values: dict[str, object] = {
        "notes": {"project_overview": "- Project `shop`.", "deployment_notes": "- Entry points: none."},
        "findings": {"abc": finding},
        "accepted": (),
        "decisions": (),
        "review": ReviewRecord(day, f"claudedocs/django_shop_{day}.md", None, 1, 1, 0, 0, 0, "0.1.0"),
    }
    values.update(changes)
    return MemoryUpdate(**values)  # type: ignore[arg-type]


# ---- notes --------------------------------------------------------------------------------------


def test_a_new_note_has_a_title_the_djvet_block_and_room_for_people() -> None:
    text = replace_block(None, "Project overview", "- Project `shop`.")
    assert text.startswith(f"# Project overview\n\n{BEGIN}\n- Project `shop`.\n{END}\n\n## Notes\n")


def test_replacing_the_block_keeps_every_other_character() -> None:
    before = f"Intro by a person.\n\n{BEGIN}\nold\n{END}\n\n## Mine\n\n- keep   spacing\t\n"
    after = replace_block(before, "T", "new line 1\nnew line 2")
    assert after == f"Intro by a person.\n\n{BEGIN}\nnew line 1\nnew line 2\n{END}\n\n## Mine\n\n- keep   spacing\t\n"
    assert human_text(after) == human_text(before)


def test_a_note_without_a_block_gets_one_appended() -> None:
    assert replace_block("# Mine\n\nWe deploy on Fridays.\n", "T", "x") == f"# Mine\n\nWe deploy on Fridays.\n\n{BEGIN}\nx\n{END}\n"


@pytest.mark.parametrize(
    "text, message",
    [
        (f"{BEGIN}\nno end\n", "has no `djvet:end` marker"),
        (f"{END}\n{BEGIN}\n", "`djvet:end` comes before `djvet:begin`"),
        (f"{BEGIN}\n{END}\n{BEGIN}\n{END}\n", "expected one djvet block; found 2"),
    ],
)
def test_a_broken_block_stops_the_read(tmp_path: Path, text: str, message: str) -> None:
    folder = tmp_path / "shop" / "django"
    folder.mkdir(parents=True)
    (folder / "architecture_notes.md").write_text(text)
    with pytest.raises(MemoryStoreError) as error:
        FileMemoryStore(tmp_path).get_skill_memory("django", "shop")
    assert "architecture_notes.md" in str(error.value) and message in str(error.value)


# ---- state.json ---------------------------------------------------------------------------------


def test_update_writes_notes_and_state_and_reads_them_back(tmp_path: Path) -> None:
    store = FileMemoryStore(tmp_path)
    store.update("django", "shop", an_update(accepted=(AcceptedRisk("abc", "DJV302", "reviewed", "2025-03-01", "2025-01-15"),), decisions=(Decision("goal", "security", "2025-01-15"),)))
    memory = store.get_skill_memory("django", "shop")
    assert sorted(memory.notes) == ["architecture_notes", "data_model_patterns", "deployment_notes", "project_overview"]
    assert memory.state.findings["abc"].first_seen == "2025-01-15"
    assert memory.state.accepted == (AcceptedRisk("abc", "DJV302", "reviewed", "2025-03-01", "2025-01-15"),)
    assert memory.state.decision("goal") == Decision("goal", "security", "2025-01-15")
    data = json.loads((tmp_path / "shop" / "django" / "state.json").read_text())
    assert data["schema"] == 1 and list(data) == sorted(data)
    assert not [p for p in (tmp_path / "shop" / "django").iterdir() if p.name.endswith(".tmp")]


def test_update_merges_accepted_risks_and_decisions_with_what_is_on_disk(tmp_path: Path) -> None:
    store = FileMemoryStore(tmp_path)
    store.update("django", "shop", an_update(accepted=(AcceptedRisk("one", "", "a"),), decisions=(Decision("goal", "security"),)))
    store.update("django", "shop", an_update("2025-01-16", accepted=(AcceptedRisk("two", "", "b"),), decisions=(Decision("settings", "x.prod"),)))
    state = store.get_skill_memory("django", "shop").state
    assert [a.fingerprint for a in state.accepted] == ["one", "two"]
    assert sorted(d.topic for d in state.decisions) == ["goal", "settings"]
    assert [r.date for r in state.reviews] == ["2025-01-15", "2025-01-16"]


@pytest.mark.parametrize(
    "text, message",
    [
        ("{not json", "state.json: corrupt state file: expected JSON (Expecting property name enclosed in double quotes"),
        ("[]", 'state.json: corrupt state file: expected a JSON object with "schema": 1'),
        ('{"schema": 7}', "state.json: schema: expected 1; got 7"),
        ('{"schema": 1, "accepted": [{"fingerprint": "a"}]}', "state.json: accepted[0].reason: expected a non-empty string; got null"),
        ('{"schema": 1, "accepted": [{"fingerprint": "a", "reason": "r", "expires": "2025-13-01"}]}', "accepted[0].expires: expected a date YYYY-MM-DD"),
        ('{"schema": 1, "findings": {"a": {"code": "DJV301", "path": "x.py", "line": "9"}}}', "findings.a.line: expected a line number"),
    ],
)
def test_an_invalid_state_file_is_an_error_naming_the_key(text: str, message: str) -> None:
    with pytest.raises(MemoryStoreError) as error:
        parse_state(text, "state.json")
    assert message in str(error.value)


def test_acceptance_holds_until_its_expiry_day() -> None:
    risk = AcceptedRisk("a", "DJV301", "why", "2025-01-31")
    assert risk.is_active(datetime.date(2025, 1, 31)) and not risk.is_active(datetime.date(2025, 2, 1))
    assert AcceptedRisk("a", "DJV301", "why").is_active(datetime.date(2099, 1, 1))


def _update_in_process(root: str, day: int) -> None:
    FileMemoryStore(Path(root)).update("django", "shop", an_update(f"2025-01-{day:02d}", decisions=(Decision(f"topic-{day}", "x"),)))


def test_concurrent_updates_keep_the_state_valid_and_lose_no_decision(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=_update_in_process, args=(str(tmp_path), day)) for day in range(1, 9)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(120)
    assert [p.exitcode for p in processes] == [0] * 8
    state = FileMemoryStore(tmp_path).get_skill_memory("django", "shop").state
    assert sorted(d.topic for d in state.decisions) == [f"topic-{d}" for d in range(1, 9)]
    assert len(state.reviews) == 8


# ---- the step ------------------------------------------------------------------------------------

PROJECT = {
    "manage.py": 'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")\n',
    "mysite/__init__.py": "",
    "mysite/settings.py": 'INSTALLED_APPS = ["shop"]\n',
    "mysite/wsgi.py": 'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")\n',
    "mysite/asgi.py": 'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")\n',
    "shop/__init__.py": "",
}


def remembered(root: Path, **options: object) -> ReviewState:
    state = ReviewState(ReviewOptions(path=root, **options), FrozenClock(DAY), 0.0, DAY, root)  # type: ignore[arg-type]
    ScopeStep().run(state)
    MemoryStep().run(state)
    return state


def test_first_review_reads_an_empty_memory_and_writes_nothing(make_project, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    root = make_project(PROJECT)
    state = remembered(root)
    assert state.memory is not None and state.memory.own.state.reviews == () and not state.memory.own.exists
    assert state.checklist == [] and not (root / ".djvet").exists()


def test_earlier_decisions_settle_this_runs_open_questions(make_project) -> None:  # type: ignore[no-untyped-def]
    root = make_project(PROJECT)
    FileMemoryStore(root / ".djvet" / "memory").update(
        "django", "project", an_update(decisions=(Decision("goal", "security", "2025-01-10"), Decision("entry-point", "asgi", "2025-01-10")))
    )
    state = remembered(root)
    assert state.scope is not None
    assert (state.scope.goal.value, state.scope.goal.source) == ("security", "decision")
    assert (state.scope.entry_point.value, state.scope.entry_point.reason) == ("asgi", "decided on 2025-01-10")
    assert [q.topic for q in state.questions if q.topic in ("goal", "entry-point")] == []
    assert state.memory is not None
    assert state.memory.applied_decisions == ("goal `security` (decision of 2025-01-10)", "entry point `asgi` (decision of 2025-01-10)")
    assert "findings are ranked for the goal `security`" in state.plan[0].why


def test_a_flag_wins_over_a_remembered_decision(make_project) -> None:  # type: ignore[no-untyped-def]
    root = make_project(PROJECT)
    FileMemoryStore(root / ".djvet" / "memory").update("django", "project", an_update(decisions=(Decision("goal", "security", "2025-01-10"),)))
    state = remembered(root, goal="refactor")
    assert state.scope is not None and (state.scope.goal.value, state.scope.goal.source) == ("refactor", "flag")


def test_accept_flag_adds_an_accepted_risk_for_this_run(make_project) -> None:  # type: ignore[no-untyped-def]
    root = make_project(PROJECT)
    state = remembered(root, accept=("abc",), reason="internal API", expires="2025-06-30")
    assert state.memory is not None
    assert state.memory.accepted == (AcceptedRisk("abc", "", "internal API", "2025-06-30", "2025-01-15"),)


def test_other_skills_memory_is_read_as_reference_only(make_project) -> None:  # type: ignore[no-untyped-def]
    root = make_project(PROJECT)
    other = root / ".djvet" / "memory" / "project" / "security"
    other.mkdir(parents=True)
    (other / "threat_model.md").write_text("# Threats\n")
    before = sorted(p.name for p in other.iterdir())
    state = remembered(root)
    assert state.memory is not None and [(m.skill, sorted(m.notes)) for m in state.memory.others] == [("security", ["threat_model"])]
    assert sorted(p.name for p in other.iterdir()) == before


def test_a_corrupt_state_file_stops_step_2(make_project) -> None:  # type: ignore[no-untyped-def]
    root = make_project(PROJECT)
    folder = root / ".djvet" / "memory" / "project" / "django"
    folder.mkdir(parents=True)
    (folder / "state.json").write_text("{")
    with pytest.raises(ReviewStepError) as error:
        remembered(root)
    assert error.value.number == 2 and "state.json: corrupt state file: expected JSON" in str(error.value)
