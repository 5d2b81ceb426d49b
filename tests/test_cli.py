"""`djvet check`, `djvet rules`, `djvet explain`: what a user sees on stdout, stderr and in exit codes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from textwrap import dedent

import pytest
import yaml

from djvet.catalog import default_catalog
from djvet.cli import main

REPO = Path(__file__).resolve().parents[1]
BOOKSHOP = REPO / "fixtures" / "projects" / "bookshop"

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
CLEAN_SERIALIZERS = '''\
from rest_framework import serializers
from app.models import Book


class BookSerializer(serializers.ModelSerializer):
    class Meta:
        model = Book
        fields = ["id", "title"]
'''
FIELDS_ALL = 'DJV301 `BookSerializer` exposes every field of `Book` (`fields = "__all__"` in `BookSerializer.Meta`)'
EXCLUDE = "DJV302 `BookExcludeSerializer` exposes every field of `Book` not named in `BookExcludeSerializer.Meta.exclude`"
LINE_301 = f"app/serializers.py:8:9: {FIELDS_ALL}"
LINE_302 = f"app/serializers.py:14:9: {EXCLUDE}"
BOOKSHOP_LINES = [
    "catalog/serializers.py:10:9: DJV301 `TimeStampedSerializer` exposes every field of `Meta.model` "
    '(`fields = "__all__"` in `TimeStampedSerializer.Meta`)',
    "catalog/serializers.py:23:9: DJV302 `PublisherSerializer` exposes every field of `Publisher` "
    "not named in `PublisherSerializer.Meta.exclude`",
    "orders/serializers.py:20:5: DJV301 `OrderSerializer` exposes every field of `Order` "
    '(`fields = "__all__"` in `TimeStampedSerializer.Meta`)',
]


def write_project(root: Path, files: dict[str, str] | None = None, config: str = "") -> Path:
    """A small project: pyproject.toml with [tool.djvet], app/models.py and app/serializers.py."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text("[tool.djvet]\n" + dedent(config), encoding="utf-8")
    contents = {"app/__init__.py": "", "app/models.py": MODELS, "app/serializers.py": SERIALIZERS}
    contents.update(files or {})
    for rel, text in contents.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def lines(*items: str) -> str:
    return "".join(f"{item}\n" for item in items)


# --- text output ----------------------------------------------------------------------------


def test_text_output_is_path_line_col_code_message_with_summary_on_stderr(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(write_project(tmp_path))
    code, out, err = run(capsys, "check")
    assert out == lines(LINE_301, LINE_302)
    assert err == lines("djvet: 2 findings in 3 files")
    assert code == 1


def test_text_output_of_the_bookshop_project(monkeypatch, capsys):
    # The serializer rules only: the bookshop's full set is held by its markers (test_fixtures).
    monkeypatch.chdir(BOOKSHOP)
    code, out, err = run(capsys, "check", "--select", "DJV301,DJV302")
    assert out == lines(*BOOKSHOP_LINES)
    assert err.endswith("\n") and err.count("\n") == 1 and err.startswith("djvet: 3 findings in ")
    assert code == 1


def test_paths_are_relative_to_the_current_directory_when_checking_from_above(tmp_path, monkeypatch, capsys):
    write_project(tmp_path / "proj")
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, "check", "proj")
    assert out == lines(f"proj/{LINE_301}", f"proj/{LINE_302}")
    assert code == 1


def test_paths_are_relative_to_the_current_directory_when_checking_from_below(tmp_path, monkeypatch, capsys):
    write_project(tmp_path)
    monkeypatch.chdir(tmp_path / "app")
    code, out, err = run(capsys, "check", ".")
    assert out == lines(f"serializers.py:8:9: {FIELDS_ALL}", f"serializers.py:14:9: {EXCLUDE}")
    assert err == lines("djvet: 2 findings in 3 files")
    assert code == 1


def test_checking_one_file_reports_only_that_file(tmp_path, monkeypatch, capsys):
    write_project(tmp_path, {"app/other.py": SERIALIZERS.replace("BookSerializer", "OtherSerializer")})
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "check", "app/serializers.py")
    assert out == lines(LINE_301, LINE_302)
    assert err == lines("djvet: 2 findings in 1 file")
    assert code == 1


