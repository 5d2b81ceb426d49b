"""The pylint plugin reports exactly what `djvet check` reports, under pylint's ids, pragmas and stdin."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import astroid
import pytest
from pylint.testutils import UnittestLinter

from djvet.catalog import default_catalog
from djvet.config import ConfigError
from djvet.finding import FileError
from djvet.index.discover import iter_python_files
from djvet.pylint import CONFIG_ERROR, INTERNAL_ERROR, INTERNAL_MSGS, DjvetChecker, ModuleResult, message_id
from djvet.runner import check_paths
from fixture_markers import read_markers

REPO = Path(__file__).resolve().parents[1]
PROJECTS = REPO / "fixtures" / "projects"
BOOKSHOP = PROJECTS / "bookshop"
CATALOG = default_catalog()
CODE_BY_SYMBOL = {meta.name: code for code, meta in CATALOG.items()}
ERROR_SYMBOLS = (INTERNAL_ERROR, CONFIG_ERROR)

# (path relative to the repo or tmp root, line, column, end line, end column, code, message)
Result = tuple[str, int, int, int, int, str, str]


def _shown(path: str | Path, base: Path) -> str:
    resolved = Path(path).resolve()
    return resolved.relative_to(base).as_posix() if resolved.is_relative_to(base) else resolved.as_posix()


def run_pylint(args: Sequence[str], cwd: Path = REPO, stdin: str | None = None, plugins: str = "djvet.pylint") -> list[dict[str, Any]]:
    """pylint in a subprocess (pylint-django's astroid transforms must not leak into this process),
    with an empty rcfile so the repository's own configuration does not interfere."""
    command = [sys.executable, "-m", "pylint", f"--rcfile={os.devnull}", "--persistent=n", "--output-format=json2"]
    command.append(f"--load-plugins={plugins}")
    proc = subprocess.run([*command, *args], cwd=cwd, input=stdin, capture_output=True, text=True)
    assert proc.returncode & 32 == 0, f"pylint usage error:\n{proc.stdout}\n{proc.stderr}"
    assert "Traceback" not in proc.stderr, proc.stderr
    messages = json.loads(proc.stdout)["messages"]
    crashes = [m for m in messages if m["symbol"] in ("astroid-error", "bad-plugin-value", "fatal")]
    assert crashes == []
    return messages


def djvet_via_pylint(messages: Iterable[dict[str, Any]], base: Path = REPO) -> tuple[set[Result], list[tuple[str, str]]]:
    """djvet's findings and errors out of pylint's messages, columns back to 1-based."""
    findings: set[Result] = set()
    errors: list[tuple[str, str]] = []
    for m in messages:
        shown = _shown(m["absolutePath"], base)
        if m["symbol"] in CODE_BY_SYMBOL:
            code = CODE_BY_SYMBOL[m["symbol"]]
            findings.add((shown, m["line"], m["column"] + 1, m["endLine"], m["endColumn"] + 1, code, m["message"]))
        elif m["symbol"] in ERROR_SYMBOLS:
            errors.append((shown, m["message"]))
    return findings, sorted(errors)


def djvet_via_cli(paths: Sequence[Path], base: Path = REPO) -> tuple[set[Result], list[tuple[str, str]]]:
    report = check_paths(paths)
    findings = {
        (_shown(f.path, base), f.line, f.column, f.end_line, f.end_column, f.code, f.message) for f in report.findings
    }
    return findings, sorted((_shown(e.path, base), e.message) for e in report.errors)


def assert_same(cli: set[Result], pylint: set[Result]) -> None:
    only_cli = sorted(cli - pylint)
    only_pylint = sorted(pylint - cli)
    assert (only_cli, only_pylint) == ([], []), (
        "djvet check and the pylint plugin disagree\n"
        + "".join(f"  only djvet check: {r}\n" for r in only_cli)
        + "".join(f"  only pylint:      {r}\n" for r in only_pylint)
    )


def locations(results: Iterable[Result]) -> set[tuple[str, int, int, str]]:
    return {(path, line, column, code) for path, line, column, _, _, code, _ in results}


def lines_and_codes(results: Iterable[Result]) -> set[tuple[int, str]]:
    return {(line, code) for _, line, _, _, _, code, _ in results}


def _parity_targets() -> list[tuple[str, list[Path]]]:
    targets = [("rules", sorted((REPO / "fixtures" / "rules").glob("DJV*.py")))]
    for project in sorted(p for p in PROJECTS.iterdir() if p.is_dir()):
        targets.append((project.name, list(iter_python_files(project))))
    return targets


# ---- parity with `djvet check` -------------------------------------------------------------


@pytest.mark.parametrize(("name", "files"), _parity_targets(), ids=[name for name, _ in _parity_targets()])
def test_pylint_reports_exactly_what_djvet_check_reports(name: str, files: list[Path]) -> None:
    # One pylint run for all files of a target: pylint is slow to start, the plugin caches the index.
    messages = run_pylint(["--disable=all", "--enable=djvet", *map(str, files)])
    cli_findings, cli_errors = djvet_via_cli(files)
    pylint_findings, pylint_errors = djvet_via_pylint(messages)
    assert cli_findings, f"{name}: the fixtures should give djvet something to report"
    assert_same(cli_findings, pylint_findings)
    assert pylint_errors == cli_errors == []


def test_parallel_jobs_report_what_a_single_process_reports() -> None:
    files = list(iter_python_files(BOOKSHOP))
    cli_findings, _ = djvet_via_cli(files)
    pylint_findings, errors = djvet_via_pylint(run_pylint(["--disable=all", "--enable=djvet", "--jobs=2", *map(str, files)]))
    assert_same(cli_findings, pylint_findings)
    assert errors == []


def test_config_and_module_names_pylint_sees_differently_give_the_same_findings(
    make_project: Callable[[dict[str, str]], Path],
) -> None:
    # No __init__.py: djvet names the module `serializers`, pylint with --source-roots
    # `shop.serializers`, so the plugin builds the tree under djvet's name.
    model = "from django.db import models\n\nclass Thing(models.Model):\n    name = models.CharField(max_length=9)\n"
    serializer = """
        from rest_framework import serializers

        from .models import Thing


        class ThingSerializer(serializers.ModelSerializer):
            class Meta:
                model = Thing
                {option}
        """
    root = make_project(
        {
            "pyproject.toml": '[tool.djvet]\nexclude = ["legacy/**"]\n'
            '[tool.djvet.per-file-ignores]\n"shop/admin_api.py" = ["DJV302"]\n',
            "shop/models.py": model,
            "shop/serializers.py": serializer.replace("{option}", 'fields = "__all__"'),
            "shop/admin_api.py": serializer.replace("{option}", 'exclude = ["name"]'),
            "legacy/models.py": model,
            "legacy/serializers.py": serializer.replace("{option}", 'fields = "__all__"'),
        }
    )
    files = list(iter_python_files(root))
    messages = run_pylint(["--disable=all", "--enable=djvet", f"--source-roots={root}", *map(str, files)], cwd=root)
    assert {m["module"] for m in messages} == {"shop.serializers"}
    cli_findings, _ = djvet_via_cli(files, base=root)
    pylint_findings, errors = djvet_via_pylint(messages, base=root)
    assert locations(cli_findings) == {("shop/serializers.py", 9, 9, "DJV301")}
    assert_same(cli_findings, pylint_findings)
    assert errors == []


# ---- the index covers the whole project ----------------------------------------------------


def test_linting_one_file_still_sees_the_base_serializer_in_another_app() -> None:
    target = BOOKSHOP / "orders" / "serializers.py"
    findings, errors = djvet_via_pylint(run_pylint(["--disable=all", "--enable=djvet", str(target)]))
    fields_all = {f for f in findings if f[5] == "DJV301"}  # the file has other rules' findings too
    assert locations(fields_all) == {("fixtures/projects/bookshop/orders/serializers.py", 20, 5, "DJV301")}
    assert "TimeStampedSerializer.Meta" in next(iter(fields_all))[6]
    assert errors == []


# ---- --from-stdin: an editor's unsaved buffer ----------------------------------------------

CATALOG_SERIALIZERS = BOOKSHOP / "catalog" / "serializers.py"
EXCLUDE_LINE = '        exclude = ("created_at", "updated_at")  # djvet-expect: DJV302\n'
NEW_SERIALIZER = (
    '\n\nclass TagAdminSerializer(serializers.ModelSerializer):\n    class Meta:\n        model = Tag\n'
    '        fields = "__all__"  # djvet-expect: DJV301\n'
)
# The buffer's DJV301 / DJV302 markers say what to expect (the file has other rules' markers too).
OPTION_CODES = ("DJV301", "DJV302")


def _expected_options(text: str) -> set[tuple[int, str]]:
    return {(line, code) for line, code in read_markers(text).expect if code in OPTION_CODES}


def _explicit_fields(text: str) -> str:
    assert EXCLUDE_LINE in text
    return text.replace(EXCLUDE_LINE, '        fields = ["id", "name"]\n')


def _one_more_serializer(text: str) -> str:
    return text + NEW_SERIALIZER


def _unchanged(text: str) -> str:
    return text


@pytest.mark.parametrize(
    "edit",
    [_explicit_fields, _one_more_serializer, _unchanged],
    ids=["explicit-fields-replace-exclude", "new-fields-all-serializer", "buffer-equals-file"],
)
def test_stdin_buffer_is_checked_instead_of_the_file_on_disk(edit: Callable[[str], str]) -> None:
    on_disk = CATALOG_SERIALIZERS.read_text(encoding="utf-8")
    buffer = edit(on_disk)
    expected = _expected_options(buffer)
    assert (expected != _expected_options(on_disk)) == (edit is not _unchanged)
    assert {"DJV301", "DJV302"} & {code for _, code in expected}
    messages = run_pylint(["--disable=all", "--enable=djvet", "--from-stdin", str(CATALOG_SERIALIZERS)], stdin=buffer)
    findings, errors = djvet_via_pylint(messages)
    shown = "fixtures/projects/bookshop/catalog/serializers.py"
    options = {f for f in findings if f[5] in OPTION_CODES}
    assert locations(options) == {(shown, line, 9, code) for line, code in expected}
    assert errors == []
    assert CATALOG_SERIALIZERS.read_text(encoding="utf-8") == on_disk


# ---- message registration beside pylint's checkers and pylint-django -----------------------

REGISTRATION_SCRIPT = """
import importlib, json, pkgutil, sys
import pylint.extensions
from pylint.lint import PyLinter
linter = PyLinter()
linter.load_default_plugins()
modules = ["pylint_django", "djvet.pylint"]
if sys.argv[1] == "extensions":
    found = pkgutil.iter_modules(pylint.extensions.__path__, "pylint.extensions.")
    modules = [m.name for m in found if not m.name.rsplit(".", 1)[1].startswith("_")] + modules
linter.load_plugin_modules(modules)
print(json.dumps([[m.msgid, m.symbol, m.checker_name] for m in linter.msgs_store.messages]))
"""


def _registered(mode: str) -> list[tuple[str, str, str]]:
    proc = subprocess.run([sys.executable, "-c", REGISTRATION_SCRIPT, mode], capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    return [tuple(m) for m in json.loads(proc.stdout)]


@pytest.mark.parametrize("mode", ["default", "extensions"])
def test_djvet_messages_register_beside_pylint_and_pylint_django(mode: str) -> None:
    registered = _registered(mode)
    djvet = {(msgid, symbol) for msgid, symbol, checker in registered if checker == "djvet"}
    expected = {(message_id(meta), meta.name) for meta in CATALOG.values()}
    expected |= {(msgid, definition[1]) for msgid, definition in INTERNAL_MSGS.items()}
    assert djvet == expected
    others = [(msgid, symbol, checker) for msgid, symbol, checker in registered if checker != "djvet"]
    clashes = [o for o in others if o[0] in {m for m, _ in djvet} or o[1] in {s for _, s in djvet}]
    assert clashes == []
    if mode == "default":
        # pylint's and pylint-django's checkers own no id in djvet's checker ids (6x). pylint's
        # optional extensions do use 60-63 (typing, code_style, ...) with other letters and
        # numbers, which pylint allows: only whole ids and symbols must be unique.
        ours = {msgid[1:3] for msgid, _ in djvet}
        assert [o for o in others if o[0][1:3] in ours] == []


def test_pylint_django_and_pylint_checkers_leave_djvet_findings_unchanged() -> None:
    files = [BOOKSHOP / "catalog" / "serializers.py", BOOKSHOP / "orders" / "serializers.py"]
    # pylint's own checkers stay on; pylint-django must not need Django installed or configured.
    messages = run_pylint([*map(str, files)], plugins="djvet.pylint,pylint_django")
    assert any(m["symbol"] == "missing-module-docstring" for m in messages), "pylint's own checkers ran"
    cli_findings, _ = djvet_via_cli(files)
    pylint_findings, errors = djvet_via_pylint(messages)
    assert_same(cli_findings, pylint_findings)
    assert errors == []


@pytest.mark.parametrize(("severity", "letter"), [("error", "E"), ("warning", "W"), ("info", "I")])
def test_message_id_is_severity_letter_6_family_and_code_digits(severity: str, letter: str) -> None:
    meta = replace(CATALOG["DJV301"], severity=severity)
    assert message_id(meta) == f"{letter}6301"


def test_finding_with_a_lowered_severity_keeps_its_rules_message_id(tmp_path: Path) -> None:
    # pylint fixes a message's category by its id, so a finding whose severity the rule lowered
    # (an insecure environment default: warning, not DJV501's error) is still E6501 in pylint
    (tmp_path / "pyproject.toml").write_text("[tool.djvet]\n")
    (tmp_path / "mysite").mkdir()
    (tmp_path / "mysite" / "__init__.py").write_text("")
    settings = tmp_path / "mysite" / "settings.py"
    settings.write_text('import os\nINSTALLED_APPS = ["shop"]\nROOT_URLCONF = "mysite.urls"\nDEBUG = os.environ.get("DEBUG", True)\n')
    report = check_paths([settings])
    assert [(f.code, f.line, f.severity) for f in report.findings] == [("DJV501", 4, "warning")]
    messages = run_pylint(["--disable=all", "--enable=djvet", str(settings)], cwd=tmp_path)
    assert [(m["messageId"], m["symbol"], m["type"], m["line"], m["message"]) for m in messages] == [
        ("E6501", "debug-true", "error", 4, "`DEBUG` defaults to `True` when `DEBUG` is not set in `mysite.settings`")
    ]


# ---- suppression ---------------------------------------------------------------------------

RULE_FIXTURE = REPO / "fixtures" / "rules" / "DJV301.py"
FIELDS_ALL_LINE = '        fields = "__all__"  # djvet-expect: DJV301\n'


@pytest.mark.parametrize(
    ("comment", "hidden_in_djvet", "hidden_in_pylint"),
    [
        ("# noqa: DJV301", True, True),
        ("# noqa", True, True),
        ("# pylint: disable=serializer-fields-all", False, True),
        ("# noqa: DJV302", False, False),
    ],
)
def test_suppression_comment_hides_the_finding_on_its_line(
    tmp_path: Path, comment: str, hidden_in_djvet: bool, hidden_in_pylint: bool
) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.djvet]\n")
    text = RULE_FIXTURE.read_text(encoding="utf-8")
    line = text[: text.index(FIELDS_ALL_LINE)].count("\n") + 1
    target = tmp_path / "serializers.py"
    target.write_text(text.replace(FIELDS_ALL_LINE, f'        fields = "__all__"  {comment}\n', 1), encoding="utf-8")
    everything = lines_and_codes(djvet_via_cli([RULE_FIXTURE])[0])
    assert (line, "DJV301") in everything
    suppressed = {(line, "DJV301")}

    cli_findings, _ = djvet_via_cli([target], base=tmp_path)
    messages = run_pylint(["--disable=all", "--enable=djvet", str(target)], cwd=tmp_path)
    pylint_findings, errors = djvet_via_pylint(messages, base=tmp_path)
    assert lines_and_codes(cli_findings) == (everything - suppressed if hidden_in_djvet else everything)
    assert lines_and_codes(pylint_findings) == (everything - suppressed if hidden_in_pylint else everything)
    assert errors == []


# ---- djvet's own errors ----------------------------------------------------------------------


def test_invalid_config_is_reported_in_every_module_with_the_cli_message(
    make_project: Callable[[dict[str, str]], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project(
        {
            "pyproject.toml": "[tool.djvet]\nfail-on = 'high'\n",
            "shop/serializers.py": "from rest_framework import serializers\n",
            "shop/views.py": "from rest_framework import viewsets\n",
        }
    )
    monkeypatch.chdir(root)  # both frontends name pyproject.toml relative to the current directory
    with pytest.raises(ConfigError) as raised:
        check_paths([root])
    files = [str(root / "shop" / "serializers.py"), str(root / "shop" / "views.py")]
    messages = run_pylint(["--disable=all", "--enable=djvet", *files], cwd=root)
    reported = {(_shown(m["absolutePath"], root), m["line"], m["messageId"], m["symbol"], m["message"]) for m in messages}
    assert reported == {
        (path, 1, "F6902", CONFIG_ERROR, str(raised.value)) for path in ("shop/serializers.py", "shop/views.py")
    }


class _FailedAnalysis:
    """Stands in for the plugin's Analysis: the result a module gets when a rule crashed on it."""

    def __init__(self, result: ModuleResult) -> None:
        self.result = result

    def results_for(self, module: astroid.nodes.Module) -> ModuleResult:
        return self.result


def test_rule_failure_on_a_module_is_reported_not_swallowed() -> None:
    message = "internal error in DJV301 (serializer-fields-all) at line 3: KeyError: 'x'"
    result = ModuleResult(errors=[FileError("shop/serializers.py", message, internal=True)])
    linter = UnittestLinter()
    checker = DjvetChecker(linter, _FailedAnalysis(result), None, dict(INTERNAL_MSGS))  # type: ignore[arg-type]
    linter.register_checker(checker)
    checker.visit_module(astroid.parse("x = 1\n", module_name="shop.serializers"))
    reported = [(m.msg_id, m.line, m.col_offset, m.args) for m in linter.release_messages()]
    assert reported == [(INTERNAL_ERROR, 1, 0, (message,))]
