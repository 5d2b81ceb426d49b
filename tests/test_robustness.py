"""Files djvet cannot analyze become `errors` entries and a line on stderr, never a crash, and the
rest of the project is still checked."""

from __future__ import annotations

import ast
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from djvet.cli import main
from djvet.index.discover import DEFAULT_EXCLUDES, iter_python_files, matches_any
from djvet.index.source import MAX_FILE_BYTES
from djvet.rule import load_rule_classes
from djvet.runner import check_paths

REPO = Path(__file__).resolve().parents[1]
BOOKSHOP = REPO / "fixtures" / "projects" / "bookshop"
RULE_FIXTURES = REPO / "fixtures" / "rules"

MODELS = '''\
from django.db import models


class Book(models.Model):
    title = models.CharField(max_length=200)
    price = models.IntegerField()
'''
SERIALIZERS = '''\
from rest_framework import serializers
from app.models import Book


class BookSerializer(serializers.ModelSerializer):
    class Meta:
        model = Book
        fields = "__all__"


class BookExcludeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Book
        exclude = ["price"]
'''
LINE_301 = 'app/serializers.py:8:9: DJV301 `BookSerializer` exposes every field of `Book` (`fields = "__all__"` in `BookSerializer.Meta`)'
LINE_302 = (
    "app/serializers.py:14:9: DJV302 `BookExcludeSerializer` exposes every field of `Book` "
    "not named in `BookExcludeSerializer.Meta.exclude`"
)
DEEP = "cannot parse: nested too deeply to analyze"


def write_project(root: Path, files: dict[str, bytes | str]) -> Path:
    (root / "pyproject.toml").write_text("[tool.djvet]\n", encoding="utf-8")
    contents: dict[str, bytes | str] = {"app/__init__.py": "", "app/models.py": MODELS, "app/serializers.py": SERIALIZERS}
    contents.update(files)
    for rel, data in contents.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, encoding="utf-8")
    return root


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def lines(*items: str) -> str:
    return "".join(f"{item}\n" for item in items)