def test_clean_project_prints_only_the_summary_and_exits_0(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(write_project(tmp_path, {"app/serializers.py": CLEAN_SERIALIZERS}))
    code, out, err = run(capsys, "check")
    assert (code, out, err) == (0, "", lines("djvet: 0 findings in 3 files"))


def test_unparsable_file_is_reported_on_stderr_and_the_rest_is_checked(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(write_project(tmp_path, {"app/broken.py": "def f(:\n    pass\n"}))
    code, out, err = run(capsys, "check")
    assert out == lines(LINE_301, LINE_302)
    assert err == lines(
        "app/broken.py: syntax error: invalid syntax (line 1, column 7)",
        "djvet: 2 findings in 4 files, 1 file not analyzed",
    )
    assert code == 1


# --- exit codes ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fail_on", "expected"),
    [("error", 0), ("warning", 1), ("info", 1), ("never", 0)],
)
def test_fail_on_sets_the_lowest_failing_severity(tmp_path, monkeypatch, capsys, fail_on, expected):
    # Both DJV301 and DJV302 are warnings.
    monkeypatch.chdir(write_project(tmp_path))
    code, out, _ = run(capsys, "check", "--fail-on", fail_on)
    assert out == lines(LINE_301, LINE_302)
    assert code == expected


@pytest.mark.parametrize(("fail_on", "expected"), [("error", 1), ("warning", 1), ("info", 1), ("never", 0)])
def test_a_file_that_cannot_be_parsed_fails_unless_fail_on_never(tmp_path, monkeypatch, capsys, fail_on, expected):
    monkeypatch.chdir(write_project(tmp_path, {"app/serializers.py": CLEAN_SERIALIZERS, "app/broken.py": "x = (\n"}))
    code, out, err = run(capsys, "check", "--fail-on", fail_on)
    assert out == ""
    assert err.splitlines()[0].startswith("app/broken.py: syntax error: ")
    assert code == expected


def test_unknown_path_exits_2_with_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(write_project(tmp_path))
    code, out, err = run(capsys, "check", "app", "nope")
    assert (code, out, err) == (2, "", lines("djvet: nope: no such file or directory"))


@pytest.mark.parametrize("option", ["--select", "--ignore"])
def test_unknown_code_exits_2_with_one_line(tmp_path, monkeypatch, capsys, option):
    monkeypatch.chdir(write_project(tmp_path))
    code, out, err = run(capsys, "check", option, "DJV999")
    assert (code, out) == (2, "")
    assert err == lines(f"djvet: {option}: 'DJV999' matches no rule; expected a code like DJV301 or a prefix like DJV3")


def test_bad_fail_on_value_is_a_usage_error(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(write_project(tmp_path))
    with pytest.raises(SystemExit) as exc:
        main(["check", "--fail-on", "high"])
    out, err = capsys.readouterr()
    assert exc.value.code == 2
    assert out == ""
    assert err == (
        "djvet check: argument --fail-on: invalid choice: 'high' (choose from 'error', 'warning', 'info', 'never')"
        " (see djvet check --help)\n"
    )


# --- --select / --ignore / --exclude ---------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ([], [LINE_301, LINE_302]),
        (["--select", "DJV301"], [LINE_301]),
        (["--select", "djv302"], [LINE_302]),
        (["--select", "DJV3"], [LINE_301, LINE_302]),
        (["--select", "DJV301,DJV302"], [LINE_301, LINE_302]),
        (["--select", "DJV301", "--select", "DJV302"], [LINE_301, LINE_302]),
        (["--select", " DJV302 , "], [LINE_302]),
        (["--ignore", "DJV301"], [LINE_302]),
        (["--ignore", "DJV3"], []),
        (["--ignore", "DJV301,DJV302"], []),
        (["--ignore", "DJV301", "--ignore", "DJV302"], []),
        (["--select", "DJV3", "--ignore", "DJV302"], [LINE_301]),
        (["--select", "DJV301", "--ignore", "DJV3"], []),
    ],
)
def test_select_and_ignore_by_code_and_prefix(tmp_path, monkeypatch, capsys, argv, expected):
    monkeypatch.chdir(write_project(tmp_path))
    code, out, _ = run(capsys, "check", *argv)
    assert out == lines(*expected)
    assert code == (1 if expected else 0)


