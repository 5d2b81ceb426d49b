"""Every fixture is checked by its markers: the exact set of (line, code) per file."""

from __future__ import annotations

from pathlib import Path

import pytest

from djvet.catalog import default_catalog
from djvet.runner import check_paths
from fixture_markers import read_markers

REPO = Path(__file__).resolve().parents[1]
RULE_FIXTURES = sorted(p for p in (REPO / "fixtures" / "rules").glob("DJV*.py") if not p.name.endswith(".fixed.py"))
PROJECTS = sorted(p for p in (REPO / "fixtures" / "projects").iterdir() if p.is_dir())


def _actual_by_file(target: Path) -> tuple[dict[Path, set[tuple[int, str]]], list[str]]:
    report = check_paths([target])
    found: dict[Path, set[tuple[int, str]]] = {}
    for finding in report.findings:
        found.setdefault(Path(finding.path).resolve(), set()).add((finding.line, finding.code))
    return found, [f"{e.path}: {e.message}" for e in report.errors]


def _compare(path: Path, actual: set[tuple[int, str]]) -> list[str]:
    markers = read_markers(path.read_text(encoding="utf-8"))
    rel = path.relative_to(REPO)
    problems = []
    for line, code in sorted(markers.expect - actual):
        problems.append(f"{rel}:{line}: {code} expected, not reported")
    for line, code in sorted(actual - markers.expect):
        if (line, code) in markers.todo:
            problems.append(f"{rel}:{line}: {code} now fires on a djvet-todo line: promote it to djvet-expect")
        else:
            problems.append(f"{rel}:{line}: {code} reported, not expected")
    for line, code in sorted(markers.ok & markers.expect):
        problems.append(f"{rel}:{line}: {code} marked both ok and expect")
    return problems


@pytest.mark.parametrize("fixture", RULE_FIXTURES, ids=lambda p: p.name)
def test_rule_fixture_matches_its_markers(fixture: Path) -> None:
    found, errors = _actual_by_file(fixture)
    assert errors == []
    assert _compare(fixture, found.get(fixture.resolve(), set())) == []


@pytest.mark.parametrize("project", PROJECTS, ids=lambda p: p.name)
def test_project_fixture_matches_its_markers(project: Path) -> None:
    found, errors = _actual_by_file(project)
    assert errors == []
    problems = []
    for path in sorted(project.rglob("*.py")):
        if not path.name.endswith(".fixed.py"):
            problems += _compare(path, found.get(path.resolve(), set()))
    assert problems == []


@pytest.mark.parametrize("code", sorted(default_catalog()))
def test_every_rule_has_a_fixture_with_hits_and_near_misses(code: str) -> None:
    fixture = REPO / "fixtures" / "rules" / f"{code}.py"
    assert fixture.is_file(), f"{code} has no fixtures/rules/{code}.py"
    markers = read_markers(fixture.read_text(encoding="utf-8"))
    assert any(c == code for _, c in markers.expect), f"{fixture.name} has no djvet-expect: {code}"
    assert any(c == code for _, c in markers.ok), f"{fixture.name} has no djvet-ok: {code}"


def test_markers_alone_on_a_line_apply_to_the_next_code_line() -> None:
    text = "# djvet-expect: DJV301\n\n# a comment\nx = 1  # djvet-ok: DJV302\ny = (  # djvet-todo: DJV101, DJV102\n    2)\n"
    markers = read_markers(text)
    assert markers.expect == {(4, "DJV301")}
    assert markers.ok == {(4, "DJV302")}
    assert markers.todo == {(5, "DJV101"), (5, "DJV102")}


def test_checking_a_project_never_imports_it() -> None:
    project = REPO / "fixtures" / "projects" / "explosive"
    report = check_paths([project])
    assert [(Path(f.path).name, f.line, f.code) for f in report.findings] == [
        ("serializers.py", 13, "DJV301"),
        ("settings.py", 18, "DJV509"),
    ]
    assert sorted(p.relative_to(project).as_posix() for p in project.rglob("IMPORTED")) == []
