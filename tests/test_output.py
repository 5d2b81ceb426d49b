"""The output contract of DESIGN.md ("Findings and output"): json, sarif, github and text, exactly."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from djvet.catalog import default_catalog
from djvet.cli import main
from djvet.finding import FileError, Finding, disambiguate_fingerprints
from djvet.output.github import render_github
from djvet.runner import Report

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
BROKEN = "def f(:\n    pass\n"
MSG_301 = '`BookSerializer` exposes every field of `Book` (`fields = "__all__"` in `BookSerializer.Meta`)'
MSG_302 = "`BookExcludeSerializer` exposes every field of `Book` not named in `BookExcludeSerializer.Meta.exclude`"
# Fingerprints are a contract too: baselines committed to users' repositories hold them.
FP_301 = "94443eb5a9875f32"
FP_302 = "d74a03d28279e4bb"


def syntax_error_message(text: str) -> str:
    """What Python's own compiler says about `text`, in djvet's words."""
    try:
        compile(text, "x.py", "exec")
    except SyntaxError as exc:
        return f"syntax error: {exc.msg} (line {exc.lineno}, column {exc.offset})"
    raise AssertionError("expected a syntax error")


def write_project(root: Path, files: dict[str, str] | None = None) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text("[tool.djvet]\n", encoding="utf-8")
    contents = {"app/__init__.py": "", "app/models.py": MODELS, "app/serializers.py": SERIALIZERS, "app/broken.py": BROKEN}
    contents.update(files or {})
    for rel, text in contents.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _finding(code: str, name: str, line: int, end_column: int, message: str, fingerprint: str, fixable: bool = False) -> dict[str, object]:
    return {
        "code": code,
        "name": name,
        "severity": "warning",
        "confidence": "high",
        "path": "app/serializers.py",
        "line": line,
        "column": 9,
        "end_line": line,
        "end_column": end_column,
        "message": message,
        "fingerprint": fingerprint,
        "fixable": fixable,
    }


EXPECTED_JSON = {
    "tool": "djvet",
    "version": "0.1.0",
    "findings": [
        # both can be fixed: djvet knows every field of Book (`djvet fix --unsafe-fixes` lists them)
        _finding("DJV301", "serializer-fields-all", 8, 27, MSG_301, FP_301, fixable=True),
        _finding("DJV302", "serializer-exclude", 14, 28, MSG_302, FP_302, fixable=True),
    ],
    "errors": [{"path": "app/broken.py", "message": syntax_error_message(BROKEN)}],
    "summary": {"files": 4, "findings": 2, "errors": 1, "seconds": 0.0},
}
FINDING_KEYS = [
    "code", "name", "severity", "confidence", "path", "line", "column",
    "end_line", "end_column", "message", "fingerprint", "fixable",
]  # fmt: skip
FINDING_TYPES = {
    "code": str, "name": str, "severity": str, "confidence": str, "path": str, "line": int, "column": int,
    "end_line": int, "end_column": int, "message": str, "fingerprint": str, "fixable": bool,
}  # fmt: skip


# --- json ------------------------------------------------------------------------------------


def test_json_output_is_the_documented_document(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(write_project(tmp_path))
    code, out, err = run(capsys, "check", "--format", "json", "--no-timing")
    assert json.loads(out) == EXPECTED_JSON
    assert out.startswith("{") and out.endswith("}\n")
    assert err == f"app/broken.py: {syntax_error_message(BROKEN)}\n"  # no summary line outside text format
    assert code == 1


def test_json_key_order_and_types(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(write_project(tmp_path))
    _, out, _ = run(capsys, "check", "--format", "json", "--no-timing")
    pairs = json.loads(out, object_pairs_hook=lambda items: items)
    assert [key for key, _ in pairs] == ["tool", "version", "findings", "errors", "summary"]
    document = dict(pairs)
    for finding in document["findings"]:
        assert [key for key, _ in finding] == FINDING_KEYS
        for key, value in finding:
            assert type(value) is FINDING_TYPES[key], key  # fixable is a bool, never 0/1
    for error in document["errors"]:
        assert [key for key, _ in error] == ["path", "message"]
        assert all(type(value) is str for _, value in error)
    summary = document["summary"]
    assert [key for key, _ in summary] == ["files", "findings", "errors", "seconds"]
    assert [type(value) for _, value in summary] == [int, int, int, float]


def test_json_seconds_is_measured_without_no_timing(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(write_project(tmp_path))
    _, out, _ = run(capsys, "check", "--format", "json")
    seconds = json.loads(out)["summary"]["seconds"]
    assert type(seconds) is float and 0.0 <= seconds < 120


def test_json_of_a_clean_project(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(write_project(tmp_path, {"app/serializers.py": "", "app/broken.py": ""}))
    code, out, err = run(capsys, "check", "--format", "json", "--no-timing")
    assert json.loads(out) == {
        "tool": "djvet",
        "version": "0.1.0",
        "findings": [],
        "errors": [],
        "summary": {"files": 4, "findings": 0, "errors": 0, "seconds": 0.0},
    }
    assert (code, err) == (0, "")


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github"])
def test_output_is_byte_identical_across_runs(tmp_path, monkeypatch, capsys, fmt):
    monkeypatch.chdir(write_project(tmp_path))
    first = run(capsys, "check", "--format", fmt, "--no-timing")
    second = run(capsys, "check", "--format", fmt, "--no-timing")
    assert first == second
    assert first[1]  # something was printed


def test_fingerprints_do_not_depend_on_where_the_project_lives(tmp_path, monkeypatch, capsys):
    write_project(tmp_path / "one")
    shutil.copytree(tmp_path / "one", tmp_path / "deeper" / "two")
    prints = []
    for folder in (tmp_path / "one", tmp_path / "deeper" / "two"):
        monkeypatch.chdir(folder)
        _, out, _ = run(capsys, "check", "--format", "json", "--no-timing")
        prints.append([f["fingerprint"] for f in json.loads(out)["findings"]])
    assert prints == [[FP_301, FP_302], [FP_301, FP_302]]


def test_identical_findings_in_one_scope_get_occurrence_suffixes_in_order():
    def at(line: int) -> Finding:
        return Finding("DJV301", "serializer-fields-all", "warning", "high", "a.py", line, 1, line, 2, "m", "f" * 16, False)

    out = disambiguate_fingerprints([at(9), at(3), at(5)])
    assert [(f.line, f.fingerprint) for f in out] == [(3, "f" * 16), (5, "f" * 16 + "-1"), (9, "f" * 16 + "-2")]


# --- text ------------------------------------------------------------------------------------


def test_text_columns_count_characters_not_bytes(tmp_path, monkeypatch, capsys):
    source = (
        "from rest_framework import serializers\n"
        "from app.models import Book\n"
        "\n"
        "\n"
        "class CaféSerializer(serializers.ModelSerializer):\n"
        "    class Meta:\n"
        '        model = Book; label = "café"; fields = "__all__"\n'
    )
    monkeypatch.chdir(write_project(tmp_path, {"app/serializers.py": source, "app/broken.py": ""}))
    _, out, _ = run(capsys, "check", "--format", "json", "--no-timing")
    (finding,) = json.loads(out)["findings"]
    assert (finding["line"], finding["column"], finding["end_line"], finding["end_column"]) == (7, 39, 7, 57)
    _, out, _ = run(capsys, "check")
    assert out == 'app/serializers.py:7:39: DJV301 `CaféSerializer` exposes every field of `Book` (`fields = "__all__"` in `CaféSerializer.Meta`)\n'


# --- sarif -----------------------------------------------------------------------------------


def test_sarif_has_the_2_1_0_shape(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(write_project(tmp_path))
    code, out, err = run(capsys, "check", "--format", "sarif", "--no-timing")
    document = json.loads(out)
    assert document["version"] == "2.1.0"
    assert document["$schema"].endswith("sarif-2.1.0.json")
    (run_,) = document["runs"]
    driver = run_["tool"]["driver"]
    assert (driver["name"], driver["version"]) == ("djvet", "0.1.0")
    assert [rule["id"] for rule in driver["rules"]] == ["DJV301", "DJV302"]
    catalog = default_catalog()
    for rule in driver["rules"]:
        meta = catalog[rule["id"]]
        assert rule["name"] == meta.name
        assert rule["shortDescription"] == {"text": meta.summary}
        assert rule["defaultConfiguration"] == {"level": "warning"}
        assert isinstance(rule["fullDescription"]["text"], str) and isinstance(rule["help"]["text"], str)
    assert run_["columnKind"] == "unicodeCodePoints"
    assert run_["results"] == [
        {
            "ruleId": "DJV301",
            "ruleIndex": 0,
            "level": "warning",
            "message": {"text": MSG_301},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": "app/serializers.py"},
                        "region": {"startLine": 8, "startColumn": 9, "endLine": 8, "endColumn": 27},
                    }
                }
            ],
            "partialFingerprints": {"djvet/v1": FP_301},
            "properties": {"confidence": "high"},
        },
        {
            "ruleId": "DJV302",
            "ruleIndex": 1,
            "level": "warning",
            "message": {"text": MSG_302},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": "app/serializers.py"},
                        "region": {"startLine": 14, "startColumn": 9, "endLine": 14, "endColumn": 28},
                    }
                }
            ],
            "partialFingerprints": {"djvet/v1": FP_302},
            "properties": {"confidence": "high"},
        },
    ]
    for result in run_["results"]:
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
    (invocation,) = run_["invocations"]
    assert invocation == {
        "executionSuccessful": True,
        "toolExecutionNotifications": [
            {
                "level": "error",
                "message": {"text": syntax_error_message(BROKEN)},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": "app/broken.py"}}}],
            }
        ],
    }
    assert code == 1
    assert err == f"app/broken.py: {syntax_error_message(BROKEN)}\n"


def test_sarif_uris_are_percent_encoded(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(write_project(tmp_path, {"app/odd name%#1.py": SERIALIZERS, "app/serializers.py": "", "app/broken.py": ""}))
    _, out, _ = run(capsys, "check", "--format", "sarif", "--select", "DJV301")
    (result,) = json.loads(out)["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"]["artifactLocation"] == {"uri": "app/odd%20name%25%231.py"}


def test_sarif_without_findings_has_empty_rules_and_results(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(write_project(tmp_path, {"app/serializers.py": "", "app/broken.py": ""}))
    code, out, _ = run(capsys, "check", "--format", "sarif")
    run_ = json.loads(out)["runs"][0]
    assert (run_["tool"]["driver"]["rules"], run_["results"]) == ([], [])
    assert run_["invocations"] == [{"executionSuccessful": True, "toolExecutionNotifications": []}]
    assert code == 0


# --- github ----------------------------------------------------------------------------------


def test_github_annotations(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(write_project(tmp_path))
    code, out, err = run(capsys, "check", "--format", "github")
    broken = syntax_error_message(BROKEN)
    assert out == (
        "::warning file=app/serializers.py,line=8,col=9,endLine=8,endColumn=27,title=DJV301 serializer-fields-all::"
        f"{MSG_301}\n"
        "::warning file=app/serializers.py,line=14,col=9,endLine=14,endColumn=28,title=DJV302 serializer-exclude::"
        f"{MSG_302}\n"
        f"::error file=app/broken.py,title=djvet::{broken}\n"
    )
    assert err == f"app/broken.py: {broken}\n"
    assert code == 1


def test_github_escapes_file_names_with_percent_colon_and_comma(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(write_project(tmp_path, {"app/a,b%c:d.py": SERIALIZERS, "app/serializers.py": "", "app/broken.py": ""}))
    _, out, _ = run(capsys, "check", "--format", "github", "--select", "DJV301")
    assert out == (
        "::warning file=app/a%2Cb%25c%3Ad.py,line=8,col=9,endLine=8,endColumn=27,title=DJV301 serializer-fields-all::"
        f"{MSG_301}\n"
    )


def _report(path: str, message: str, severity: str = "warning") -> Report:
    finding = Finding(
        code="DJV301",
        name="serializer-fields-all",
        severity=severity,
        confidence="high",
        path=path,
        line=3,
        column=5,
        end_line=4,
        end_column=2,
        message=message,
        fingerprint="0123456789abcdef",
        fixable=False,
    )
    return Report(findings=[finding], errors=[FileError(path, "cannot decode: 50%\nof it\r")], files=1)


def test_github_escapes_messages_and_properties():
    out = render_github(_report("a:b,c%d.py", "100% of `x`, y: z\nsecond line\r"), default_catalog())
    assert out == (
        "::warning file=a%3Ab%2Cc%25d.py,line=3,col=5,endLine=4,endColumn=2,title=DJV301 serializer-fields-all::"
        "100%25 of `x`, y: z%0Asecond line%0D\n"
        "::error file=a%3Ab%2Cc%25d.py,title=djvet::cannot decode: 50%25%0Aof it%0D\n"
    )


@pytest.mark.parametrize(("severity", "command"), [("error", "error"), ("warning", "warning"), ("info", "notice")])
def test_github_command_per_severity(severity, command):
    out = render_github(_report("x.py", "m", severity), default_catalog())
    assert out.splitlines()[0] == (
        f"::{command} file=x.py,line=3,col=5,endLine=4,endColumn=2,title=DJV301 serializer-fields-all::m"
    )
