"""`[tool.djvet]` in pyproject.toml: every key, how the command line combines with it, and its errors."""

from __future__ import annotations

import sys
from pathlib import Path
from textwrap import dedent

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from djvet.cli import main

MODELS = '''\
from django.db import models


class Book(models.Model):
    title = models.CharField(max_length=200)
    price = models.IntegerField()

    def __str__(self):
        return self.title
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
API = SERIALIZERS.replace("BookSerializer", "ApiSerializer").replace("BookExcludeSerializer", "ApiExcludeSerializer")
LINE_301 = 'app/serializers.py:8:9: DJV301 `BookSerializer` exposes every field of `Book` (`fields = "__all__"` in `BookSerializer.Meta`)'
LINE_302 = (
    "app/serializers.py:14:9: DJV302 `BookExcludeSerializer` exposes every field of `Book` "
    "not named in `BookExcludeSerializer.Meta.exclude`"
)
API_301 = 'app/api.py:8:9: DJV301 `ApiSerializer` exposes every field of `Book` (`fields = "__all__"` in `ApiSerializer.Meta`)'
API_302 = "app/api.py:14:9: DJV302 `ApiExcludeSerializer` exposes every field of `Book` not named in `ApiExcludeSerializer.Meta.exclude`"
KEYS = "select, extend-select, ignore, exclude, per-file-ignores, fail-on, settings-module, sensitive-fields, not-sensitive-fields, jobs"


def write_project(root: Path, config: str, pyproject_head: str = "[tool.djvet]\n") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(pyproject_head + dedent(config), encoding="utf-8")
    for rel, text in {"app/__init__.py": "", "app/models.py": MODELS, "app/serializers.py": SERIALIZERS, "app/api.py": API}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def lines(*items: str) -> str:
    return "".join(f"{item}\n" for item in items)


ALL = [API_301, API_302, LINE_301, LINE_302]


@pytest.mark.parametrize(
    ("config", "argv", "expected"),
    [
        ("", [], ALL),
        ('select = ["DJV301"]', [], [API_301, LINE_301]),
        ('select = ["DJV3"]', [], ALL),
        ('select = ["ALL"]', [], ALL),
        ('ignore = ["DJV302"]', [], [API_301, LINE_301]),
        ('ignore = ["DJV3"]', [], []),
        ('select = ["DJV3"]\nignore = ["DJV301"]', [], [API_302, LINE_302]),
        # the command line's select replaces the config's
        ('select = ["DJV301"]', ["--select", "DJV302"], [API_302, LINE_302]),
        ('select = ["DJV301"]', ["--select", "DJV3"], ALL),
        # ... and its ignore extends the config's
        ('ignore = ["DJV301"]', ["--ignore", "DJV302"], []),
        ('ignore = ["DJV301"]', ["--select", "DJV3"], [API_302, LINE_302]),
        ('ignore = ["DJV301"]', [], [API_302, LINE_302]),
        # exclude: globs relative to the project root; the command line's extends the config's
        ('exclude = ["app/api.py"]', [], [LINE_301, LINE_302]),
        ('exclude = ["app/*"]', [], []),
        ('exclude = ["**/api.py"]', [], [LINE_301, LINE_302]),
        ('exclude = ["app/api.py"]', ["--exclude", "app/serializers.py"], []),
        # per-file-ignores: glob = [codes or prefixes]
        ('[tool.djvet.per-file-ignores]\n"app/serializers.py" = ["DJV301"]', [], [API_301, API_302, LINE_302]),
        ('[tool.djvet.per-file-ignores]\n"app/*.py" = ["DJV3"]', [], []),
        ('[tool.djvet.per-file-ignores]\n"app/api.py" = ["DJV302"]\n"app/ser*" = ["DJV301"]', [], [API_301, LINE_302]),
    ],
)
def test_select_ignore_exclude_and_per_file_ignores(tmp_path, monkeypatch, capsys, config, argv, expected):
    monkeypatch.chdir(write_project(tmp_path, config))
    code, out, err = run(capsys, "check", *argv)
    assert out == lines(*expected)
    assert code == (1 if expected else 0)


def test_excluded_files_are_not_counted(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(write_project(tmp_path, 'exclude = ["app/api.py"]'))
    _, _, err = run(capsys, "check")
    assert err == lines("djvet: 2 findings in 3 files")


@pytest.mark.parametrize(
    ("config", "argv", "expected"),
    [
        ('fail-on = "error"', [], 0),
        ('fail-on = "warning"', [], 1),
        ('fail-on = "info"', [], 1),
        ('fail-on = "never"', [], 0),
        ('fail-on = "error"', ["--fail-on", "warning"], 1),
        ('fail-on = "warning"', ["--fail-on", "never"], 0),
    ],
)
def test_fail_on_in_config_and_on_the_command_line(tmp_path, monkeypatch, capsys, config, argv, expected):
    monkeypatch.chdir(write_project(tmp_path, config))
    code, out, _ = run(capsys, "check", *argv)
    assert out == lines(*ALL)
    assert code == expected


def test_settings_module_is_accepted(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(write_project(tmp_path, 'settings-module = "mysite.settings.production"'))
    code, out, err = run(capsys, "check")
    assert out == lines(*ALL)
    assert err == lines("djvet: 4 findings in 4 files")
    assert code == 1


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("foo = 1", f"pyproject.toml: [tool.djvet]: unknown key 'foo'; expected one of {KEYS}"),
        ('fail_on = "error"', f"pyproject.toml: [tool.djvet]: unknown key 'fail_on'; expected one of {KEYS}"),
        # a control character in a key is shown escaped, so the error stays one line
        ('"a\\r\\nb" = []', f"pyproject.toml: [tool.djvet]: unknown key 'a\\r\\nb'; expected one of {KEYS}"),
        ('fail-on = "high"', "pyproject.toml: [tool.djvet] fail-on: expected one of error, warning, info, never; got 'high'"),
        ('select = "DJV301"', "pyproject.toml: [tool.djvet] select: expected a list of strings; got 'DJV301'"),
        ("ignore = [301]", "pyproject.toml: [tool.djvet] ignore: expected a list of strings; got [301]"),
        ('exclude = "app"', "pyproject.toml: [tool.djvet] exclude: expected a list of strings; got 'app'"),
        ('per-file-ignores = ["app/*"]', "pyproject.toml: [tool.djvet] per-file-ignores: expected a table of glob = [codes]; got ['app/*']"),
        (
            '[tool.djvet.per-file-ignores]\n"app/*" = "DJV301"',
            "pyproject.toml: [tool.djvet] per-file-ignores.app/*: expected a list of strings; got 'DJV301'",
        ),
        ("settings-module = 5", "pyproject.toml: [tool.djvet] settings-module: expected a dotted module name; got 5"),
        ('sensitive-fields = "pin_code"', "pyproject.toml: [tool.djvet] sensitive-fields: expected a list of strings; got 'pin_code'"),
        (
            'not-sensitive-fields = ["token count"]',
            "pyproject.toml: [tool.djvet] not-sensitive-fields: expected field names or patterns like 'pin_code' or '*_pin'; "
            "got 'token count'",
        ),
        ('select = ["DJV999"]', "pyproject.toml: [tool.djvet] select: 'DJV999' matches no rule; expected a code like DJV301 or a prefix like DJV3"),
        ('ignore = ["XYZ"]', "pyproject.toml: [tool.djvet] ignore: 'XYZ' matches no rule; expected a code like DJV301 or a prefix like DJV3"),
        (
            '[tool.djvet.per-file-ignores]\n"app/*" = ["DJV999"]',
            "pyproject.toml: [tool.djvet] per-file-ignores.app/*: 'DJV999' matches no rule; "
            "expected a code like DJV301 or a prefix like DJV3",
        ),
    ],
)
def test_config_errors_exit_2_with_one_line_naming_file_and_key(tmp_path, monkeypatch, capsys, config, message):
    monkeypatch.chdir(write_project(tmp_path, config))
    code, out, err = run(capsys, "check")
    assert (code, out) == (2, "")
    assert err == lines(f"djvet: {message}")


def test_tool_djvet_that_is_not_a_table(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(write_project(tmp_path, "", pyproject_head='[tool]\ndjvet = "yes"\n'))
    code, out, err = run(capsys, "check")
    assert (code, out, err) == (2, "", lines("djvet: pyproject.toml: [tool.djvet]: expected a table"))


def test_invalid_toml_exits_2_with_one_line(tmp_path, monkeypatch, capsys):
    text = "[tool.djvet]\nselect = [\"DJV301\"\nignore = 1\n"
    write_project(tmp_path, "")
    (tmp_path / "pyproject.toml").write_text(text, encoding="utf-8")
    with pytest.raises(tomllib.TOMLDecodeError) as parse_error:
        tomllib.loads(text)
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "check")
    assert (code, out) == (2, "")
    assert err == lines(f"djvet: pyproject.toml: invalid TOML: {parse_error.value}")


def test_config_errors_name_the_file_relative_to_the_current_directory(tmp_path, monkeypatch, capsys):
    write_project(tmp_path / "proj", "foo = 1")
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, "check", "proj")
    assert code == 2
    assert err == lines(f"djvet: proj/pyproject.toml: [tool.djvet]: unknown key 'foo'; expected one of {KEYS}")


def test_config_in_a_parent_folder_is_named_as_that_file(tmp_path, monkeypatch, capsys):
    # The project root is proj/ (manage.py, and a pyproject.toml without [tool.djvet]); the
    # nearest [tool.djvet] is in the folder above, and the message must name that file.
    (tmp_path / "pyproject.toml").write_text("[tool.djvet]\nfoo = 1\n", encoding="utf-8")
    write_project(tmp_path / "proj", "", pyproject_head='[project]\nname = "proj"\n')
    (tmp_path / "proj" / "manage.py").write_text("", encoding="utf-8")
    monkeypatch.chdir(tmp_path / "proj")
    code, _, err = run(capsys, "check")
    assert code == 2
    assert err == lines(f"djvet: ../pyproject.toml: [tool.djvet]: unknown key 'foo'; expected one of {KEYS}")


def test_config_in_a_parent_folder_applies(tmp_path, monkeypatch, capsys):
    (tmp_path / "pyproject.toml").write_text('[tool.djvet]\nselect = ["DJV302"]\n', encoding="utf-8")
    write_project(tmp_path / "proj", "", pyproject_head='[project]\nname = "proj"\n')
    monkeypatch.chdir(tmp_path / "proj")
    code, out, _ = run(capsys, "check")
    assert out == lines(API_302, LINE_302)
    assert code == 1


@pytest.mark.parametrize(
    "head",
    ['[tool]\ndjvet = {select = ["DJV302"]}\n', '[tool]\ndjvet.select = ["DJV302"]\n', 'tool.djvet.select = ["DJV302"]\n'],
)
def test_tool_djvet_in_any_toml_spelling(tmp_path, monkeypatch, capsys, head):
    monkeypatch.chdir(write_project(tmp_path, "", pyproject_head=head))
    code, out, _ = run(capsys, "check")
    assert out == lines(API_302, LINE_302)
    assert code == 1


def test_pyproject_without_tool_djvet_uses_defaults(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(write_project(tmp_path, "", pyproject_head='[project]\nname = "x"\n'))
    code, out, _ = run(capsys, "check")
    assert out == lines(*ALL)
    assert code == 1


@pytest.mark.parametrize(
    ("fail_on_a", "fail_on_b", "expected"),
    [("warning", "never", 1), ("never", "warning", 0), ("never", "never", 0), ("error", "info", 0)],
)
def test_each_project_keeps_its_own_fail_on(tmp_path, monkeypatch, capsys, fail_on_a, fail_on_b, expected):
    # pre-commit in a monorepo passes files of several projects to one run; only `a` has findings
    write_project(tmp_path / "a", f'fail-on = "{fail_on_a}"')
    write_project(tmp_path / "b", f'fail-on = "{fail_on_b}"')
    for rel in ("app/serializers.py", "app/api.py"):
        (tmp_path / "b" / rel).write_text("", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, "check", "a", "b")
    assert out == lines(*(f"a/{line}" for line in ALL))
    assert code == expected


SENSITIVE_MODELS = """\
from django.db import models


class Card(models.Model):
    label = models.CharField(max_length=50)
    pin_code = models.PositiveIntegerField()
    api_token = models.CharField(max_length=64)
"""
SENSITIVE_SERIALIZERS = """\
from rest_framework import serializers
from app.models import Card


class CardSerializer(serializers.ModelSerializer):
    class Meta:
        model = Card
        fields = "__all__"
"""


@pytest.mark.parametrize(
    ("config", "fields"),
    [
        ("", ["api_token"]),
        ('sensitive-fields = ["pin_code"]', ["api_token", "pin_code"]),
        ('sensitive-fields = ["*_code"]\nnot-sensitive-fields = ["API_TOKEN"]', ["pin_code"]),
    ],
)
def test_sensitive_fields_extend_and_not_sensitive_fields_remove(tmp_path, monkeypatch, capsys, config, fields):
    (tmp_path / "pyproject.toml").write_text(f'[tool.djvet]\nselect = ["DJV305"]\n{config}\n', encoding="utf-8")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "app" / "models.py").write_text(SENSITIVE_MODELS, encoding="utf-8")
    (tmp_path / "app" / "serializers.py").write_text(SENSITIVE_SERIALIZERS, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, "check")
    assert out == lines(
        *(
            f'app/serializers.py:8:9: DJV305 `CardSerializer` sends `Card.{name}` to clients (through `fields = "__all__"`)'
            for name in fields
        )
    )
    assert code == 1
