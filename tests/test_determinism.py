"""The same input gives byte-identical output: run after run, cold cache, warm cache or none, in any
order of the paths on the command line, and in processes with different hash seeds."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from djvet.cli import main
from test_robustness import checked_files

REPO = Path(__file__).resolve().parents[1]
PROJECTS = sorted(p for p in (REPO / "fixtures" / "projects").iterdir() if p.is_dir())
FORMATS = [["--format", "text"], ["--format", "json", "--no-timing"], ["--format", "sarif"], ["--format", "github"]]


@pytest.fixture(params=PROJECTS, ids=lambda p: p.name)
def project(request, tmp_path, monkeypatch) -> Path:
    root = tmp_path / request.param.name
    shutil.copytree(request.param, root, ignore=shutil.ignore_patterns(".djvet_cache", "__pycache__"))
    monkeypatch.chdir(root)
    return root


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["check", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def outputs(capsys: pytest.CaptureFixture[str], *argv: str, formats: list[list[str]] = FORMATS) -> list[tuple[int, str, str]]:
    """(exit code, stdout, stderr) in each format, for one set of paths and options."""
    return [run(capsys, *fmt, *argv) for fmt in formats]


def test_cold_warm_and_no_cache_runs_print_the_same_bytes(project, capsys):
    no_cache = outputs(capsys, "--no-cache", ".")
    assert outputs(capsys, "--no-cache", ".") == no_cache
    cold = outputs(capsys, ".")  # the first format fills the cache, the other three read it
    assert (project / ".djvet_cache").is_dir()
    warm = outputs(capsys, ".")
    assert cold == no_cache
    assert warm == no_cache
    assert any(out for _, out, _ in no_cache)  # every fixture project has something to say


def test_the_order_of_the_paths_does_not_change_the_output(project, capsys):
    rels = sorted(p.relative_to(project).as_posix() for p in checked_files(project))
    shuffled = rels[:]
    random.Random(7).shuffle(shuffled)
    folders = sorted({rel.split("/")[0] for rel in rels if "/" in rel})
    text_and_json = FORMATS[:2]  # sarif and github render the same report
    in_order = outputs(capsys, "--no-cache", *rels, formats=text_and_json)
    assert outputs(capsys, "--no-cache", *reversed(rels), formats=text_and_json) == in_order
    assert outputs(capsys, "--no-cache", *shuffled, formats=text_and_json) == in_order
    assert outputs(capsys, *shuffled, formats=text_and_json) == in_order  # cold cache, then warm
    assert outputs(capsys, *reversed(rels), formats=text_and_json) == in_order  # warm cache
    assert outputs(capsys, "--no-cache", *rels, *reversed(rels), formats=text_and_json) == in_order  # every file twice
    top = [rel for rel in rels if "/" not in rel]
    assert outputs(capsys, "--no-cache", *reversed(folders), *top, formats=text_and_json) == in_order
    assert outputs(capsys, "--no-cache", ".", formats=text_and_json) == in_order


def test_processes_with_different_hash_seeds_print_the_same_bytes(tmp_path):
    """Set and dict order of strings changes with PYTHONHASHSEED; the output must not."""
    root = tmp_path / "bookshop"
    shutil.copytree(REPO / "fixtures" / "projects" / "bookshop", root)
    results = []
    for seed, cache in (("0", "--no-cache"), ("1", "--no-cache"), ("2", None)):
        env = dict(os.environ, PYTHONPATH=str(REPO / "src"), PYTHONHASHSEED=seed)
        argv = [sys.executable, "-m", "djvet", "check", "--format", "json", "--no-timing", *([cache] if cache else []), "."]
        result = subprocess.run(argv, cwd=root, env=env, capture_output=True, timeout=120, check=False)
        results.append((result.returncode, result.stdout, result.stderr))
    assert results[0][1].count(b'"code"') > 10
    assert results[1:] == results[:1] * 2