def python_says(data: bytes) -> str:
    """djvet's message for a file Python itself refuses to parse: Python's words, Python's place."""
    try:
        compile(data, "bad.py", "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
    except SyntaxError as exc:
        where = f" (line {exc.lineno}, column {exc.offset})" if exc.lineno else ""
        return f"syntax error: {exc.msg}{where}"
    except (RecursionError, MemoryError):
        return DEEP
    except ValueError as exc:
        return f"cannot parse: {exc}"
    raise AssertionError("this case was meant not to compile")


def _nested_ifs(depth: int) -> bytes:
    body = "".join("    " * i + "if x:\n" for i in range(depth)) + "    " * depth + "pass\n"
    return body.encode()


def _newer_syntax() -> bytes:
    """Syntax the running Python does not know yet."""
    if sys.version_info < (3, 12):
        return b"def first[T](items: list[T]) -> T:\n    return items[0]\n"  # PEP 695, Python 3.12
    if sys.version_info < (3, 14):
        return b"try:\n    pass\nexcept ValueError, TypeError:\n    pass\n"  # PEP 758, Python 3.14
    pytest.skip("no syntax newer than this Python to try")


# name -> the bad file's bytes, and its expected errors entry (None: analyzed fine)
BAD_FILES = {
    "syntax-error": lambda: (data := b"def f(:\n    pass\n", python_says(data)),
    "newer-syntax": lambda: (data := _newer_syntax(), python_says(data)),
    "tabs-and-spaces": lambda: (data := b"if x:\n\tpass\n        pass\n", python_says(data)),
    "undecodable": lambda: (b"\xff\xfe\x00x = 1\n", "cannot decode: invalid or missing encoding declaration"),
    "invalid-utf8": lambda: (b"x = 1\ny = '\xe9'\n", "cannot decode as utf-8: invalid continuation byte"),
    "unknown-cookie": lambda: (b"# -*- coding: klingon -*-\nx = 1\n", "cannot decode: unknown encoding: klingon"),
    "nul-byte": lambda: (data := b"x = 1\x00\n", python_says(data)),
    "two-boms": lambda: (data := b"\xef\xbb\xbf\xef\xbb\xbfx = 1\n", python_says(data)),
    "empty": lambda: (b"", None),
    "only-a-comment": lambda: (b"# nothing here", None),
    "latin-1-cookie": lambda: (b"# -*- coding: latin-1 -*-\nname = 'caf\xe9'\n", None),
    "too-big": lambda: (
        b"x = 1\n" * (3 * 1024 * 1024 // 6) + b"#" * (3 * 1024 * 1024 % 6),
        f"skipped: 3072 KiB is larger than the {MAX_FILE_BYTES // 1024} KiB limit for one file",
    ),
    "100-nested-ifs": lambda: (data := _nested_ifs(100), python_says(data)),
    "1000-nested-parens": lambda: (data := b"x = " + b"(" * 1000 + b"1" + b")" * 1000 + b"\n", python_says(data)),
    "50000-terms": lambda: (b"x = " + b"+".join([b"1"] * 50_000) + b"\n", DEEP),
}


@pytest.fixture(params=[False, True], ids=["plain", "with-Meta"])
def meta_suffix(request: pytest.FixtureRequest) -> bytes:
    """With "Meta" in the text the serializer rules apply, so the file goes through astroid too."""
    return b"\nclass Meta:\n    pass\n" if request.param else b""


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_a_bad_file_is_an_error_entry_and_the_rest_is_checked(tmp_path, monkeypatch, capsys, case, meta_suffix):
    data, message = BAD_FILES[case]()
    if case == "too-big":
        meta_suffix = b""  # keep the size exact
    data += meta_suffix
    if message is not None and message.startswith("syntax error") and meta_suffix:
        message = python_says(data)
    monkeypatch.chdir(write_project(tmp_path, {"app/bad.py": data}))

    code, out, err = run(capsys, "check")
    assert out == lines(LINE_301, LINE_302)
    if message is None:
        assert err == lines("djvet: 2 findings in 4 files")
    else:
        assert err == lines(f"app/bad.py: {message}", "djvet: 2 findings in 4 files, 1 file not analyzed")
    assert code == 1

    code, out, err = run(capsys, "check", "--format", "json", "--no-timing")
    document = json.loads(out)
    assert [(f["path"], f["line"], f["code"]) for f in document["findings"]] == [
        ("app/serializers.py", 8, "DJV301"),
        ("app/serializers.py", 14, "DJV302"),
    ]
    assert document["errors"] == ([] if message is None else [{"path": "app/bad.py", "message": message}])
    assert "Traceback" not in err
    assert code == 1


def test_fifty_thousand_terms_do_not_crash_whatever_python_can_parse(tmp_path, monkeypatch, capsys):
    data = b"class Meta:\n    pass\nx = " + b"+".join([b"1"] * 50_000) + b"\n"
    monkeypatch.chdir(write_project(tmp_path, {"app/bad.py": data}))
    code, out, err = run(capsys, "check")
    assert out == lines(LINE_301, LINE_302)
    assert err in (
        lines("djvet: 2 findings in 4 files"),
        lines(f"app/bad.py: {DEEP}", "djvet: 2 findings in 4 files, 1 file not analyzed"),
    )
    assert code == 1


def test_a_dangling_symlink_is_an_error_entry(tmp_path, monkeypatch, capsys):
    write_project(tmp_path, {})
    try:
        os.symlink("nowhere.py", tmp_path / "app" / "dangling.py")
    except OSError:
        pytest.skip("no symlinks here")
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "check")
    assert out == lines(LINE_301, LINE_302)
    assert err == lines("app/dangling.py: cannot read: No such file or directory", "djvet: 2 findings in 4 files, 1 file not analyzed")
    assert code == 1


def test_a_bad_file_given_explicitly_is_an_error_entry(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(write_project(tmp_path, {"app/bad.py": b"\xff\xfe\x00x = 1\n"}))
    code, out, err = run(capsys, "check", "app/bad.py", "app/serializers.py")
    assert out == lines(LINE_301, LINE_302)
    assert err == lines(
        "app/bad.py: cannot decode: invalid or missing encoding declaration",
        "djvet: 2 findings in 2 files, 1 file not analyzed",
    )
    assert code == 1


# --- files that decode in unusual ways are analyzed, with the right positions ------------------


@pytest.mark.parametrize(
    "encode",
    [
        pytest.param(lambda text: b"\xef\xbb\xbf" + text.encode(), id="bom"),
        pytest.param(lambda text: b"\xef\xbb\xbf# -*- coding: utf-8 -*-\n" + text.encode(), id="bom-and-cookie"),
        pytest.param(lambda text: text.replace("\n", "\r\n").encode(), id="crlf"),
        pytest.param(lambda text: b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode(), id="bom-and-crlf"),
        pytest.param(lambda text: text.replace("\n", "\r").encode(), id="cr"),
        pytest.param(lambda text: text.encode().rstrip(b"\n"), id="no-final-newline"),
    ],
)
def test_unusual_encodings_and_line_endings_are_analyzed(tmp_path, monkeypatch, capsys, encode):
    data = encode(SERIALIZERS)
    cookie_lines = data.count(b"\n", 0, data.find(b"from"))  # the cookie line moves everything down
    monkeypatch.chdir(write_project(tmp_path, {"app/serializers.py": data}))
    code, out, err = run(capsys, "check")
    assert out == lines(
        LINE_301.replace(":8:9:", f":{8 + cookie_lines}:9:"),
        LINE_302.replace(":14:9:", f":{14 + cookie_lines}:9:"),
    )
    assert err == lines("djvet: 2 findings in 3 files")
    assert code == 1


def test_a_bom_and_latin_1_cookie_is_an_error_entry(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(write_project(tmp_path, {"app/bad.py": b"\xef\xbb\xbf# -*- coding: latin-1 -*-\nx = 1\n"}))
    code, out, err = run(capsys, "check")
    assert out == lines(LINE_301, LINE_302)
    first, summary = err.splitlines()
    assert first.startswith("app/bad.py: cannot decode: ")
    assert summary == "djvet: 2 findings in 4 files, 1 file not analyzed"
    assert code == 1


# --- an internal error in one rule ------------------------------------------------------------


def test_an_internal_error_in_one_rule_spares_the_other_rules(tmp_path, monkeypatch, capsys):
    def broken(self, node, ctx):
        raise RuntimeError("boom")

    monkeypatch.setattr(load_rule_classes()["DJV301"], "check_classdef", broken)
    monkeypatch.chdir(write_project(tmp_path, {}))
    internal = "internal error in DJV301 (serializer-fields-all) at line 5: RuntimeError: boom"

    code, out, err = run(capsys, "check")
    assert out == lines(LINE_302)
    assert err == lines(f"app/serializers.py: {internal}", "djvet: 1 finding in 3 files, 1 internal error")
    assert code == 2

    code, out, err = run(capsys, "check", "--format", "json", "--no-timing", "--fail-on", "never")
    document = json.loads(out)
    assert [(f["path"], f["line"], f["code"]) for f in document["findings"]] == [("app/serializers.py", 14, "DJV302")]
    assert document["errors"] == [{"path": "app/serializers.py", "message": internal}]
    assert "Traceback" not in err
    assert code == 2

    code, out, _ = run(capsys, "check", "--format", "sarif")
    (invocation,) = json.loads(out)["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is False
    assert [n["message"]["text"] for n in invocation["toolExecutionNotifications"]] == [internal]
    assert code == 2


def test_internal_errors_and_unparsable_files_are_counted_apart(tmp_path, monkeypatch, capsys):
    def broken(self, node, ctx):
        raise KeyError("serializer")

    for code_ in ("DJV301", "DJV302"):
        monkeypatch.setattr(load_rule_classes()[code_], "check_classdef", broken)
    bad = b"def f(:\n"
    monkeypatch.chdir(write_project(tmp_path, {"app/bad.py": bad}))
    code, out, err = run(capsys, "check")
    assert out == ""
    assert err == lines(
        f"app/bad.py: {python_says(bad)}",
        "app/serializers.py: internal error in DJV301 (serializer-fields-all) at line 5: KeyError: 'serializer'",
        "app/serializers.py: internal error in DJV302 (serializer-exclude) at line 5: KeyError: 'serializer'",
        "djvet: 0 findings in 4 files, 1 file not analyzed, 2 internal errors",
    )
    assert code == 2


# --- property: mutated real files never crash the run -----------------------------------------


def checked_files(root: Path) -> set[Path]:
    return {p for p in iter_python_files(root) if not matches_any(p.relative_to(root).as_posix(), DEFAULT_EXCLUDES)}


SEEDS = sorted(
    [(BOOKSHOP, path.relative_to(BOOKSHOP).as_posix()) for path in checked_files(BOOKSHOP)]
    + [(RULE_FIXTURES, path.name) for path in RULE_FIXTURES.glob("DJV*.py")]
)
TOKENS = [
    "(", ")", "[", "]", "{", "}", ":", ",", ".", "=", "\n", "\r\n", " ", "    ", "\t", '"', "'", '"""', "#", "\\",
    "class ", "def ", "async ", "await ", "lambda", "return", "yield", "Meta", "model", "fields", '"__all__"',
    "exclude", "serializers.ModelSerializer", "models.Model", "objects", "*", "**", "@", "é", "\x00", "\ufeff", "0",
]  # fmt: skip
POSITION = st.integers(min_value=0, max_value=10**6)
SNIPPET = st.lists(st.one_of(st.sampled_from(TOKENS), st.characters(codec="utf-8")), max_size=8).map("".join)
MUTATION = st.one_of(
    st.tuples(st.just("delete"), POSITION, st.integers(min_value=1, max_value=30)),
    st.tuples(st.just("insert"), POSITION, SNIPPET),
    st.tuples(st.just("delete-line"), POSITION, st.none()),
    st.tuples(st.just("duplicate-line"), POSITION, st.none()),
    st.tuples(st.just("insert-line"), POSITION, SNIPPET),
)


def mutate(text: str, mutations: list[tuple[str, int, object]]) -> str:
    for kind, position, arg in mutations:
        if kind in ("delete", "insert"):
            at = position % (len(text) + 1)
            text = text[:at] + text[at + arg :] if kind == "delete" else text[:at] + str(arg) + text[at:]  # type: ignore[operator]
            continue
        rows = text.splitlines(keepends=True)
        at = position % (len(rows) + 1)
        if kind == "delete-line":
            del rows[at : at + 1]
        elif kind == "duplicate-line":
            rows[at:at] = rows[at : at + 1]
        else:
            rows.insert(at, f"{arg}\n")
        text = "".join(rows)
    return text


# ~2 s in CI; DJVET_FUZZ_EXAMPLES=3000 for a longer local hunt (about 2 minutes)
@settings(max_examples=int(os.environ.get("DJVET_FUZZ_EXAMPLES", "100")), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.sampled_from(SEEDS), mutations=st.lists(MUTATION, min_size=1, max_size=5))
def test_mutated_files_are_findings_or_errors_never_a_crash(seed, mutations):
    project, rel = seed
    with tempfile.TemporaryDirectory() as temp:
        root = Path(temp) / "project"
        shutil.copytree(project, root, ignore=shutil.ignore_patterns(".djvet_cache"))
        target = root / rel
        text = mutate(target.read_text(encoding="utf-8"), mutations)
        data = text.encode("utf-8")
        target.write_bytes(data)

        # robustness, not the cache: no cache entry is written per example (that took most of the time)
        report = check_paths([root], {"select": ["ALL"]}, cache=False)
        assert not (root / ".djvet_cache").exists()

        files = checked_files(root)
        assert report.files == len(files)
        errors = {}
        for error in report.errors:
            assert not error.internal, f"{error.path}: {error.message}"
            assert error.path not in errors, f"two errors for {error.path}"
            errors[error.path] = error.message
        error_files = {Path(path).resolve() for path in errors}
        finding_files = {Path(f.path).resolve() for f in report.findings}
        assert error_files <= files and finding_files <= files
        assert not (error_files & finding_files)
        compiles = _compiles(data)
        if target.resolve() in error_files:
            message = errors[next(p for p in errors if Path(p).resolve() == target.resolve())]
            assert not compiles or message == DEEP, message
        else:
            assert compiles, "a file Python refuses was analyzed without an error"
        assert error_files <= {target.resolve()}  # the files left alone are still analyzed


def _compiles(data: bytes) -> bool:
    """Whether Python parses it (the compiler's later checks, like `return` outside a function, are
    not parse errors: the file is analyzed, as pylint and ruff do)."""
    try:
        compile(data, "mutated.py", "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True
