"""Speed without changing what a run reports: the warm path, per-file invalidation by the index
facts each file read, --jobs, and cache hygiene (issue 7)."""

from __future__ import annotations

import json
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from djvet.cache import DIRNAME, MAGIC, Cache, code_stamp
from djvet.cli import main
from djvet.runner import Project, check_paths
from test_cache import check_json, entries

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "projects"
SRC = Path(__file__).resolve().parents[1] / "src"


@pytest.fixture
def bookshop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "bookshop"
    shutil.copytree(FIXTURES / "bookshop", root, ignore=shutil.ignore_patterns(DIRNAME, "__pycache__"))
    monkeypatch.chdir(root)
    monkeypatch.delenv("DJVET_NO_CACHE", raising=False)
    return root


def edit(root: Path, rel: str, old: str, new: str) -> None:
    path = root / rel
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{rel}: {old!r} not found"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def append(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


VIEW_WITH_LOOP = """

def book_report(request):
    for book in Book.objects.all():
        print(book.author.name)
"""

EDITS = [
    ("model field", lambda r: edit(r, "catalog/models/book.py", 'author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="books")', 'author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="written")')),
    ("serializer Meta", lambda r: edit(r, "catalog/serializers.py", 'fields = ["id", "name", "bio", "born"]  # djvet-ok: DJV301', 'fields = "__all__"')),
    ("REST_FRAMEWORK", lambda r: edit(r, "bookshop/settings/base.py", '"DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],', "")),
    ("URLconf", lambda r: edit(r, "catalog/urls.py", 'router.register(r"reviews", ReviewViewSet, basename="review")', "")),
    ("view body", lambda r: append(r, "catalog/views.py", VIEW_WITH_LOOP)),
    ("model field back", lambda r: edit(r, "catalog/models/book.py", 'related_name="written"', 'related_name="books"')),
    ("settings back", lambda r: edit(r, "bookshop/settings/base.py", "REST_FRAMEWORK = {", 'REST_FRAMEWORK = {\n    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],')),
    ("new file", lambda r: (r / "catalog/extra.py").write_text("from .models import Book\n" + VIEW_WITH_LOOP, encoding="utf-8")),
    ("file removed", lambda r: (r / "catalog/extra.py").unlink()),
]


def test_cached_output_equals_an_uncached_run_after_every_edit(bookshop, capsys):
    outputs = [check_json(capsys)]
    assert outputs[0] == check_json(capsys, "--no-cache")
    for name, change in EDITS:
        change(bookshop)
        cached = check_json(capsys)
        assert cached == check_json(capsys, "--no-cache"), f"after the {name} edit"
        assert check_json(capsys) == cached, f"warm after the {name} edit"
        outputs.append(cached)
    # the edits change what is reported, so a stale cache would have shown
    assert len(set(outputs)) >= 5


