"""`fixtures/rules/DJVnnn.fixed.py` is exactly what `djvet fix` makes of `DJVnnn.py`, and fixing
the fixed file changes nothing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from djvet.cli import main

RULES = Path(__file__).resolve().parents[1] / "fixtures" / "rules"
FIXED = sorted(RULES.glob("DJV*.fixed.py"))


def _fix_copy(source: Path, tmp_path: Path) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text("[tool.djvet]\n", encoding="utf-8")
    if (RULES / "templates").is_dir():
        shutil.copytree(RULES / "templates", project / "templates")
    target = project / source.name.replace(".fixed", "")
    shutil.copyfile(source, target)
    assert main(["fix", str(target), "--unsafe-fixes"]) in (0, 1)
    return target


@pytest.mark.parametrize("fixed", FIXED, ids=lambda p: p.name)
def test_fix_turns_the_fixture_into_its_fixed_twin(fixed: Path, tmp_path: Path) -> None:
    original = RULES / fixed.name.replace(".fixed.py", ".py")
    target = _fix_copy(original, tmp_path)
    assert target.read_text(encoding="utf-8") == fixed.read_text(encoding="utf-8")


@pytest.mark.parametrize("fixed", FIXED, ids=lambda p: p.name)
def test_fixing_the_fixed_twin_changes_nothing(fixed: Path, tmp_path: Path) -> None:
    target = _fix_copy(fixed, tmp_path)
    assert target.read_text(encoding="utf-8") == fixed.read_text(encoding="utf-8")


@pytest.mark.parametrize("fixed", FIXED, ids=lambda p: p.name)
def test_the_fixed_twin_has_no_finding_of_its_rule(fixed: Path, tmp_path: Path) -> None:
    from djvet.runner import check_paths

    code = fixed.name.split(".")[0]
    project = tmp_path / "twin"
    project.mkdir()
    (project / "pyproject.toml").write_text("[tool.djvet]\n", encoding="utf-8")
    if (RULES / "templates").is_dir():
        shutil.copytree(RULES / "templates", project / "templates")
    shutil.copyfile(fixed, project / f"{code}.py")
    report = check_paths([project / f"{code}.py"], {"select": [code]})
    assert [(f.line, f.code) for f in report.findings if f.edit is not None] == []
