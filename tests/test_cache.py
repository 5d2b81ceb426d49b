"""The on-disk cache in <root>/.djvet_cache/: same output warm or cold, never stale, never trusted blindly."""

from __future__ import annotations

import os
import shutil
import stat
import sys
from pathlib import Path

import pytest

from djvet.cache import DIRNAME, MAGIC, Cache
from djvet.cli import main
from djvet.runner import check_paths

BOOKSHOP = Path(__file__).resolve().parents[1] / "fixtures" / "projects" / "bookshop"

MODELS = """\
from django.db import models


class Book(models.Model):
    title = models.CharField(max_length=100)
"""

BASE = """\
from rest_framework import serializers

from app.models import Book


class BaseBookSerializer(serializers.ModelSerializer):
    class Meta:
        model = Book
        fields = "__all__"
"""

SERIALIZERS = """\
from app.base import BaseBookSerializer


class BookSerializer(BaseBookSerializer):
    class Meta(BaseBookSerializer.Meta):
        pass
"""


def write_project(root: Path) -> Path:
    files = {
        "pyproject.toml": "[tool.djvet]\n",
        "app/__init__.py": "",
        "app/models.py": MODELS,
        "app/base.py": BASE,
        "app/serializers.py": SERIALIZERS,
    }
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


def check_json(capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    code = main(["check", ".", "--format", "json", "--no-timing", "--fail-on", "never", *extra])
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def entries(root: Path) -> list[Path]:
    return sorted(p for p in (root / DIRNAME).iterdir() if p.suffix == ".pickle")


@pytest.fixture
def bookshop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "bookshop"
    shutil.copytree(BOOKSHOP, root, ignore=shutil.ignore_patterns(DIRNAME, "__pycache__"))
    monkeypatch.chdir(root)
    monkeypatch.delenv("DJVET_NO_CACHE", raising=False)
    return root


def test_warm_run_is_byte_identical_to_cold_and_to_no_cache(bookshop, capsys):
    cold = check_json(capsys)
    assert (bookshop / DIRNAME / ".gitignore").read_text(encoding="utf-8") == "*\n"
    kinds = {p.name.split("-")[0] for p in entries(bookshop)}
    # stars: the settings modules star-import base.py; index: the linked index of a whole-project
    # run; catalog: unless an earlier test in this process read it
    assert kinds - {"catalog"} == {"module", "findings", "run", "stars", "index"}
    warm = check_json(capsys)
    uncached = check_json(capsys, "--no-cache")
    assert '"findings": [' in cold and '"code": "DJV' in cold
    assert warm == cold == uncached


def test_warm_run_skips_parsing_and_astroid(bookshop, capsys, monkeypatch):
    cold = check_json(capsys)
    import djvet.index.build as build
    import djvet.runner as runner

    def boom(*args, **kwargs):
        raise AssertionError("a warm run with nothing changed must not parse")

    monkeypatch.setattr(build, "collect_file", boom)
    monkeypatch.setattr(runner, "build_tree", boom)
    assert check_json(capsys) == cold


def test_no_cache_flag_and_environment_variable_write_nothing(bookshop, capsys, monkeypatch):
    check_json(capsys, "--no-cache")
    assert not (bookshop / DIRNAME).exists()
    monkeypatch.setenv("DJVET_NO_CACHE", "1")
    check_json(capsys)
    assert not (bookshop / DIRNAME).exists()


def test_editing_another_file_changes_a_serializers_findings_on_the_next_warm_run(tmp_path, monkeypatch, capsys):
    root = write_project(tmp_path / "p")
    monkeypatch.chdir(root)
    monkeypatch.delenv("DJVET_NO_CACHE", raising=False)

    def codes_by_path() -> list[tuple[str, str]]:
        report = check_paths([Path(".")])
        return [(f.path, f.code) for f in report.findings]

    assert codes_by_path() == [("app/base.py", "DJV301"), ("app/serializers.py", "DJV301")]
    assert codes_by_path() == [("app/base.py", "DJV301"), ("app/serializers.py", "DJV301")]  # warm
    (root / "app/base.py").write_text(BASE.replace('fields = "__all__"', 'fields = ["title"]'), encoding="utf-8")
    assert codes_by_path() == []  # serializers.py did not change, its findings did
    assert check_paths([Path(".")], cache=False).findings == []
    (root / "app/base.py").write_text(BASE, encoding="utf-8")
    assert codes_by_path() == [("app/base.py", "DJV301"), ("app/serializers.py", "DJV301")]


def test_a_changed_config_is_not_served_old_findings(bookshop, capsys):
    everything = check_json(capsys)
    fewer = check_json(capsys, "--ignore", "DJV301")
    assert fewer == check_json(capsys, "--ignore", "DJV301", "--no-cache")
    assert fewer != everything
    assert check_json(capsys) == everything


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda data: b"", id="empty"),
        pytest.param(lambda data: data[: len(data) // 2], id="truncated"),
        pytest.param(lambda data: b"garbage \x00\xff" * 50, id="garbage"),
        pytest.param(lambda data: data[: len(MAGIC)] + b"0.0.0-other" + data[len(MAGIC) :], id="wrong-version"),
        pytest.param(lambda data: data[:-20] + b"\x00" * 20, id="corrupt-pickle"),
        pytest.param(lambda data: data.replace(MAGIC, b"NOTDJVET\n", 1), id="foreign"),
    ],
)
def test_a_damaged_cache_entry_is_ignored_and_rebuilt(bookshop, capsys, damage):
    cold = check_json(capsys)
    for path in entries(bookshop):
        path.write_bytes(damage(path.read_bytes()))
    assert check_json(capsys) == cold
    # rebuilt: the entries load again
    assert check_json(capsys) == cold
    assert all(p.read_bytes().startswith(MAGIC) for p in entries(bookshop))


