"""The cache after any sequence of edits: hypothesis draws sequences of edits to a copy of the
bookshop fixture (a view added, a model field changed, a package's __init__.py removed, a settings
value written as 1 instead of True, a star-imported module's names changed, a file that stops
parsing, ...) and after every edit the cached whole-project run and the cached one-file run (the
pre-commit path) must print exactly what `--no-cache` prints (issue 7: the linked index, star
names, per-file findings and the run record are all reused only while still valid).

Derandomized, so CI sees the same sequences every time; DJVET_FUZZ_EXAMPLES=200 hunts longer."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from djvet.cache import DIRNAME
from djvet.cli import main

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "projects"
EXAMPLES = int(os.environ.get("DJVET_FUZZ_EXAMPLES", "20"))

LOOP_VIEW = "\n\ndef added_report(request):\n    for book in Book.objects.all():\n        print(book.author.name)\n"
EXTRA_MODULE = "from catalog.models import Book\n\n\ndef extra(request):\n    for book in Book.objects.all():\n        print(book.publisher.name)\n"
STAR_MODULE = "from catalog.models.book import *\n\n\ndef starred(request):\n    for book in Book.objects.all():\n        print(book.author.name)\n"


def _toggle_text(rel: str, old: str, new: str) -> Callable[[Path], None]:
    """Replace `old` by `new` in the file, or back when `new` is there (neither may be empty)."""

    def edit(root: Path) -> None:
        path = root / rel
        text = path.read_text(encoding="utf-8")
        if old in text:
            text = text.replace(old, new, 1)
        elif new in text:
            text = text.replace(new, old, 1)
        path.write_text(text, encoding="utf-8")

    return edit


def _toggle_file(rel: str, content: str) -> Callable[[Path], None]:
    """Create the file, or remove it when it is there (a removed fixture file comes back as it was)."""

    def edit(root: Path) -> None:
        path = root / rel
        if path.exists():
            path.unlink()
        else:
            original = FIXTURES / "bookshop" / rel
            path.write_text(original.read_text(encoding="utf-8") if original.exists() else content, encoding="utf-8")

    return edit


def _append(rel: str, text: str) -> Callable[[Path], None]:
    def edit(root: Path) -> None:
        path = root / rel
        path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")

    return edit


EDITS: dict[str, Callable[[Path], None]] = {
    "view with a loop appended": _append("catalog/views.py", LOOP_VIEW),
    "comment appended": _append("orders/views.py", "\n# reviewed\n"),
    "related_name renamed": _toggle_text("catalog/models/book.py", 'related_name="books"', 'related_name="written"'),
    "permission default removed": _toggle_text(
        "bookshop/settings/base.py",
        '"DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],',
        "# no default permission classes",
    ),
    "DEBUG written as 1": _toggle_text("bookshop/settings/dev.py", "DEBUG = True", "DEBUG = 1"),
    "module added or removed": _toggle_file("catalog/extra.py", EXTRA_MODULE),
    "star importer added or removed": _toggle_file("catalog/starred.py", STAR_MODULE),
    "star-imported names narrowed": _toggle_text("catalog/models/book.py", "class BookQuerySet", '__all__ = ["Tag"]\n\n\nclass BookQuerySet'),
    "package __init__ removed": _toggle_file("orders/__init__.py", ""),
    "syntax error": _toggle_text("accounts/views.py", "\ndef ", "\ndef broken(:\n    pass\n\n\ndef "),
    "field added to a model": _toggle_text(
        "catalog/models/book.py",
        "class Tag(models.Model):\n",
        "class Tag(models.Model):\n    label = models.CharField(max_length=10, null=True)\n",
    ),
}


def _run(root: Path, *args: str) -> str:
    out = io.StringIO()
    previous = os.getcwd()
    os.chdir(root)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
            code = main(["check", *args, "--format", "json", "--no-timing", "--fail-on", "never"])
    finally:
        os.chdir(previous)
    assert code == 0
    return out.getvalue()


@pytest.fixture
def make_copy(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Callable[[], Path]:
    monkeypatch.delenv("DJVET_NO_CACHE", raising=False)

    def copy() -> Path:
        root = tmp_path_factory.mktemp("sequence") / "bookshop"
        shutil.copytree(FIXTURES / "bookshop", root, ignore=shutil.ignore_patterns(DIRNAME, "__pycache__", ".djvet", "claudedocs"))
        return root

    return copy


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(sorted(EDITS)), min_size=1, max_size=4))
def test_every_cached_run_prints_what_an_uncached_run_prints(make_copy, edits):
    root = make_copy()
    _run(root, ".")  # a whole-project run fills the cache (linked index, star names, findings)
    for name in edits:
        EDITS[name](root)
        for target in (".", "catalog/views.py"):
            assert _run(root, target) == _run(root, target, "--no-cache"), f"after {edits[: edits.index(name) + 1]}, check {target}"