def checked_files(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []
    original = Project._check_file

    def spy(self, path, index=None):
        seen.append(path.relative_to(self.root).as_posix())
        return original(self, path, index)

    monkeypatch.setattr(Project, "_check_file", spy)
    return seen


def test_warm_run_checks_no_file_and_builds_no_index(bookshop, capsys, monkeypatch):
    cold = check_json(capsys)
    seen = checked_files(monkeypatch)
    import djvet.index.build as build

    monkeypatch.setattr(build, "build_index", lambda *a, **k: pytest.fail("a warm run must not build the index"))
    assert check_json(capsys) == cold
    assert seen == []


def test_a_view_body_edit_rechecks_that_file_and_the_files_that_read_it(bookshop, capsys, monkeypatch):
    check_json(capsys)
    seen = checked_files(monkeypatch)
    append(bookshop, "catalog/views.py", "\n\ndef helper():\n    return 1\n")
    check_json(capsys)
    assert sorted(seen) == RECHECKED_AFTER_VIEW_EDIT


def test_a_model_edit_rechecks_the_files_that_use_the_model_and_nothing_else(bookshop, capsys, monkeypatch):
    check_json(capsys)
    seen = checked_files(monkeypatch)
    edit(bookshop, "orders/models.py", "class Order(", "class Order(")  # nothing changes: nothing re-checked
    assert check_json(capsys)
    assert seen == []
    edit(bookshop, "catalog/models/author.py", "    bio = models.TextField(blank=True)\n", "    bio = models.TextField(blank=True)\n    nickname = models.CharField(max_length=20)\n")
    check_json(capsys)
    assert sorted(seen) == RECHECKED_AFTER_MODEL_EDIT


# Files whose recorded reads include the edited module's facts or text, or a project-wide result
# that changed: a function added to a view module changes nothing another file read; a field added
# to `Author` changes the facts of the files that serialize, list, administer or query authors.
RECHECKED_AFTER_VIEW_EDIT = ["catalog/views.py"]
RECHECKED_AFTER_MODEL_EDIT = [
    "accounts/serializers.py", "catalog/admin.py", "catalog/models/author.py", "catalog/serializers.py",
    "catalog/views.py", "orders/reports.py", "orders/serializers.py", "orders/views.py",
]  # fmt: skip


def test_jobs_and_file_order_do_not_change_the_output(bookshop, capsys):
    one = check_json(capsys, "--no-cache", "--jobs", "1")
    assert check_json(capsys, "--no-cache", "--jobs", "2") == one
    assert check_json(capsys, "--jobs", "2") == one  # cold cache, workers write entries
    assert check_json(capsys, "--jobs", "auto") == one  # warm
    paths = sorted(p.relative_to(bookshop).as_posix() for p in bookshop.rglob("*.py") if "migrations" not in p.parts)
    forward = main(["check", *paths, "--format", "json", "--no-timing", "--fail-on", "never", "--no-cache", "-j", "2"])
    out_forward = capsys.readouterr().out
    backward = main(["check", *reversed(paths), "--format", "json", "--no-timing", "--fail-on", "never", "--no-cache", "-j", "1"])
    assert forward == backward == 0
    assert capsys.readouterr().out == out_forward
    assert json.loads(out_forward)["findings"] == json.loads(one)["findings"]


def test_jobs_checks_files_in_worker_processes(bookshop, monkeypatch):
    import djvet.jobs as jobs

    monkeypatch.setattr(jobs, "MIN_FILES_PER_JOB", 1)
    calls = []
    real = jobs.multiprocessing.get_context

    def spy(method):
        calls.append(method)
        return real(method)

    monkeypatch.setattr(jobs.multiprocessing, "get_context", spy)
    serial = check_paths([Path(".")], cache=False, jobs=1)
    parallel = check_paths([Path(".")], cache=False, jobs=2)
    assert calls == ["fork"]
    assert parallel.findings == serial.findings and parallel.errors == serial.errors


@pytest.mark.parametrize("value, message", [("0", "expected a number of processes"), ("many", "expected a number of processes")])
def test_bad_jobs_is_a_usage_error(bookshop, capsys, value, message):
    with pytest.raises(SystemExit) as exc:
        main(["check", ".", "--jobs", value])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert f"argument -j/--jobs: {message} (1 or more) or 'auto'; got '{value}'" in err
    assert len(err.strip().splitlines()) == 1


def test_jobs_in_config(bookshop, capsys):
    (bookshop / "pyproject.toml").write_text('[tool.djvet]\njobs = "auto"\n', encoding="utf-8")
    assert check_json(capsys, "--no-cache")
    (bookshop / "pyproject.toml").write_text("[tool.djvet]\njobs = 0\n", encoding="utf-8")
    assert main(["check", ".", "--no-cache"]) == 2
    assert capsys.readouterr().err == (
        'djvet: pyproject.toml: [tool.djvet] jobs: expected a number of processes (1 or more) or "auto"; got 0\n'
    )


WARM_IMPORTS = """
import runpy, sys, io, contextlib
sys.argv = ["djvet", "check", ".", "--format", "json", "--no-timing", "--fail-on", "never"]
out = io.StringIO()
with contextlib.redirect_stdout(out):
    try:
        runpy.run_module("djvet", run_name="__main__")
    except SystemExit:
        pass
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("astroid", "pylint", "libcst", "yaml"))
index = sorted(m for m in sys.modules if m.startswith("djvet.index.") and m not in ("djvet.index.discover", "djvet.index.source"))
print(repr((heavy, index, out.getvalue().count('"code"'))))
"""


def test_warm_run_imports_no_heavy_module(bookshop):
    env = dict(os.environ, PYTHONPATH=str(SRC))
    env.pop("DJVET_NO_CACHE", None)
    command = [sys.executable, "-m", "djvet", "check", ".", "--format", "json", "--no-timing", "--fail-on", "never"]
    cold = subprocess.run(command, cwd=bookshop, env=env, capture_output=True, text=True, check=True).stdout
    done = subprocess.run([sys.executable, "-c", WARM_IMPORTS], cwd=bookshop, env=env, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == repr(([], [], cold.count('"code"')))


def test_a_planted_pickle_is_not_executed(tmp_path):
    cache = Cache.open(tmp_path)
    assert cache is not None
    marker = tmp_path / "pwned"
    cache.put("findings", "slot", "key", ("placeholder",))
    path = next(p for p in (tmp_path / DIRNAME).iterdir() if p.suffix == ".pickle")

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    header = MAGIC + code_stamp().encode() + b"\n" + b"key" + b"\n"
    path.write_bytes(header + pickle.dumps(Evil()))
    assert cache.get("findings", "slot", "key") == (False, None)
    assert not marker.exists()


def test_prune_keeps_the_newest_entries_and_removes_stale_temp_files(tmp_path):
    cache = Cache.open(tmp_path)
    assert cache is not None
    for n in range(10):
        cache.put("findings", f"slot{n}", "key", (n,))
        os.utime(cache._path("findings", f"slot{n}"), ns=(n * 10**9, n * 10**9))
    stale = tmp_path / DIRNAME / ".tmp-old.part"
    fresh = tmp_path / DIRNAME / ".tmp-new.part"
    stale.write_bytes(b"x")
    fresh.write_bytes(b"x")
    os.utime(stale, (0, 0))
    cache.prune(keep=3)
    assert [cache.get("findings", f"slot{n}", "key")[0] for n in range(10)] == [False] * 7 + [True] * 3
    assert not stale.exists() and fresh.exists()
    assert (tmp_path / DIRNAME / ".gitignore").exists()


def test_two_processes_sharing_a_cache_agree(bookshop, capsys):
    expected = check_json(capsys, "--no-cache")
    env = dict(os.environ, PYTHONPATH=str(SRC))
    env.pop("DJVET_NO_CACHE", None)
    cmd = [sys.executable, "-m", "djvet", "check", ".", "--format", "json", "--no-timing", "--fail-on", "never"]
    runs = [subprocess.Popen(cmd, cwd=bookshop, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [run.communicate()[0] for run in runs]
    assert outputs == [expected, expected]
    assert check_json(capsys) == expected
    assert not [p for p in (bookshop / DIRNAME).iterdir() if p.name.startswith(".tmp-")]


def test_a_tracked_index_records_keys_whole_mappings_and_root_reads(bookshop):
    from djvet.index.deps import ALL, NONEMPTY, Recording, track
    from djvet.runner import open_project

    index = open_project(bookshop, {}).index
    tracked = track(index)
    with Recording() as reads:
        assert "catalog.models.book.Book" in tracked.models
        assert tracked.models.get("nowhere.Model") is None
        assert bool(tracked.views)
    assert reads == {("models", "catalog.models.book.Book"), ("models", "nowhere.Model"), ("views", NONEMPTY)}
    with Recording() as reads:
        list(tracked.serializers.values())
        assert tracked.root == index.root  # read here, outside djvet.index: may open any file
    assert reads == {("serializers", ALL), ("project", ALL)}
    with Recording() as reads:
        assert tracked.settings is not None and tracked.settings.get("AUTH_USER_MODEL") == index.settings.get("AUTH_USER_MODEL")
    assert reads == {("settings-module", ALL), ("setting", "AUTH_USER_MODEL")}


def test_shared_results_are_read_by_key_and_recomputed_for_validation(bookshop):
    from djvet.index.admin import registrations
    from djvet.index.deps import Recording, track
    from djvet.runner import open_project

    project = open_project(bookshop, {}, cache=True)
    with Recording() as reads:
        found = registrations(track(project.index)).get("catalog.admin.BookAdmin")
    assert found == registrations(project.index)["catalog.admin.BookAdmin"]
    assert reads == {("shared:djvet.index.admin:_registrations", "catalog.admin.BookAdmin")}
    stamped = project.digests.stamp(reads)
    assert project.digests.still_valid(stamped)
    changed = tuple((ns, key, "0" * 32) for ns, key, _ in stamped)
    assert not project.digests.still_valid(changed)


def test_the_pylint_plugin_reuses_the_cache_of_djvet_check(bookshop, capsys, monkeypatch):
    from astroid.builder import AstroidBuilder
    from astroid.manager import AstroidManager
    from pylint.testutils import UnittestLinter

    import djvet.index.build as build
    import djvet.runner as runner
    from djvet.catalog import default_catalog
    from djvet.pylint import Analysis

    report = json.loads(check_json(capsys))
    expected = [(f["line"], f["code"], f["message"]) for f in report["findings"] if f["path"] == "catalog/views.py"]
    assert expected  # the file has findings to reuse

    def boom(*args, **kwargs):
        raise AssertionError("the plugin must not parse project files or build trees a warm cache holds")

    monkeypatch.setattr(build, "collect_file", boom)
    monkeypatch.setattr(runner, "build_tree", boom)
    # nor link the index again: the last `djvet check .` left its linked index, still valid
    monkeypatch.setattr(build, "build_index", boom)
    monkeypatch.setattr("djvet.index.linked.build_index", boom)
    module = AstroidBuilder(AstroidManager()).file_build(str(bookshop / "catalog/views.py"), "catalog.views")
    result = Analysis(UnittestLinter(), default_catalog()).analyze(module)
    assert [(f.line, f.code, f.message) for f in result.findings] == expected
    assert result.errors == []


LEGACY_MODEL = '''from django.db import models


class Shelf(models.Model):
    room = models.CharField(max_length=20)
    day = models.DateField()

    class Meta:
        index_together = [("room", "day")]

    def __str__(self):
        return self.room
'''


def test_a_changed_django_pin_is_seen_with_the_cache_on(bookshop, capsys):
    """DJV607's severity follows the Django version the requirement files state: a file that is not
    Python, so the warm run and each file's recorded reads must notice it changing."""
    (bookshop / "catalog" / "shelves.py").write_text(LEGACY_MODEL, encoding="utf-8")
    on_51 = check_json(capsys)
    assert '"DJV607"' in on_51 and '"error"' in on_51
    for rel, old, new in (("requirements.txt", "Django==5.1.4", "Django==4.2.16"), ("pyproject.toml", '"Django>=5.1,<5.2"', '"Django>=4.2,<5.0"')):
        edit(bookshop, rel, old, new)
    on_42 = check_json(capsys)
    assert on_42 == check_json(capsys, "--no-cache")
    assert on_42 != on_51  # index_together is a warning before Django 5.1, an error from 5.1


def _parses_by_astroid(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The modules astroid parses itself (instead of taking the tree the index parsed)."""
    import astroid.builder

    parsed: list[str] = []
    original = astroid.builder._parse_string

    def spy(data: str, type_comments: bool = True, modname: str | None = None) -> object:
        parsed.append(modname or "")
        return original(data, type_comments, modname)

    monkeypatch.setattr(astroid.builder, "_parse_string", spy)
    return parsed


def test_each_file_is_parsed_once_on_a_cold_run(bookshop, capsys, monkeypatch):
    expected = check_json(capsys, "--no-cache")
    parsed = _parses_by_astroid(monkeypatch)
    assert check_json(capsys, "--no-cache") == expected
    # every checked file's astroid tree was built from the index's `ast` tree; astroid parses only
    # the module `bookshop/settings/dev.py` star-imports, to bind the names it brings
    assert parsed == ["bookshop.settings.base"]


def test_past_the_tree_budget_files_are_parsed_again_with_the_same_findings(bookshop, capsys, monkeypatch):
    from djvet.index import build

    expected = check_json(capsys, "--no-cache")
    monkeypatch.setattr(build.Trees.__init__, "__defaults__", (0,))  # no text fits: keep no tree
    parsed = _parses_by_astroid(monkeypatch)
    assert check_json(capsys, "--no-cache") == expected
    assert "catalog.views" in parsed


def test_a_command_runs_with_the_collector_thresholds_and_restores_the_callers(bookshop, capsys, monkeypatch):
    import gc

    from djvet import cli

    seen = []
    real = cli.check_paths
    monkeypatch.setattr(cli, "check_paths", lambda *a, **k: (seen.append(gc.get_threshold()), real(*a, **k))[1])
    before = gc.get_threshold()
    check_json(capsys, "--no-cache")
    assert seen == [(50_000, 20, 100)]
    assert gc.get_threshold() == before
STAR_PROJECT = {
    "shop/__init__.py": "",
    "shop/base.py": "from .more import *\nTEMPLATE = 'a.html'\n",
    "shop/more.py": "EXTRA = 2\n",
    "shop/views.py": "from .base import *\n",
}


def star_run(root: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[list[str], list[str], set[tuple[str, object]]]:
    """One run's tree of shop/views.py as a recorded check builds it: (the names bound, the
    star-imported modules built with astroid, the reads recorded)."""
    from djvet.astro.build import ProjectBuilder, build_module
    from djvet.index.deps import Recording, track
    from djvet.runner import open_project

    built: list[str] = []
    original = ProjectBuilder._build_names

    def spy(self, index, module):  # type: ignore[no-untyped-def]
        built.append(module)
        return original(self, index, module)

    monkeypatch.setattr(ProjectBuilder, "_build_names", spy)
    project = open_project(root, {}, cache=True)
    with Recording() as reads:
        tree = build_module(STAR_PROJECT["shop/views.py"], "shop.views", str(root / "shop/views.py"), track(project.index))
    project.save_memos()
    return sorted(tree.locals), built, reads


def test_star_import_names_come_from_the_cache_until_a_star_imported_module_changes(tmp_path, monkeypatch):
    for rel, text in STAR_PROJECT.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text, encoding="utf-8")
    (tmp_path / ".git").mkdir()
    monkeypatch.delenv("DJVET_NO_CACHE", raising=False)
    names, built, reads = star_run(tmp_path, monkeypatch)
    assert (names, built) == (["EXTRA", "TEMPLATE"], ["shop.base", "shop.more"])
    assert {("text", "shop.base"), ("text", "shop.more")} <= reads
    # a later run (a new index) builds nothing and still records what the names depend on
    assert star_run(tmp_path, monkeypatch) == (names, [], reads)
    # the module star-imported by the star-imported module changes: both are built again
    (tmp_path / "shop/more.py").write_text("EXTRA = 2\nMORE = 3\n", encoding="utf-8")
    assert star_run(tmp_path, monkeypatch)[:2] == (["EXTRA", "MORE", "TEMPLATE"], ["shop.base", "shop.more"])
    assert star_run(tmp_path, monkeypatch)[:2] == (["EXTRA", "MORE", "TEMPLATE"], [])
    # the module itself changes: only it is built again (the names of shop.more are still valid)
    (tmp_path / "shop/base.py").write_text("from .more import *\nOTHER = 1\n", encoding="utf-8")
    assert star_run(tmp_path, monkeypatch)[:2] == (["EXTRA", "MORE", "OTHER"], ["shop.base"])


@pytest.mark.parametrize("damage", ["truncated", "garbage", "foreign class", "wrong shape", "stale digests"])
def test_a_damaged_or_stale_star_names_entry_is_not_used(tmp_path, monkeypatch, damage):
    from djvet.astro import stars

    for rel, text in STAR_PROJECT.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text, encoding="utf-8")
    (tmp_path / ".git").mkdir()
    monkeypatch.delenv("DJVET_NO_CACHE", raising=False)
    expected = star_run(tmp_path, monkeypatch)
    cache = Cache.open(tmp_path)
    assert cache is not None
    hit, value = cache.get(stars.KIND, stars.KIND, stars._key())
    assert hit and [item[0] for item in value] == ["shop.base", "shop.more"]  # type: ignore[union-attr]
    path = cache._path(stars.KIND, stars.KIND)
    header = MAGIC + code_stamp().encode() + b"\n" + stars._key().encode() + b"\n"
    if damage == "truncated":
        path.write_bytes(path.read_bytes()[:-30])
    elif damage == "garbage":
        path.write_bytes(header + b"\x80\x05garbage")
    elif damage == "foreign class":
        path.write_bytes(header + pickle.dumps((("shop.base", ("FAKE",), Path("x")),)))
    elif damage == "wrong shape":
        cache.put(stars.KIND, stars.KIND, stars._key(), (("shop.base", "FAKE"), "x"))
    else:  # names said to come from another text of shop.base: never used
        stale = tuple((m, ("FAKE",), tuple((ns, key, "0" * 32) for ns, key, _ in stamped)) for m, _, stamped in value)  # type: ignore[union-attr]
        cache.put(stars.KIND, stars.KIND, stars._key(), stale)
    assert star_run(tmp_path, monkeypatch) == (expected[0], ["shop.base", "shop.more"], expected[2])
    assert star_run(tmp_path, monkeypatch) == (expected[0], [], expected[2])  # and rewritten


def test_the_index_is_out_of_the_collectors_view_only_while_files_are_checked(bookshop, capsys, monkeypatch):
    import gc

    states: list[tuple[bool, bool]] = []
    original = Project._check_file

    def spy(self, path, index=None):  # type: ignore[no-untyped-def]
        states.append((gc.isenabled(), gc.get_freeze_count() > 0))
        return original(self, path, index)

    monkeypatch.setattr(Project, "_check_file", spy)
    assert gc.isenabled() and gc.get_freeze_count() == 0
    check_json(capsys, "--no-cache")
    assert states and set(states) == {(True, True)}  # collecting, with the index frozen
    assert gc.isenabled() and gc.get_freeze_count() == 0  # and given back afterwards


def link_count(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    from djvet.index import linked

    calls: list[int] = []
    original = linked.build_index

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(linked, "build_index", spy)
    return calls


def check_file_json(capsys: pytest.CaptureFixture[str], rel: str, *extra: str) -> str:
    code = main(["check", rel, "--format", "json", "--no-timing", "--fail-on", "never", *extra])
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


# (edit, whether the facts the index was linked from stay the same)
FACT_EDITS = [
    ("a comment appended", lambda r: append(r, "catalog/views.py", "# reviewed\n"), True),
    ("a space added inside a line", lambda r: edit(r, "orders/models.py", "class Order(", "class Order( "), True),
    ("True written as 1", lambda r: edit(r, "bookshop/settings/production.py", "SECURE_SSL_REDIRECT = True", "SECURE_SSL_REDIRECT = 1"), False),
    ("a function added", lambda r: append(r, "catalog/views.py", VIEW_WITH_LOOP), False),
    ("an entry file commented", lambda r: append(r, "manage.py", "# entry\n"), False),
]


@pytest.mark.parametrize("name, change, same", FACT_EDITS, ids=[e[0] for e in FACT_EDITS])
def test_the_last_whole_project_index_is_reused_while_every_file_has_the_same_facts(bookshop, capsys, monkeypatch, name, change, same):
    check_json(capsys)  # the whole project: keeps its linked index
    assert [p.name.split("-")[0] for p in entries(bookshop)].count("index") == 1
    calls = link_count(monkeypatch)
    change(bookshop)
    for rel in ("catalog/views.py", "orders/views.py"):
        cached = check_file_json(capsys, rel)
        assert cached == check_file_json(capsys, rel, "--no-cache"), rel
    assert len(calls) == (0 if same else 2)  # pre-commit runs write no index: each links again
    calls.clear()
    assert check_json(capsys) == check_json(capsys, "--no-cache")
    assert len(calls) == (0 if same else 1)


def test_a_damaged_index_entry_is_linked_again(bookshop, capsys, monkeypatch):
    expected = check_json(capsys, "--no-cache")
    check_json(capsys)
    path = next(p for p in entries(bookshop) if p.name.startswith("index-"))
    path.write_bytes(path.read_bytes()[:-100])
    calls = link_count(monkeypatch)
    append(bookshop, "catalog/views.py", "# reviewed\n")
    assert check_json(capsys) == expected
    assert calls == [1]


def test_a_run_over_one_file_writes_the_index_only_when_the_cache_has_none(bookshop, capsys, monkeypatch):
    check_file_json(capsys, "catalog/views.py")  # a fresh cache: nothing to link against
    assert [p.name.split("-")[0] for p in entries(bookshop)].count("index") == 1
    calls = link_count(monkeypatch)
    append(bookshop, "orders/views.py", "# reviewed\n")
    assert check_file_json(capsys, "orders/views.py") == check_file_json(capsys, "orders/views.py", "--no-cache")
    assert calls == []
    index_entry = next(p for p in entries(bookshop) if p.name.startswith("index-"))
    written = index_entry.stat().st_mtime_ns
    append(bookshop, "orders/views.py", VIEW_WITH_LOOP)  # new facts: linked again, the entry kept as it was
    assert check_file_json(capsys, "orders/views.py") == check_file_json(capsys, "orders/views.py", "--no-cache")
    assert calls == [1] and index_entry.stat().st_mtime_ns == written


def test_value_digests_are_those_of_the_recorded_reads_before_the_inline_scalars():
    """Digests stored in cache entries are compared across runs: the encoding is fixed (these
    were computed by the encoder before scalars were encoded inline)."""
    from pathlib import PurePosixPath

    from djvet.index.deps import value_digest
    from djvet.index.expr import UNKNOWN, Call, Const, Name
    from djvet.index.facts import Condition, FunctionInfo

    function = FunctionInfo(
        "f", "m.f", 1, 2, (Name("login_required"),), ("self",), False, frozenset({"x.y", "z"}), (Call(Name("a.b"), (Const("s"),), ()),)
    )
    value = (
        "a\u00e9'\"", 1, True, 1.5, None, b"x\x00", [1, "1"], frozenset({"b", "a", 3}), {"k": (Const(1), Const(True))},
        function, Condition("self.action", ("list",), negated=True), UNKNOWN, PurePosixPath("a/b"), (("nested", (1, (2, ("deep",)))),),
    )
    assert value_digest(value) == "706935722707ff1a58f34a54601e252b"
    assert [value_digest(v) for v in (("x",), 1, True)] == [
        "742e1ba0346ce6971886ba38f158444f", "d3c10eb2c3af51b75aabc68bcafaa068", "d510a0f0427ef13e3010ba25201dfddd"
    ]


BELOW_MIGRATIONS = {
    "catalog/migrations/__init__.py": "",
    "catalog/migrations/extra/__init__.py": "",
    "catalog/migrations/extra/models.py": (
        "from django.db import models\n\n\nclass Gadget(models.Model):\n"
        '    owner = models.ForeignKey("catalog.Author", on_delete=models.CASCADE)\n'
    ),
    "catalog/migrations/extra/views.py": (
        "from catalog.migrations.extra.models import Gadget\n\n\ndef gadgets():\n"
        "    for gadget in Gadget.objects.all():\n        print(gadget.owner.name)\n"
    ),
}


@pytest.mark.parametrize("runs", [[], ["catalog/migrations/extra/views.py"]], ids=["whole project", "pre-commit"])
def test_a_migrations_init_removed_renames_the_package_below_it_with_the_cache_on(bookshop, capsys, runs):
    """Module names depend on every __init__.py above a file, a migrations folder's included
    (build_index reads no migration): removing it renames `catalog.migrations.extra.models` to
    `extra.models`, so the import no longer names the model and the linked index of the last
    run must not be reused."""
    for rel, text in BELOW_MIGRATIONS.items():
        (bookshop / rel).parent.mkdir(parents=True, exist_ok=True)
        (bookshop / rel).write_text(text, encoding="utf-8")
    before = check_json(capsys)
    assert '"path": "catalog/migrations/extra/views.py"' in before
    (bookshop / "catalog/migrations/__init__.py").unlink()
    for rel in runs:
        assert check_file_json(capsys, rel) == check_file_json(capsys, rel, "--no-cache")
    after = check_json(capsys)
    assert after == check_json(capsys, "--no-cache")
    assert '"path": "catalog/migrations/extra/views.py"' not in after


MISPLACED_TYPE_COMMENT = """from catalog.models import Book


def titles():
    if True:  #type: int
        for book in Book.objects.all():
            print(book.author.name)
"""


def test_a_file_astroid_cannot_parse_for_its_type_comment_is_reported_alike_with_and_without_the_cache(bookshop, capsys):
    """astroid parses with type comments, and a misplaced one is its syntax error: the `ast` tree
    the index parsed without them (kept on a run without a cached index) must not hide that."""
    (bookshop / "catalog/typed.py").write_text(MISPLACED_TYPE_COMMENT, encoding="utf-8")
    check_file_json(capsys, "catalog/views.py")  # the index (with typed.py's facts) is cached
    cached = check_file_json(capsys, "catalog/typed.py")
    assert cached == check_file_json(capsys, "catalog/typed.py", "--no-cache")
    assert '"message": "syntax error: invalid syntax (line 5, column 22)"' in cached
    assert check_json(capsys) == check_json(capsys, "--no-cache")