def test_an_entry_of_the_wrong_type_is_a_miss(tmp_path):
    cache = Cache.open(tmp_path)
    assert cache is not None
    cache.put("findings", "slot", "key", ("not", "a", "result"))
    assert cache.get("findings", "slot", "key") == (True, ("not", "a", "result"))
    assert cache.get("findings", "slot", "other-key") == (False, None)
    assert cache.get("findings", "missing", "key") == (False, None)


@pytest.mark.skipif(sys.platform == "win32" or (hasattr(os, "geteuid") and os.geteuid() == 0), reason="needs POSIX permissions, not root")
def test_a_cache_folder_that_cannot_be_written_is_silently_skipped(bookshop, capsys):
    cold = check_json(capsys, "--no-cache")
    # the project folder is read-only: no cache folder can be made
    bookshop.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        assert check_json(capsys) == cold
        assert not (bookshop / DIRNAME).exists()
    finally:
        bookshop.chmod(stat.S_IRWXU)
    # the cache folder exists but is read-only: entries cannot be written
    (bookshop / DIRNAME).mkdir()
    (bookshop / DIRNAME).chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        assert check_json(capsys) == cold
        assert check_json(capsys) == cold
        assert entries(bookshop) == []
    finally:
        (bookshop / DIRNAME).chmod(stat.S_IRWXU)


def test_a_cache_path_that_is_a_file_is_silently_skipped(bookshop, capsys):
    cold = check_json(capsys, "--no-cache")
    (bookshop / DIRNAME).write_text("not a folder", encoding="utf-8")
    assert check_json(capsys) == cold
    assert (bookshop / DIRNAME).read_text(encoding="utf-8") == "not a folder"


def test_fix_accepts_no_cache(tmp_path, monkeypatch, capsys):
    root = write_project(tmp_path / "p")
    monkeypatch.chdir(root)
    assert main(["fix", ".", "--diff", "--no-cache"]) == 0
    assert not (root / DIRNAME).exists()


def test_a_cache_that_cannot_be_written_still_gives_the_same_output(bookshop, capsys, monkeypatch):
    """Like a read-only folder, for any user (root included): every write fails."""
    cold = check_json(capsys, "--no-cache")

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("djvet.cache.os.replace", refuse)
    assert check_json(capsys) == cold
    assert check_json(capsys) == cold
    assert entries(bookshop) == []
    assert [p.name for p in (bookshop / DIRNAME).iterdir() if p.name.startswith(".tmp-")] == []


def test_pylint_plugin_projects_do_not_use_the_cache(bookshop):
    from djvet.runner import open_project

    assert open_project(bookshop, {}).cache is None
    assert open_project(bookshop, {}, overrides={"app/x.py": "x = 1\n"}, cache=True).cache is None
