"""The benchmark scripts run end to end on a tiny project, leave it untouched, and report failures."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BENCHMARKS = REPO / "benchmarks"

FILES = {
    "pyproject.toml": "[tool.djvet]\n",
    "shop/__init__.py": "",
    "shop/models.py": (
        "from django.db import models\n\n\n"
        "class Author(models.Model):\n    name = models.CharField(max_length=50)\n\n\n"
        "class Book(models.Model):\n    author = models.ForeignKey(Author, on_delete=models.CASCADE)\n"
    ),
    "shop/views.py": (
        "from django.http import HttpResponse\nfrom shop.models import Book\n\n\n"
        "def titles(request):\n"
        "    return HttpResponse([book.author.name for book in Book.objects.all()])\n"
    ),
    "shop/migrations/__init__.py": "",
    "shop/migrations/0001_initial.py": "operations = []\n",
}
ROW = re.compile(r"^\| (?P<project>[^|]+) \| (?P<scenario>[^|]+) \| (?P<s>[0-9.]+) \| (?P<ratio>[0-9.]+x) \| (?P<mb>[0-9]+) \| (?P<note>[^|]*) \|$")


def write(root: Path) -> dict[str, bytes]:
    for rel, text in FILES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return snapshot(root)


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def run_script(name: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO / "src"), os.environ.get("PYTHONPATH", "")]))
    return subprocess.run([sys.executable, str(BENCHMARKS / name), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False)


def table(stdout: str) -> list[dict[str, str]]:
    return [m.groupdict() for line in stdout.splitlines() if (m := ROW.match(line))]


def test_scenarios_measure_every_scenario_on_a_copy(tmp_path):
    project = tmp_path / "tiny"
    before = write(project)
    out = tmp_path / "result.md"
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"))
    help_text = subprocess.run([sys.executable, "-m", "djvet", "check", "--help"], env=env, capture_output=True, text=True, check=True).stdout
    result = run_script("scenarios.py", str(project), "--runs", "1", "--jobs", "2", "--out", str(out), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    head = result.stdout.splitlines()[:3]
    assert head[0] == f"Command: `python benchmarks/scenarios.py {project} --runs 1 --jobs 2 --out {out}`"
    # --jobs goes to djvet only when its --help lists it (issue 7 adds it)
    assert ("This djvet has no `--jobs`: `--jobs 2` was not passed." in head) == ("--jobs" not in help_text.split())
    rows = table(result.stdout)
    assert [(r["project"], r["scenario"]) for r in rows] == [
        # the two migration files count: DJV609-DJV612 check migrations
        ("tiny (5 files)", "floor: ast.parse"),
        ("tiny (5 files)", "djvet cold"),
        ("tiny (5 files)", "djvet warm, nothing changed"),
        ("tiny (5 files)", "djvet after editing shop/models.py"),
        ("tiny (5 files)", "pre-commit: djvet check shop/views.py after editing it"),
        ("tiny (5 files)", "pre-commit: djvet check shop/views.py after adding a function to it"),
        ("tiny (5 files)", "pylint + pylint_django"),
        ("tiny (5 files)", "pylint + pylint_django + djvet"),
        ("tiny (5 files)", "pylint + pylint_django on shop/views.py"),
        ("tiny (5 files)", "pylint + pylint_django + djvet on shop/views.py"),
    ]
    assert rows[0]["ratio"] == "1.00x"
    assert [r["note"].strip() for r in rows[:7]] == [""] * 7
    assert re.fullmatch(r"[+-]\d+% on pylint", rows[7]["note"].strip()), rows[7]
    assert re.fullmatch(r"[+-]\d+% on pylint", rows[9]["note"].strip()), rows[9]
    assert out.read_text(encoding="utf-8") == result.stdout
    assert snapshot(project) == before  # edits and the cache went to a temporary copy


def test_sweep_counts_files_findings_and_errors_per_project(tmp_path):
    write(tmp_path / "corpus" / "tiny")
    broken = tmp_path / "corpus" / "broken"
    write(broken)
    (broken / "shop" / "bad.py").write_bytes(b"def f(:\n")
    result = run_script("sweep.py", str(tmp_path / "corpus"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = [[cell.strip() for cell in line.strip("|").split("|")][:8] for line in result.stdout.splitlines()[3:]]
    assert rows == [  # files include the two migration files (DJV609-DJV612 check migrations)
        ["broken", "6", "1", "DJV101 1", "1", "0", "0", "0"],
        ["tiny", "5", "1", "DJV101 1", "0", "0", "0", "0"],
        ["**total**", "11", "2", "", "1", "0", "0", ""],
    ]
    assert result.stderr == ""


def test_sweep_fails_on_a_traceback_or_an_internal_error(tmp_path, monkeypatch, capsys):
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import sweep
    finally:
        sys.path.remove(str(BENCHMARKS))
    write(tmp_path / "crashes")
    write(tmp_path / "internal")
    reports = {
        "crashes": (1.0, 50_000, 2, "", "Traceback (most recent call last):\n  ...\nKeyError: 'x'\n"),
        "internal": (
            1.0,
            50_000,
            2,
            '{"findings": [], "errors": [{"path": "a.py", "message": "internal error in DJV101 (x) at line 1: KeyError: \'x\'"}], '
            '"summary": {"files": 3}}',
            "",
        ),
    }
    monkeypatch.setattr(sweep, "measure", lambda cmd, cwd: reports[cwd.name])
    assert sweep.main([str(tmp_path)]) == 1
    _, err = capsys.readouterr()
    assert err.splitlines() == [
        "crashes: exit 2, 1 tracebacks, 0 internal errors: KeyError: 'x'",
        "internal: exit 2, 0 tracebacks, 1 internal errors: a.py: internal error in DJV101 (x) at line 1: KeyError: 'x'",
    ]


@pytest.mark.parametrize("script", ["scenarios.py", "sweep.py"])
def test_a_missing_folder_is_one_line_and_exit_2(tmp_path, script):
    result = run_script(script, str(tmp_path / "nowhere"), cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_a_pylint_crash_counts_against_djvet_only_when_djvet_is_in_the_traceback():
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import scenarios
    finally:
        sys.path.remove(str(BENCHMARKS))
    pylint = scenarios.Scenario("pylint + pylint_django + djvet", [sys.executable, "-m", "pylint", "x.py"])
    own = 'Traceback (most recent call last):\n  File "/site-packages/pylint_django/checkers/x.py", line 1\nKeyError: 1\n'
    ours = 'Traceback (most recent call last):\n  File "/repo/src/djvet/pylint.py", line 9\nValueError: 2\n'
    assert scenarios.run_problems(pylint, 1, "", own, 1) == []
    assert pylint.notes == {"pylint's own traceback, not djvet's: KeyError: 1"}
    assert scenarios.run_problems(pylint, 1, "", ours, 1) == ["pylint + pylint_django + djvet: traceback: ValueError: 2"]
    djvet = scenarios.Scenario("djvet cold", [sys.executable, "-m", "djvet", "check", "."])
    assert scenarios.run_problems(djvet, 2, "", own, 1) == [
        "djvet cold: traceback: KeyError: 1",
        "djvet cold: exit 2: " + own.strip(),
    ]
