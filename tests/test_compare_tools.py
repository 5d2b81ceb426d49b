"""benchmarks/compare_tools.py: the mapping read from docs/comparison.md and the counting, on canned JSON."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("compare_tools", ROOT / "benchmarks" / "compare_tools.py")
assert _spec and _spec.loader
compare_tools = importlib.util.module_from_spec(_spec)
sys.modules["compare_tools"] = compare_tools  # dataclasses look their module up by name
_spec.loader.exec_module(compare_tools)

TABLE = textwrap.dedent(
    """\
    | tool | check | what it checks | djvet | notes |
    |---|---|---|---|---|
    | ruff | `S608` | SQL built from strings | DJV401 | only where it reaches `raw()` |
    | ruff | `S308` | every `mark_safe` | DJV402 | |
    | ruff | `S602`, `S603` | subprocess | — | not covered: a gap |
    | bandit | `B703` | mark_safe on a variable | DJV402, DJV403 | |
    | bandit | `B105` | hard-coded password | DJV502 | |
    | check --deploy | `security.W006` | nosniff | DJV511+ (pending) | |
    | pylint-django | `W5104` | `a \\| b` in a cell | DJV304 | |

    Not a table line.

    | tool | check | findings | in tests | in migrations | djvet counterpart | djvet findings |
    |---|---|---:|---:|---:|---|---:|
    | ruff | S999 | 3 | 0 | 0 | DJV999 | 0 |
    """
)

BANDIT = {
    "errors": [],
    "results": [
        {"test_id": "B703", "filename": "./shop/views.py", "line_number": 12},
        {"test_id": "B703", "filename": "./shop/tests/test_views.py", "line_number": 3},
        {"test_id": "B105", "filename": "./shop/migrations/0001_initial.py", "line_number": 7},
        {"test_id": "B101", "filename": "./shop/tests.py", "line_number": 1},
    ],
}
RUFF = [
    {"code": "S608", "filename": "/corpus/shop/db.py", "location": {"row": 4, "column": 9}},
    {"code": "S608", "filename": "/corpus/shop/test_db.py", "location": {"row": 8, "column": 9}},
    {"code": None, "filename": "/corpus/shop/broken.py", "location": {"row": 1, "column": 1}},
    {"code": "S602", "filename": "/corpus/shop/run.py", "location": {"row": 2, "column": 1}},
]
DJVET = {"findings": [{"code": "DJV402"}, {"code": "DJV402"}, {"code": "DJV403"}, {"code": "DJV301"}]}


def test_mapping_reads_each_check_id_and_only_allocated_codes_of_the_check_table() -> None:
    assert compare_tools.load_mapping(TABLE) == {
        ("ruff", "S608"): ("DJV401",),
        ("ruff", "S308"): ("DJV402",),
        ("ruff", "S602"): (),
        ("ruff", "S603"): (),
        ("bandit", "B703"): ("DJV402", "DJV403"),
        ("bandit", "B105"): ("DJV502",),
        ("check --deploy", "security.W006"): (),
        ("pylint-django", "W5104"): ("DJV304",),
    }


def test_bandit_and_ruff_reports_become_hits_relative_to_the_project() -> None:
    root = Path("/corpus")
    bandit = compare_tools.parse_bandit(BANDIT, root)
    ruff = compare_tools.parse_ruff(RUFF, root)
    assert [(h.tool, h.check, h.path, h.line) for h in bandit + ruff] == [
        ("bandit", "B703", "shop/views.py", 12),
        ("bandit", "B703", "shop/tests/test_views.py", 3),
        ("bandit", "B105", "shop/migrations/0001_initial.py", 7),
        ("bandit", "B101", "shop/tests.py", 1),
        ("ruff", "S608", "shop/db.py", 4),
        ("ruff", "S608", "shop/test_db.py", 8),
        ("ruff", "S602", "shop/run.py", 2),
    ]


@pytest.mark.parametrize(
    ("path", "test", "migration"),
    [
        ("shop/tests/test_views.py", True, False),
        ("tests/helpers.py", True, False),
        ("shop/tests.py", True, False),
        ("shop/views_test.py", True, False),
        ("conftest.py", True, False),
        ("shop/migrations/0001_initial.py", False, True),
        ("shop/contest.py", False, False),
        ("shop/testimonials/views.py", False, False),
        ("migrations.py", False, False),
    ],
)
def test_test_and_migration_paths(path: str, test: bool, migration: bool) -> None:
    assert (compare_tools.is_test_path(path), compare_tools.is_migration_path(path)) == (test, migration)


def test_counts_per_check_with_djvet_counterpart_and_the_rest() -> None:
    mapping = compare_tools.load_mapping(TABLE)
    root = Path("/corpus")
    hits = compare_tools.parse_bandit(BANDIT, root) + compare_tools.parse_ruff(RUFF, root)
    rows = compare_tools.count_rows(hits, compare_tools.parse_djvet(DJVET), mapping)
    assert compare_tools.render_rows(rows) == textwrap.dedent(
        """\
        | tool | check | findings | in tests | in migrations | djvet counterpart | djvet findings |
        |---|---|---:|---:|---:|---|---:|
        | ruff | S308 | 0 | 0 | 0 | DJV402 | 2 |
        | ruff | S608 | 2 | 1 | 0 | DJV401 | 0 |
        | ruff | other S and DJ rules | 1 | 0 | 0 | — | — |
        | bandit | B105 | 1 | 0 | 1 | DJV502 | 0 |
        | bandit | B703 | 2 | 1 | 0 | DJV402, DJV403 | 3 |
        | bandit | other tests | 1 | 1 | 0 | — | — |
        """
    )


def test_totals_add_projects_and_the_summary_counts_each_djvet_rule_once() -> None:
    mapping = compare_tools.load_mapping(TABLE)
    root = Path("/corpus")
    hits = compare_tools.parse_bandit(BANDIT, root) + compare_tools.parse_ruff(RUFF, root)
    djvet = {"a": compare_tools.parse_djvet(DJVET), "b": Counter()}
    per_project = {
        "a": compare_tools.count_rows(hits, djvet["a"], mapping),
        "b": compare_tools.count_rows([], djvet["b"], mapping),
    }
    total = compare_tools.sum_rows(list(per_project.values()))
    assert [(r.check, r.findings, r.djvet) for r in total] == [
        ("S308", 0, 2),
        ("S608", 2, 0),
        ("other S and DJ rules", 1, None),
        ("B105", 1, 0),
        ("B703", 2, 3),
        ("other tests", 1, None),
    ]
    assert compare_tools.render_summary(per_project, djvet).splitlines()[2:] == [
        "| a | 2 | 3 | 3 | 1 | 1 |",
        "| b | 0 | 0 | 0 | 0 | 0 |",
    ]


def test_skipped_djvet_is_a_dash_not_a_zero() -> None:
    rows = compare_tools.count_rows([], None, compare_tools.load_mapping(TABLE))
    assert compare_tools.render_rows(rows).splitlines()[2] == "| ruff | S308 | 0 | 0 | 0 | DJV402 | — |"


def test_write_doc_replaces_only_the_marked_block(tmp_path: Path) -> None:
    doc = tmp_path / "comparison.md"
    doc.write_text(f"intro\n{compare_tools.BEGIN}\nold\n{compare_tools.END}\nafter\n", encoding="utf-8")
    compare_tools.write_doc("new table\n", doc)
    assert doc.read_text(encoding="utf-8") == (
        f"intro\n{compare_tools.BEGIN}\nnew table\n{compare_tools.END}\nafter\n"
    )


def test_the_doc_maps_the_overlapping_checks() -> None:
    mapping = compare_tools.load_mapping((ROOT / "docs" / "comparison.md").read_text(encoding="utf-8"))
    assert mapping[("ruff", "S608")] == ("DJV401",)
    assert mapping[("bandit", "B703")] == ("DJV402",)
    assert mapping[("ruff", "DJ006")] == ("DJV304",)
    assert mapping[("check --deploy", "security.W019")] == ("DJV511",)
    assert mapping[("ruff", "S603")] == ()


@pytest.mark.skipif(shutil.which("ruff") is None, reason="ruff is not installed")
def test_the_doc_lists_every_ruff_dj_and_s_rule() -> None:
    out = subprocess.run(["ruff", "rule", "--all", "--output-format", "json"], capture_output=True, text=True, check=True)
    codes = {r["code"] for r in json.loads(out.stdout) if r["linter"] in ("flake8-django", "flake8-bandit")}
    mapping = compare_tools.load_mapping((ROOT / "docs" / "comparison.md").read_text(encoding="utf-8"))
    assert sorted(codes - {check for tool, check in mapping if tool == "ruff"}) == []


def test_the_doc_lists_every_bandit_test() -> None:
    extension_loader = pytest.importorskip("bandit.core.extension_loader")
    ids = set(extension_loader.MANAGER.plugins_by_id) | set(extension_loader.MANAGER.blacklist_by_id)
    mapping = compare_tools.load_mapping((ROOT / "docs" / "comparison.md").read_text(encoding="utf-8"))
    assert sorted(ids - {check for tool, check in mapping if tool == "bandit"}) == []
