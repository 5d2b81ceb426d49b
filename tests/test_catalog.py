"""The rule catalog (rules/*.yaml): the loader's checks, YAML <-> code 1:1, and the docs' examples."""

from __future__ import annotations

import copy
import inspect
import re
from pathlib import Path

import pytest
import yaml

from djvet.catalog import CatalogError, catalog_dir, default_catalog, load_catalog
from djvet.rule import Rule, load_rule_classes
from djvet.runner import check_paths

REPO = Path(__file__).resolve().parents[1]
RULE_FILES = sorted((REPO / "rules").glob("*.yaml"))
CODES = [path.stem for path in RULE_FILES]
RULE_FIXTURES = sorted(p for p in (REPO / "fixtures" / "rules").glob("DJV*.py") if not p.name.endswith(".fixed.py"))
TOP_KEYS = "code, name, summary, message, severity, confidence, category, default, docs, fix"
DOCS_KEYS = "what, why, example, use_instead, references"


def _raw(code: str = "DJV301") -> dict[str, object]:
    return yaml.safe_load((REPO / "rules" / f"{code}.yaml").read_text(encoding="utf-8"))


def _load(tmp_path: Path, data: object, filename: str = "DJV301.yaml") -> None:
    (tmp_path / filename).write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    load_catalog(tmp_path)


def _set(data: dict[str, object], dotted: str, value: object) -> None:
    *parents, last = dotted.split(".")
    for key in parents:
        data = data[key]  # type: ignore[assignment]
    data[last] = value


def _delete(data: dict[str, object], dotted: str) -> None:
    *parents, last = dotted.split(".")
    for key in parents:
        data = data[key]  # type: ignore[assignment]
    del data[last]


# --- the loader ------------------------------------------------------------------------------


def test_the_bundled_catalog_loads_from_the_rules_folder():
    assert catalog_dir() == REPO / "rules"
    assert list(default_catalog()) == CODES


def test_a_copy_of_a_valid_rule_loads(tmp_path):
    _load(tmp_path, _raw())
    assert list(load_catalog(tmp_path)) == ["DJV301"]


def test_a_rule_with_a_fix_loads(tmp_path):
    data = _raw()
    data["fix"] = {"safety": "unsafe", "title": "List the fields explicitly"}
    _load(tmp_path, data)
    fix = load_catalog(tmp_path)["DJV301"].fix
    assert fix is not None and (fix.safety, fix.title) == ("unsafe", "List the fields explicitly")


FIX = {"safety": "safe", "title": "List the fields"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: _set(d, "owner", "me"), f"DJV301.yaml: unknown key 'owner'; expected one of {TOP_KEYS}"),
        (lambda d: _delete(d, "summary"), "DJV301.yaml: missing key 'summary'"),
        (lambda d: _delete(d, "fix"), "DJV301.yaml: missing key 'fix'"),
        (lambda d: _set(d, "docs.notes", "x"), f"DJV301.yaml: docs: unknown key 'notes'; expected one of {DOCS_KEYS}"),
        (lambda d: _delete(d, "docs.why"), "DJV301.yaml: docs: missing key 'why'"),
        (lambda d: _delete(d, "docs.references"), "DJV301.yaml: docs: missing key 'references'"),
        (lambda d: _set(d, "docs", "text"), f"DJV301.yaml: docs: expected a mapping with keys {DOCS_KEYS}"),
        (lambda d: _set(d, "fix", {**FIX, "applies": "always"}), "DJV301.yaml: fix: unknown key 'applies'; expected one of safety, title"),
        (lambda d: _set(d, "fix", {"safety": "safe"}), "DJV301.yaml: fix: missing key 'title'"),
        (lambda d: _set(d, "fix", {**FIX, "safety": "maybe"}), "DJV301.yaml: fix: safety: expected one of safe, unsafe; got 'maybe'"),
        (lambda d: _set(d, "severity", "critical"), "DJV301.yaml: severity: expected one of error, warning, info; got 'critical'"),
        (lambda d: _set(d, "severity", "Warning"), "DJV301.yaml: severity: expected one of error, warning, info; got 'Warning'"),
        (lambda d: _set(d, "confidence", "medium"), "DJV301.yaml: confidence: expected one of high, inference; got 'medium'"),
        (lambda d: _set(d, "code", "DJV302"), "DJV301.yaml: code: expected DJVnnn matching the file name; got 'DJV302'"),
        (lambda d: _set(d, "code", "DJV901"), "DJV301.yaml: code: expected DJVnnn matching the file name; got 'DJV901'"),
        (lambda d: _set(d, "name", "SerializerFieldsAll"), "DJV301.yaml: name: expected kebab-case; got 'SerializerFieldsAll'"),
        (lambda d: _set(d, "default", "yes"), "DJV301.yaml: default: expected true or false; got 'yes'"),
        (lambda d: _set(d, "message", ""), "DJV301.yaml: message: expected a non-empty string"),
        (lambda d: _set(d, "docs.example", None), "DJV301.yaml: docs: example: expected a non-empty string"),
        (lambda d: _set(d, "docs.references", "https://example.com"), "DJV301.yaml: docs: references: expected a list of strings"),
    ],
)
def test_the_loader_rejects_a_malformed_rule_naming_file_and_key(tmp_path, change, message):
    data = copy.deepcopy(_raw())
    change(data)
    with pytest.raises(CatalogError) as exc:
        _load(tmp_path, data)
    assert str(exc.value) == message


