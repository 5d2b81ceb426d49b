"""`djvet review` end to end on a copy of the bookshop project: the report against its golden
file, a second review after a fix, human notes, a corrupt state file, concurrent reviews."""

from __future__ import annotations

import datetime
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from djvet.cli import main
from djvet.review import FrozenClock, ReviewOptions, run_review

REPO = Path(__file__).resolve().parents[1]
BOOKSHOP = REPO / "fixtures" / "projects" / "bookshop"
GOLDEN = Path(__file__).parent / "data" / "review_bookshop.md"
DAY = datetime.date(2025, 1, 15)
REPORT = "claudedocs/django_bookshop_2025-01-15.md"
MEMORY = Path(".djvet/memory/bookshop/django")


@pytest.fixture
def bookshop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the bookshop project as the current folder: reports and memory land in tmp_path."""
    root = tmp_path / "bookshop"
    shutil.copytree(BOOKSHOP, root, ignore=shutil.ignore_patterns(".djvet", "claudedocs", "__pycache__"))
    monkeypatch.chdir(root)
    return root


def review(day: datetime.date = DAY, **options: object) -> str:
    state = run_review(ReviewOptions(path=Path("."), **options), clock=FrozenClock(day))  # type: ignore[arg-type]
    assert state.output is not None
    return state.output.markdown


def check_golden(text: str, golden: Path) -> None:
    """Compare with the golden file; DJVET_UPDATE_GOLDEN=1 rewrites it (rules and the bookshop
    fixture change in parallel: regenerate, then read the diff before committing it)."""
    if os.environ.get("DJVET_UPDATE_GOLDEN") == "1":
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8"), "report changed; DJVET_UPDATE_GOLDEN=1 pytest tests/test_review.py rewrites it"


def test_bookshop_review_matches_the_golden_report(bookshop: Path) -> None:
    text = review()
    assert (bookshop / REPORT).read_text(encoding="utf-8") == text
    check_golden(text, GOLDEN)


def test_report_has_every_section_in_the_documented_order(bookshop: Path) -> None:
    text = review()
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert headings == [
        "## Executive summary",
        "## Scope",
        "## Plan",
        "## Context loaded",
        "## Findings",
        "## Guidance",
        "## Inventory",
        "## Changes since the last review",
        "## Open questions",
        "## Compliance checklist",
    ]
    checklist = text.split("## Compliance checklist", 1)[1]
    for number, title in enumerate(["Scope", "Memory", "Context", "Analyze", "Guidance", "Output and memory update"], 1):
        assert f"| {number}. {title} | ✓ |" in checklist


def test_bookshop_scope_names_production_settings_and_asks_about_the_entry_point(bookshop: Path) -> None:
    text = review()
    assert "| Django | 5.1.4 |" in text
    assert "| `bookshop.settings.production` | [bookshop/settings/production.py](../bookshop/settings/production.py) | production |" in text
    assert "| Settings analyzed | `bookshop.settings.production` |" in text
    questions = text.split("## Open questions", 1)[1].split("## Compliance", 1)[0]
    assert "**entry-point**" in questions and "`--entry-point wsgi|asgi`" in questions
    assert "**goal**" in questions


def test_findings_link_to_the_code_relative_to_the_report(bookshop: Path) -> None:
    text = review()
    assert "[catalog/serializers.py:" in text
    assert "](../catalog/serializers.py#L" in text


def test_a_second_review_after_a_fix_shows_the_finding_as_fixed(bookshop: Path) -> None:
    review()
    state = json.loads((bookshop / MEMORY / "state.json").read_text())
    fixed = [fp for fp, f in state["findings"].items() if f["code"] == "DJV302"]
    assert len(fixed) == 1
    serializers = bookshop / "catalog" / "serializers.py"
    source = serializers.read_text()
    line = next(l for l in source.splitlines() if "exclude = (" in l)
    serializers.write_text(source.replace(line, '        fields = ["id", "name", "website"]'))

    text = review(DAY + datetime.timedelta(days=7))

    changes = text.split("## Changes since the last review", 1)[1].split("## Open questions", 1)[0]
    assert "Compared with the review of 2025-01-15." in changes
    assert "| fixed | 1 |" in changes and "| new | 0 |" in changes
    assert "- DJV302 at `catalog/serializers.py:" in changes and fixed[0] in changes
    assert fixed[0] not in text.split("## Findings", 1)[1].split("## Guidance", 1)[0]
    assert "still open |" in changes
    state = json.loads((bookshop / MEMORY / "state.json").read_text())
    assert fixed[0] not in state["findings"]
    assert [r["date"] for r in state["reviews"]] == ["2025-01-15", "2025-01-22"]
    assert state["reviews"][1]["fixed"] == 1


def test_a_second_review_the_same_day_gets_a_suffix(bookshop: Path) -> None:
    first = review()
    second = review()
    assert (bookshop / REPORT).read_text(encoding="utf-8") == first
    assert (bookshop / "claudedocs" / "django_bookshop_2025-01-15_2.md").read_text(encoding="utf-8") == second
    assert "| Previous review | 2025-01-15, [report](django_bookshop_2025-01-15.md) |" in second


def test_human_notes_in_memory_files_survive_an_update(bookshop: Path) -> None:
    review()
    overview = bookshop / MEMORY / "project_overview.md"
    text = overview.read_text()
    head = "Written by the team: the catalog API is public on purpose.\n\n"
    tail = "\n## Our notes\n\n- Orders are shipped by the warehouse service, never by Django.\n"
    overview.write_text(head + text + tail)
    deployment = bookshop / MEMORY / "deployment_notes.md"
    deployment.write_text("# Deployment\n\nWe run gunicorn behind nginx.\n")  # a person's file, no djvet block

    review(DAY + datetime.timedelta(days=1))

    updated = overview.read_text()
    assert updated.startswith(head + "# Project overview\n")
    assert updated.endswith(tail)
    assert "_Refreshed by `djvet review` on 2025-01-16" in updated
    notes = deployment.read_text()
    assert notes.startswith("# Deployment\n\nWe run gunicorn behind nginx.\n\n<!-- djvet:begin")
    assert notes.rstrip().endswith("<!-- djvet:end -->")


def test_a_corrupt_state_file_stops_the_review_at_step_2_and_is_left_untouched(bookshop: Path, capsys: pytest.CaptureFixture[str]) -> None:
    state = bookshop / MEMORY / "state.json"
    state.parent.mkdir(parents=True)
    corrupt = b'{"schema": 1, "findings": {\n'
    state.write_bytes(corrupt)

    code = main(["review"])

    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("djvet: review step 2 (memory): .djvet/memory/bookshop/django/state.json: corrupt state file: expected JSON")
    assert state.read_bytes() == corrupt
    assert sorted(p.name for p in state.parent.iterdir()) == ["state.json"]
    assert not (bookshop / "claudedocs").exists()


def test_no_django_project_stops_the_review_at_step_1(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "lib"\n')
    (tmp_path / "lib.py").write_text("def add(a, b):\n    return a + b\n")
    monkeypatch.chdir(tmp_path)
    assert main(["review"]) == 2
    assert "djvet: review step 1 (scope): .: no Django project found" in capsys.readouterr().err
    assert not (tmp_path / "claudedocs").exists() and not (tmp_path / ".djvet").exists()


CONCURRENT = """
import sys
from djvet.cli import main
sys.exit(main(["review", "--goal", sys.argv[1]]))
"""


def test_concurrent_reviews_leave_valid_memory_and_two_reports(bookshop: Path) -> None:
    review()  # memory exists, with human notes to keep
    overview = bookshop / MEMORY / "project_overview.md"
    overview.write_text("Team note.\n\n" + overview.read_text())
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    runs = [subprocess.Popen([sys.executable, "-c", CONCURRENT, goal], cwd=bookshop, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for goal in ("security", "performance")]
    results = [run.communicate(timeout=300) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], results
    reports = sorted(p.name for p in (bookshop / "claudedocs").iterdir())
    assert len(reports) == 3 and len(set(reports)) == 3
    state = json.loads((bookshop / MEMORY / "state.json").read_text())
    assert state["schema"] == 1 and len(state["reviews"]) == 3
    assert {d["decision"] for d in state["decisions"] if d["topic"] == "goal"} <= {"security", "performance"}
    assert overview.read_text().startswith("Team note.\n\n# Project overview\n")
    for name in ("project_overview", "architecture_notes", "data_model_patterns", "deployment_notes"):
        text = (bookshop / MEMORY / f"{name}.md").read_text()
        assert text.count("<!-- djvet:begin") == 1 and text.count("<!-- djvet:end -->") == 1
    assert not [p for p in (bookshop / MEMORY).iterdir() if p.name.endswith(".tmp")]


def test_accepted_risk_is_listed_as_accepted_not_open(bookshop: Path) -> None:
    review()
    state = json.loads((bookshop / MEMORY / "state.json").read_text())
    fingerprint = next(fp for fp, f in state["findings"].items() if f["code"] == "DJV302")

    text = review(DAY + datetime.timedelta(days=1), accept=(fingerprint,), reason="public catalog data", expires="2025-02-01")

    findings = text.split("## Findings", 1)[1].split("## Guidance", 1)[0]
    assert fingerprint not in findings
    accepted = text.split("### Accepted risks", 1)[1].split("###", 1)[0]
    assert "| DJV302 | public catalog data | 2025-02-01 | 2025-01-16 |" in accepted
    stored = json.loads((bookshop / MEMORY / "state.json").read_text())["accepted"]
    assert stored == [{"added": "2025-01-16", "code": "DJV302", "expires": "2025-02-01", "fingerprint": fingerprint, "reason": "public catalog data"}]

    later = review(datetime.date(2025, 2, 2))
    assert "Acceptance expired on 2025-02-01: DJV302" in later
    assert fingerprint in later.split("## Findings", 1)[1].split("## Guidance", 1)[0]


def test_flags_are_remembered_as_decisions_for_the_next_review(bookshop: Path) -> None:
    review(goal="security", entry_point="wsgi")
    text = review(DAY + datetime.timedelta(days=1))
    assert "| Goal | `security` (decided on 2025-01-15) |" in text
    assert "- goal `security` (decision of 2025-01-15)" in text
    assert "## Open questions\n\nNone: everything the review needed was settled." in text


def test_json_format_prints_the_same_review_as_one_document(bookshop: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["review", "--format", "json", "--goal", "security"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["kind"] == "review" and document["schema"] == 1 and document["goal"] == "security"
    assert {"scope", "plan", "memory", "context", "findings", "guidance", "inventory", "changes", "open_questions", "checklist"} <= set(document)
    assert [step["name"] for step in document["checklist"]] == ["scope", "memory", "context", "analyze", "guidance", "output"]
    assert document["report"].startswith("claudedocs/django_bookshop_")
    assert all(f["status"] == "new" for f in document["findings"])
    assert all(d["text"] for d in document["context"]["loaded"])
    assert Path(document["report"]).is_file()


def test_no_write_writes_neither_report_nor_memory(bookshop: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["review", "--no-write"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# Django review: bookshop (")
    assert "dry run (`--no-write`)" in out
    assert not (bookshop / "claudedocs").exists() and not (bookshop / ".djvet").exists()


def test_text_output_says_where_the_report_and_the_memory_went(bookshop: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["review", "--output-dir", "out", "--memory-dir", "mem"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("djvet review: bookshop (Django 5.1.4, DRF 3.15.2, hybrid)")
    assert out[-2].startswith("report: out/django_bookshop_") and out[-2].endswith(".md")
    assert out[-1] == "memory: mem/bookshop/django"
    assert (bookshop / "mem" / "bookshop" / "django" / "state.json").is_file()


@pytest.mark.parametrize(
    "argv, message",
    [
        (["review", "--accept", "abc"], "review: --accept needs --reason"),
        (["review", "--reason", "because"], "review: --reason and --expires go with --accept FINGERPRINT"),
        (["review", "--settings", "bookshop.settings.nope"], "review step 1 (scope): --settings bookshop.settings.nope: not a settings module djvet found"),
    ],
)
def test_review_usage_errors_exit_2(bookshop: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_readme_quick_start_runs_the_review_on_the_bookshop() -> None:
    readme = (REPO / "README.md").read_text()
    first = readme.split("```bash\n", 1)[1].splitlines()[0]
    assert first == "python -m pip install . && djvet review fixtures/projects/bookshop"


def test_engine_and_index_never_import_the_review() -> None:
    sources = [REPO / "src" / "djvet" / "engine.py", *sorted((REPO / "src" / "djvet" / "index").glob("*.py"))]
    assert [p.name for p in sources if "djvet.review" in p.read_text(encoding="utf-8")] == []