def test_exclude_glob_skips_matching_files(tmp_path, monkeypatch, capsys):
    api = SERIALIZERS.replace("BookSerializer", "ApiSerializer").replace("BookExcludeSerializer", "ApiExcludeSerializer")
    monkeypatch.chdir(write_project(tmp_path, {"app/api.py": api}))
    code, out, err = run(capsys, "check", "--exclude", "app/ser*.py")
    assert out == lines(
        'app/api.py:8:9: DJV301 `ApiSerializer` exposes every field of `Book` (`fields = "__all__"` in `ApiSerializer.Meta`)',
        "app/api.py:14:9: DJV302 `ApiExcludeSerializer` exposes every field of `Book` not named in `ApiExcludeSerializer.Meta.exclude`",
    )
    assert err == lines("djvet: 2 findings in 3 files")
    assert code == 1


def test_exclude_repeated(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(write_project(tmp_path, {"app/api.py": SERIALIZERS}))
    code, out, err = run(capsys, "check", "--exclude", "app/ser*.py", "--exclude", "app/api.py")
    assert (code, out, err) == (0, "", lines("djvet: 0 findings in 2 files"))


# --- suppression -----------------------------------------------------------------------------


def _with_line_8(text: str) -> str:
    return SERIALIZERS.replace('        fields = "__all__"\n', f"{text}\n")


@pytest.mark.parametrize(
    ("line_8", "expected"),
    [
        ('        fields = "__all__"  # noqa: DJV301', [LINE_302]),
        ('        fields = "__all__"  # noqa:DJV301', [LINE_302]),
        ('        fields = "__all__"  # NOQA: djv301', [LINE_302]),
        ('        fields = "__all__"  # noqa: E501, DJV301', [LINE_302]),
        ('        fields = "__all__"  # noqa', [LINE_302]),
        ('        fields = "__all__"  # type: ignore  # noqa', [LINE_302]),
        ('        fields = "__all__"  # noqa: E501', [LINE_301, LINE_302]),
        ('        fields = "__all__"  # noqa: DJV302', [LINE_301, LINE_302]),
        ('        fields = "__all__"; why = "# noqa"', [LINE_301, LINE_302]),
        ('        fields = "__all__"; why = "# noqa: DJV301"', [LINE_301, LINE_302]),
        ('        fields = "__all__"  # not a noqa', [LINE_301, LINE_302]),
    ],
)
def test_noqa_on_the_reported_line(tmp_path, monkeypatch, capsys, line_8, expected):
    monkeypatch.chdir(write_project(tmp_path, {"app/serializers.py": _with_line_8(line_8)}))
    _, out, _ = run(capsys, "check")
    assert out == lines(*expected)


def test_noqa_on_another_line_does_not_suppress(tmp_path, monkeypatch, capsys):
    text = SERIALIZERS.replace("    class Meta:\n        model = Book\n        fields", "    class Meta:  # noqa\n        model = Book  # noqa: DJV301\n        fields")
    monkeypatch.chdir(write_project(tmp_path, {"app/serializers.py": text}))
    _, out, _ = run(capsys, "check")
    assert out == lines(LINE_301, LINE_302)


# --- files not checked by default ------------------------------------------------------------


def test_virtualenvs_and_node_modules_are_not_checked_and_migrations_only_by_migration_rules(tmp_path, monkeypatch, capsys):
    write_project(
        tmp_path,
        {
            "app/migrations/__init__.py": "",
            "app/migrations/0001_initial.py": SERIALIZERS,
            ".venv/lib/python3.11/site-packages/pkg/serializers.py": SERIALIZERS,
            "env/lib/python3.11/site-packages/pkg/serializers.py": SERIALIZERS,
            "env/pyvenv.cfg": "home = /usr/bin\n",
            "tools/env2/serializers.py": SERIALIZERS,
            "tools/env2/pyvenv.cfg": "home = /usr/bin\n",
            "frontend/node_modules/pkg/serializers.py": SERIALIZERS,
        },
    )
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "check")
    assert out == lines(LINE_301, LINE_302)
    # the two migration files are checked (by DJV609-DJV612 only): the serializer in one is not reported
    assert err == lines("djvet: 2 findings in 5 files")
    assert code == 1