def test_the_loader_rejects_a_file_name_that_is_not_the_code(tmp_path):
    with pytest.raises(CatalogError) as exc:
        _load(tmp_path, _raw(), filename="serializer-fields-all.yaml")
    assert str(exc.value) == "serializer-fields-all.yaml: code: expected DJVnnn matching the file name; got 'DJV301'"


def test_the_loader_rejects_a_name_used_twice(tmp_path):
    data = _raw()
    _load(tmp_path, data)
    data["code"] = "DJV399"
    with pytest.raises(CatalogError) as exc:
        _load(tmp_path, data, filename="DJV399.yaml")
    assert str(exc.value) == "DJV399.yaml: name: 'serializer-fields-all' is already used by DJV301"


@pytest.mark.parametrize("text", ["code: [DJV301\n", "- a list\n", "code: DJV301\n\tname: x\n"])
def test_the_loader_rejects_unreadable_yaml_in_one_line(tmp_path, text):
    (tmp_path / "DJV301.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(CatalogError) as exc:
        load_catalog(tmp_path)
    assert str(exc.value).startswith("DJV301.yaml: ")
    assert "\n" not in str(exc.value)


# --- YAML and code are 1:1 -------------------------------------------------------------------


def _subclasses(cls: type) -> list[type]:
    return [sub for direct in cls.__subclasses__() for sub in (direct, *_subclasses(direct))]


def test_every_rule_yaml_has_exactly_one_rule_class_and_vice_versa():
    classes = load_rule_classes()
    assert sorted(classes) == CODES
    by_code: dict[str, list[str]] = {}
    for sub in _subclasses(Rule):
        if sub.__module__.startswith("djvet.rules.") and getattr(sub, "code", None):
            by_code.setdefault(sub.code, []).append(sub.__qualname__)
    assert by_code == {code: [cls.__qualname__] for code, cls in classes.items()}


@pytest.mark.parametrize("code", CODES)
def test_rule_class_lives_in_the_file_its_name_says(code):
    meta = default_catalog()[code]
    cls = load_rule_classes()[code]
    path = Path(inspect.getfile(cls))
    assert path.name == f"{code.lower()}_{meta.name.replace('-', '_')}.py"
    assert cls.__name__ == "".join(part.capitalize() for part in meta.name.split("-"))
    assert path.parent.parent.name == "rules"


@pytest.mark.parametrize("code", CODES)
def test_message_and_summary_follow_the_style(code):
    meta = default_catalog()[code]
    for text in (meta.message, meta.summary):
        assert "\n" not in text.strip()
        assert not text.rstrip().endswith(".")
    assert meta.message_fields, "a message names the offending object"


# --- the docs' examples ----------------------------------------------------------------------

KIND_FILES = {
    "models": "app/models.py",
    "serializers": "app/serializers.py",
    "views": "app/views.py",
    "urls": "app/urls.py",
    "settings": "app/settings.py",
    "admin": "app/admin.py",
    "tasks": "app/tasks.py",
    "forms": "app/forms.py",
    "apps": "app/apps.py",
    "tests": "app/tests.py",
}


def _check_snippet(tmp_path: Path, code: str, snippet: str) -> list[tuple[str, str, int]]:
    """The snippet as a file of a one-app project with only `code` selected: (path, code, line) found."""
    cls = load_rule_classes()[code]
    rel = next((KIND_FILES[k] for k in sorted(cls.needs_kinds) if k in KIND_FILES), "app/snippet.py")
    (tmp_path / "pyproject.toml").write_text(f'[tool.djvet]\nselect = ["{code}"]\n', encoding="utf-8")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / rel).write_text(snippet, encoding="utf-8")
    report = check_paths([tmp_path])
    assert [(e.path, e.message) for e in report.errors] == []
    return [(Path(f.path).name, f.code, f.line) for f in report.findings]


@pytest.mark.parametrize("code", CODES)
def test_docs_example_fires_its_rule(tmp_path, monkeypatch, code):
    monkeypatch.chdir(tmp_path)
    found = _check_snippet(tmp_path, code, default_catalog()[code].docs.example)
    assert any(c == code for _, c, _ in found), f"{code}'s docs.example does not fire: {found}"


@pytest.mark.parametrize("code", CODES)
def test_docs_use_instead_does_not_fire(tmp_path, monkeypatch, code):
    monkeypatch.chdir(tmp_path)
    found = _check_snippet(tmp_path, code, default_catalog()[code].docs.use_instead)
    assert found == []


def test_the_examples_of_djv301_and_djv302_fire_on_the_fields_line(tmp_path, monkeypatch):
    for code, line in (("DJV301", 11), ("DJV302", 11)):
        folder = tmp_path / code
        folder.mkdir()
        monkeypatch.chdir(folder)
        assert _check_snippet(folder, code, default_catalog()[code].docs.example) == [("snippet.py", code, line)]


# --- message templates -----------------------------------------------------------------------


def test_rule_fixtures_run_without_internal_errors():
    """A placeholder in a YAML message that the rule does not provide is an internal error."""
    report = check_paths(RULE_FIXTURES, {"select": ["ALL"]})
    assert [(e.path, e.message) for e in report.errors] == []
    fired = {f.code for f in report.findings}
    for finding in report.findings:
        assert not re.search(r"\{\w*\}", finding.message), finding.message
    for fixture in RULE_FIXTURES:
        assert fixture.stem in fired, f"{fixture.name} fires nothing: its message template was never formatted"