# --- baseline --------------------------------------------------------------------------------


def _fingerprints(capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    code, out, _ = run(capsys, "check", "--format", "json", "--no-timing")
    return [{"code": f["code"], "path": f["path"], "fingerprint": f["fingerprint"]} for f in json.loads(out)["findings"]]


def test_write_baseline_records_todays_findings(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(write_project(tmp_path))
    entries = _fingerprints(capsys)
    code, out, err = run(capsys, "check", "--write-baseline", "baseline.json")
    assert out == lines(LINE_301, LINE_302)
    assert err == lines("djvet: 2 findings in 3 files")
    assert code == 1
    assert [(e["code"], e["path"]) for e in entries] == [("DJV301", "app/serializers.py"), ("DJV302", "app/serializers.py")]
    expected = {"tool": "djvet", "baseline": entries}
    assert (tmp_path / "baseline.json").read_text(encoding="utf-8") == json.dumps(expected, indent=2) + "\n"
    # no temp file left behind (the check's own cache folder aside)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != ".djvet_cache") == ["app", "baseline.json", "pyproject.toml"]


def test_baseline_file_gets_ordinary_permissions(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(write_project(tmp_path))
    umask = os.umask(0o022)
    try:
        run(capsys, "check", "--write-baseline", "baseline.json")
    finally:
        os.umask(umask)
    assert (tmp_path / "baseline.json").stat().st_mode & 0o777 == 0o644


def test_baseline_hides_recorded_findings(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(write_project(tmp_path))
    run(capsys, "check", "--write-baseline", "baseline.json")
    code, out, err = run(capsys, "check", "--baseline", "baseline.json")
    assert (code, out, err) == (0, "", lines("djvet: 0 findings in 3 files"))


def test_baseline_still_matches_after_the_code_moves_and_new_findings_show(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(write_project(tmp_path))
    run(capsys, "check", "--write-baseline", "baseline.json")
    moved = "# a comment\n\n\n# another\n" + SERIALIZERS.replace("class Meta:", "class Meta:  # reviewed\n\n") + dedent(
        '''

        class AuthorSerializer(serializers.ModelSerializer):
            class Meta:
                model = Book
                fields = "__all__"
        '''
    )
    (tmp_path / "app" / "serializers.py").write_text(moved, encoding="utf-8")
    new_finding = (
        'app/serializers.py:28:9: DJV301 `AuthorSerializer` exposes every field of `Book` (`fields = "__all__"` in `AuthorSerializer.Meta`)'
    )
    _, out, _ = run(capsys, "check")
    assert out == lines(f"app/serializers.py:14:9: {FIELDS_ALL}", f"app/serializers.py:22:9: {EXCLUDE}", new_finding)
    code, out, err = run(capsys, "check", "--baseline", "baseline.json")
    assert out == lines(new_finding)
    assert err == lines("djvet: 1 finding in 3 files")
    assert code == 1


def test_baseline_written_from_another_directory_still_matches(tmp_path, monkeypatch, capsys):
    write_project(tmp_path / "proj")
    monkeypatch.chdir(tmp_path)
    run(capsys, "check", "proj", "--write-baseline", "proj/baseline.json")
    monkeypatch.chdir(tmp_path / "proj")
    code, out, _ = run(capsys, "check", "--baseline", "baseline.json")
    assert (code, out) == (0, "")


@pytest.mark.parametrize(
    ("content", "detail"),
    [
        ("not json", "Expecting value: line 1 column 1 (char 0)"),
        ('{"tool": "djvet"}', "'baseline'"),
        ('{"baseline": 3}', "'int' object is not iterable"),
        ('{"baseline": [{"code": "DJV301"}]}', "'fingerprint'"),
    ],
)
def test_corrupt_baseline_exits_2_with_one_line(tmp_path, monkeypatch, capsys, content, detail):
    monkeypatch.chdir(write_project(tmp_path))
    (tmp_path / "baseline.json").write_text(content, encoding="utf-8")
    code, out, err = run(capsys, "check", "--baseline", "baseline.json")
    assert (code, out) == (2, "")
    assert err == lines(f"djvet: baseline.json: expected a djvet baseline (JSON with a 'baseline' list); {detail}")


def test_missing_baseline_exits_2_with_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(write_project(tmp_path))
    code, out, err = run(capsys, "check", "--baseline", "missing.json")
    assert (code, out) == (2, "")
    assert err == lines("djvet: missing.json: baseline file not found; write one with --write-baseline")


def test_baseline_is_written_atomically(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(write_project(tmp_path))
    (tmp_path / "baseline.json").write_text("old baseline\n", encoding="utf-8")

    def failing_replace(src: object, dst: object) -> None:
        assert Path(str(src)).parent == tmp_path  # written next to the target, then renamed over it
        assert json.loads(Path(str(src)).read_text(encoding="utf-8"))["tool"] == "djvet"
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("djvet.baseline.os.replace", failing_replace)
    code, out, err = run(capsys, "check", "--write-baseline", "baseline.json")
    assert (tmp_path / "baseline.json").read_text(encoding="utf-8") == "old baseline\n"
    # no temp file left behind (the check's own cache folder aside)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != ".djvet_cache") == ["app", "baseline.json", "pyproject.toml"]
    assert err == lines("djvet: baseline.json: cannot write baseline: No space left on device")
    assert (code, out) == (2, "")


def test_baseline_in_a_missing_folder_exits_2_with_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(write_project(tmp_path))
    code, out, err = run(capsys, "check", "--write-baseline", "nowhere/baseline.json")
    assert (code, out) == (2, "")
    assert err == lines("djvet: nowhere/baseline.json: cannot write baseline: No such file or directory")


# --- rules and explain -----------------------------------------------------------------------


def _rules_width() -> int:
    return max(len(meta.name) for meta in default_catalog().values())


def test_rules_lists_code_name_severity_summary(capsys):
    code, out, err = run(capsys, "rules")
    width = _rules_width()
    listed = out.splitlines()
    assert f"DJV301  {'serializer-fields-all':<{width}}  warning  A ModelSerializer publishes every model field with `fields = \"__all__\"`" in listed
    assert f"DJV302  {'serializer-exclude':<{width}}  warning  A ModelSerializer publishes every model field but those in `Meta.exclude`" in listed
    assert [line.split()[0] for line in listed] == sorted(default_catalog())
    assert (code, err) == (0, "")


def test_rules_json(capsys):
    code, out, _ = run(capsys, "rules", "--format", "json")
    rows = json.loads(out)
    assert rows[[r["code"] for r in rows].index("DJV301")] == {
        "code": "DJV301",
        "name": "serializer-fields-all",
        "severity": "warning",
        "default": True,
        "summary": 'A ModelSerializer publishes every model field with `fields = "__all__"`',
    }
    assert code == 0


def _expected_explain_djv301() -> str:
    raw = yaml.safe_load((REPO / "rules" / "DJV301.yaml").read_text(encoding="utf-8"))
    docs = raw["docs"]

    def indent(code: str) -> list[str]:
        return [f"    {line}" if line else "" for line in code.rstrip().splitlines()]

    return lines(
        "DJV301 serializer-fields-all",
        "",
        'A ModelSerializer publishes every model field with `fields = "__all__"`',
        "",
        "Severity: warning. Confidence: high. Category: data exposure. On by default.",
        "",
        "What it does",
        *docs["what"].rstrip().splitlines(),
        "",
        "Why is this bad?",
        *docs["why"].rstrip().splitlines(),
        "",
        "Example",
        *indent(docs["example"]),
        "",
        "Use instead",
        *indent(docs["use_instead"]),
        "",
        f"Fix (unsafe): {raw['fix']['title']}",
        "",
        "References",
        "- https://www.django-rest-framework.org/api-guide/serializers/#specifying-which-fields-to-include",
        "- https://owasp.org/API-Security/editions/2023/en/0xa3-broken-object-property-level-authorization/",
    )


@pytest.mark.parametrize("key", ["DJV301", "djv301", "serializer-fields-all"])
def test_explain_prints_the_docs(capsys, key):
    code, out, err = run(capsys, "explain", key)
    assert out == _expected_explain_djv301()
    assert "    class AccountSerializer(serializers.ModelSerializer):\n" in out
    assert '            fields = "__all__"\n' in out
    assert (code, err) == (0, "")


@pytest.mark.parametrize("key", ["DJV999", "no-such-rule"])
def test_explain_unknown_rule_exits_2_with_one_line(capsys, key):
    code, out, err = run(capsys, "explain", key)
    known = ", ".join(default_catalog())
    assert (code, out) == (2, "")
    assert err == lines(f"djvet: explain: no rule '{key}'; expected a code or name, one of: {known}")


# --- the installed console script ------------------------------------------------------------


def _djvet_script() -> str:
    script = shutil.which("djvet") or str(Path(sys.executable).with_name("djvet"))
    if not Path(script).exists():
        pytest.skip("the djvet console script is not installed")
    return script


def test_console_script_checks_the_bookshop_as_json():
    result = subprocess.run(
        [_djvet_script(), "check", "--format", "json", "--no-timing"],
        cwd=BOOKSHOP,
        capture_output=True,
        text=True,
        timeout=120,
    )
    document = json.loads(result.stdout)
    from fixture_markers import read_markers

    expected = sorted(
        (path.relative_to(BOOKSHOP).as_posix(), line, code)
        for path in BOOKSHOP.rglob("*.py")
        for line, code in read_markers(path.read_text(encoding="utf-8")).expect
    )
    # markers hold (line, code) once even where two findings share them (two template reads)
    assert sorted({(f["path"], f["line"], f["code"]) for f in document["findings"]}) == expected
    assert ("catalog/serializers.py", 10, 9, "DJV301") in [
        (f["path"], f["line"], f["column"], f["code"]) for f in document["findings"]
    ]
    assert document["errors"] == []
    assert result.stderr == ""
    assert result.returncode == 1


def test_console_script_usage_error_exits_2_without_traceback(tmp_path):
    result = subprocess.run(
        [_djvet_script(), "check", "does-not-exist"], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert (result.returncode, result.stdout, result.stderr) == (2, "", "djvet: does-not-exist: no such file or directory\n")


def test_console_script_output_survives_a_console_that_cannot_encode_it(tmp_path):
    omega = SERIALIZERS.replace("BookSerializer", "ΩSerializer").replace("BookExcludeSerializer", "ΩExcludeSerializer")
    write_project(tmp_path, {"app/serializers.py": omega})
    env = {**os.environ, "PYTHONIOENCODING": "cp1252"}
    env.pop("PYTHONUTF8", None)

    text = subprocess.run([_djvet_script(), "check", "--select", "DJV301"], cwd=tmp_path, env=env, capture_output=True, timeout=120)
    assert text.stdout == (
        b"app/serializers.py:8:9: DJV301 `\\u03a9Serializer` exposes every field of `Book` "
        b'(`fields = "__all__"` in `\\u03a9Serializer.Meta`)' + os.linesep.encode()
    )
    assert text.returncode == 1

    as_json = subprocess.run([_djvet_script(), "check", "--format", "json"], cwd=tmp_path, env=env, capture_output=True, timeout=120)
    messages = [f["message"] for f in json.loads(as_json.stdout.decode("utf-8"))["findings"]]
    assert messages[0] == '`ΩSerializer` exposes every field of `Book` (`fields = "__all__"` in `ΩSerializer.Meta`)'
    assert as_json.returncode == 1
    assert b"Traceback" not in text.stderr + as_json.stderr


# --- exit_code over every severity -----------------------------------------------------------

SEVERITY_EXIT = {
    # finding severity: {fail-on: exit code}
    "error": {"error": 1, "warning": 1, "info": 1, "never": 0},
    "warning": {"error": 0, "warning": 1, "info": 1, "never": 0},
    "info": {"error": 0, "warning": 0, "info": 1, "never": 0},
}


@pytest.mark.parametrize("severity", sorted(SEVERITY_EXIT))
@pytest.mark.parametrize("fail_on", ["error", "warning", "info", "never"])
def test_exit_code_for_each_severity_and_fail_on(severity, fail_on):
    from djvet.cli import exit_code
    from djvet.finding import Finding
    from djvet.runner import Report

    finding = Finding("DJV301", "serializer-fields-all", severity, "high", "a.py", 1, 1, 1, 2, "m", "f", False)
    assert exit_code(Report(findings=[finding], files=1), fail_on) == SEVERITY_EXIT[severity][fail_on]
    assert exit_code(Report(files=1), fail_on) == 0
