"""The files djvet reads besides the Python it checks never knock it over: settings with odd values,
templates with broken syntax or bytes, and pyproject.toml with a bad [tool.djvet] (one line naming
the file, exit 2, never a traceback)."""

from __future__ import annotations

import datetime
import json
import math
import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from djvet.cli import main
from djvet.config import KEYS
from test_robustness import RULE_FIXTURES, SERIALIZERS
from test_robustness_generated import Sandbox, assert_findings_or_errors, fuzz_settings

# --- settings modules with odd values ---------------------------------------------------------

SETTINGS_NAMES = [
    "INSTALLED_APPS", "MIDDLEWARE", "REST_FRAMEWORK", "AUTH_USER_MODEL", "TEMPLATES", "ROOT_URLCONF", "DEBUG",
    "SECRET_KEY", "ALLOWED_HOSTS", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS", "SECURE_PROXY_SSL_HEADER", "DATABASES", "LOGGING", "AUTH_PASSWORD_VALIDATORS",
    "X_FRAME_OPTIONS", "SESSION_ENGINE", "PASSWORD_HASHERS", "BASE_DIR", "CORS_ALLOW_ALL_ORIGINS",
]  # fmt: skip
SUB_KEYS = [
    '"DEFAULT_PERMISSION_CLASSES"', '"DEFAULT_AUTHENTICATION_CLASSES"', '"DEFAULT_THROTTLE_CLASSES"', '"BACKEND"',
    '"DIRS"', '"APP_DIRS"', '"OPTIONS"', '"loaders"', '"context_processors"', '"default"', '"ENGINE"', '"NAME"',
    '"CONN_MAX_AGE"', '"ATOMIC_REQUESTS"', "0", "None", "BASE_DIR", '""',
]  # fmt: skip
SETTING_VALUES = [
    "None", "True", "0", "-1", "10**100", "1.5", "''", "'x'", "'nodot'", "'a.b.c'", "'app.Author'", "'auth.User'",
    "'rest_framework.permissions.AllowAny'", "'rest_framework.permissions.IsAuthenticated'",
    "'django.template.backends.django.DjangoTemplates'", "'django.template.backends.jinja2.Jinja2'",
    "'django.middleware.csrf.CsrfViewMiddleware'", "BASE_DIR", "BASE_DIR / 'templates'", "BASE_DIR / 5",
    "Path(__file__).resolve().parent.parent", "os.path.join(BASE_DIR, 'templates')", "os.environ.get('X')",
    "os.environ.get('X', 'a,b').split(',')", "os.environ['X']", "int(os.environ.get('PORT', '8000'))",
    "env('X')", "env.bool('DEBUG', default=False)", "env.list('HOSTS', default=[])", "lambda: 0", "...",
    "1 / 0", "f'{SECRET_KEY}'", "b'bytes'", "[*INSTALLED_APPS]", "{**REST_FRAMEWORK}", "getattr(settings, 'X', 1)",
    "type('X', (), {})", "object()", "INSTALLED_APPS", "REST_FRAMEWORK", "TEMPLATES[0]", "MIDDLEWARE[::-1]",
    "not DEBUG", "'\\x00'", "'\\ud800'", "'é' * 3",
]  # fmt: skip


def _values(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.lists(inner, max_size=3).map(lambda items: f"[{', '.join(items)}]"),
        st.lists(inner, max_size=3).map(lambda items: f"({', '.join(items)},)" if items else "()"),
        st.lists(st.tuples(st.sampled_from(SUB_KEYS), inner), max_size=3).map(lambda kv: "{" + ", ".join(f"{k}: {v}" for k, v in kv) + "}"),
        st.tuples(inner, st.sampled_from(["+", "|", "if DEBUG else", "or", "*"]), inner).map(" ".join),
        st.tuples(st.sampled_from(["list", "tuple", "dict", "set", "str", "os.environ.get", "env", "sorted"]), inner).map(lambda t: f"{t[0]}({t[1]})"),
    )


setting_value = st.recursive(st.sampled_from(SETTING_VALUES), _values, max_leaves=8)
key = st.sampled_from(SETTINGS_NAMES)
setting_statement = st.one_of(
    st.tuples(key, setting_value).map(lambda t: f"{t[0]} = {t[1]}"),
    st.tuples(key, setting_value).map(lambda t: f"{t[0]} += {t[1]}"),
    st.tuples(key, st.sampled_from(["append", "insert", "extend", "update", "remove", "setdefault"]), setting_value).map(
        lambda t: f"{t[0]}.{t[1]}({'0, ' if t[1] == 'insert' else ''}{t[2]})"
    ),
    st.tuples(key, st.sampled_from(SUB_KEYS), setting_value).map(lambda t: f"{t[0]}[{t[1]}] = {t[2]}"),
    st.tuples(key, st.sampled_from(SUB_KEYS), setting_value).map(lambda t: f"{t[0]}[{t[1]}] += {t[2]}"),
    st.tuples(key, setting_value).map(lambda t: f"if DEBUG:\n    {t[0]} = {t[1]}\nelse:\n    del {t[0]}"),
    st.tuples(key, key, setting_value).map(lambda t: f"{t[0]}, {t[1]} = {t[2]}, {t[2]}"),
    st.tuples(key, setting_value).map(lambda t: f"globals()['{t[0]}'] = {t[1]}"),
    st.tuples(key, setting_value).map(lambda t: f"for item in {t[1]}:\n    {t[0]}.append(item)"),
    st.tuples(key, setting_value).map(lambda t: f"{t[0]}: list = {t[1]}"),
    st.sampled_from([
        "from .base import *", "from conf.settings import *", "from conf import settings", "from .local import *",
        "try:\n    from .local import *\nexcept ImportError:\n    pass", "import os", "from pathlib import Path",
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'conf.settings')", "exec('DEBUG = 1')",
        "del INSTALLED_APPS", "INSTALLED_APPS = INSTALLED_APPS", "REST_FRAMEWORK = REST_FRAMEWORK['x']",
    ]),
)  # fmt: skip
settings_module = st.lists(setting_statement, min_size=1, max_size=8).map(lambda lines: "\n".join(lines) + "\n")


@fuzz_settings(40)
@given(base=settings_module, local=st.none() | settings_module)
def test_settings_with_odd_values_never_knock_djvet_over(settings_sandbox, base, local):
    """The views, serializers and templates that read settings are still checked, whatever the settings say."""
    if local is not None:
        (settings_sandbox.root / "conf" / "local.py").write_text(local, encoding="utf-8")
    try:
        data = ("import os\nfrom pathlib import Path\n" + base).encode("utf-8")
        report, target = settings_sandbox.check("conf/settings.py", data)
    finally:
        (settings_sandbox.root / "conf" / "local.py").unlink(missing_ok=True)
    also = {} if local is None else {settings_sandbox.root / "conf" / "local.py": local.encode("utf-8")}
    assert_findings_or_errors(report, settings_sandbox, target, data, also)


@pytest.fixture(scope="module")
def settings_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Sandbox:
    """A project whose views, serializers and template views all depend on settings."""
    sandbox = Sandbox(tmp_path_factory.mktemp("settings") / "project")
    (sandbox.root / "conf").mkdir()
    (sandbox.root / "conf" / "__init__.py").write_text("", encoding="utf-8")
    for code in ("DJV107", "DJV201", "DJV202", "DJV301"):
        shutil.copy(RULE_FIXTURES / f"{code}.py", sandbox.root / "app" / f"{code.lower()}_views.py")
    return sandbox


# --- templates with broken syntax -------------------------------------------------------------

TEMPLATE_TOKENS = [
    "{%", "%}", "{{", "}}", "{#", "#}", "for", "endfor", "in", "empty", "if", "endif", "with", "endwith", "as", "=",
    "block", "endblock", "extends", '"base.html"', "include", "'djv107/shelf.html'", "|", ":", ".", "all", "count",
    "author", "writer", "name", "volumes", "critiques", "volume", "{% for x in %}", "{% endfor %}{% endfor %}",
    "{% for a, b in c.items %}", "{{ x.y.z.w }}", "{% with a=b.c %}", "{% load static %}", "\x00", "\ufeff", "é",
    "{% verbatim %}", "{% endverbatim %}", "{% comment %}", "{% endcomment %}", "{% spaceless %}", "\n", "\r\n", "'", '"',
]  # fmt: skip
TEMPLATE_FILES = sorted(p.name for p in (RULE_FIXTURES / "templates" / "djv107").glob("*.html"))
TEMPLATE_EDIT = st.one_of(
    st.tuples(st.just("delete"), st.integers(0, 10**5), st.integers(1, 40)),
    st.tuples(st.just("insert"), st.integers(0, 10**5), st.lists(st.sampled_from(TEMPLATE_TOKENS), min_size=1, max_size=6).map(" ".join)),
    st.tuples(st.just("bytes"), st.integers(0, 10**5), st.sampled_from([b"\xff", b"\xc3", b"\x00", b"\xef\xbb\xbf", b"\r"])),
)


def edit_template(data: bytes, edits: list[tuple[str, int, object]]) -> bytes:
    for kind, position, arg in edits:
        at = position % (len(data) + 1)
        if kind == "delete":
            data = data[:at] + data[at + int(arg) :]  # type: ignore[call-overload]
        else:
            data = data[:at] + (arg if isinstance(arg, bytes) else str(arg).encode("utf-8")) + data[at:]
    return data


@fuzz_settings(40)
@given(name=st.sampled_from(TEMPLATE_FILES), edits=st.lists(TEMPLATE_EDIT, min_size=1, max_size=6))
def test_broken_templates_never_knock_djvet_over(template_sandbox, name, edits):
    template = template_sandbox.root / "templates" / "djv107" / name
    original = template.read_bytes()
    template.write_bytes(edit_template(original, edits))
    try:
        report, _ = template_sandbox.check("app/pages.py", (RULE_FIXTURES / "DJV107.py").read_bytes())
    finally:
        template.write_bytes(original)
    assert report.errors == []  # templates are not Python files: a broken one means fewer findings, not an error
    assert report.files == len(template_sandbox.files)


@fuzz_settings(10)
@given(data=st.binary(max_size=2000))
def test_a_template_of_random_bytes_never_knocks_djvet_over(template_sandbox, data):
    template = template_sandbox.root / "templates" / "djv107" / "shelf.html"
    original = template.read_bytes()
    template.write_bytes(data)
    try:
        report, _ = template_sandbox.check("app/pages.py", (RULE_FIXTURES / "DJV107.py").read_bytes())
    finally:
        template.write_bytes(original)
    assert report.errors == []


@pytest.fixture(scope="module")
def template_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Sandbox:
    return Sandbox(tmp_path_factory.mktemp("templates") / "project")


# --- pyproject.toml with a bad [tool.djvet] -----------------------------------------------------


def toml_value(value: object) -> str:
    """A TOML inline value (enough of TOML for these tests: tomllib checks what it reads)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf") if math.isinf(value) else repr(value)
    if isinstance(value, (int, datetime.date, datetime.time)):
        return value.isoformat() if not isinstance(value, int) else str(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(value)


PLAUSIBLE = st.sampled_from(
    ["DJV1", "DJV101", "DJV999", "djv3", "ALL", "E501", "", "*", "**/migrations/**", "[", "../x", "error", "never",
     "high", "app.settings", "..", "a..b", "/etc/passwd", "pin_code", "*_pin", "pass word", "é", "\x00"]
)  # fmt: skip
toml_leaf = st.one_of(
    PLAUSIBLE,
    st.text(max_size=12),
    st.integers(-(2**63), 2**63 - 1),
    st.booleans(),
    st.floats(),
    st.datetimes(),
    st.dates(),
    st.times(),
)
toml_values = st.recursive(
    toml_leaf,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.one_of(PLAUSIBLE, st.text(max_size=8)), inner, max_size=3)),
    max_leaves=10,
)
djvet_table = st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(min_size=1, max_size=10)), toml_values, max_size=4)


def check_with_config(project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, text: bytes) -> tuple[int, str, str]:
    (project / "pyproject.toml").write_bytes(text)
    monkeypatch.chdir(project)
    code = main(["check", "--no-cache", "--format", "json", "--no-timing"])
    out, err = capsys.readouterr()
    return code, out, err


def assert_runs_or_one_line_error(code: int, out: str, err: str) -> None:
    assert "Traceback" not in err
    if code == 2:
        assert out == ""
        assert len(err.splitlines()) == 1, err
        assert err.startswith("djvet: pyproject.toml: "), err
    else:
        assert code in (0, 1)
        document = json.loads(out)
        assert not [e for e in document["errors"] if "internal error" in e["message"]]


@pytest.fixture(scope="module")
def config_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("config") / "project"
    (root / "app").mkdir(parents=True)
    (root / "app" / "__init__.py").write_text("", encoding="utf-8")
    (root / "app" / "models.py").write_text("from django.db import models\n\n\nclass Book(models.Model):\n    title = models.CharField(max_length=9)\n", encoding="utf-8")
    (root / "app" / "serializers.py").write_text(SERIALIZERS, encoding="utf-8")
    return root


@fuzz_settings(60)
@given(table=djvet_table)
def test_any_tool_djvet_table_runs_or_is_one_line_and_exit_2(config_project, capsys, monkeypatch, table):
    text = "[tool.djvet]\n" + "".join(f"{json.dumps(k)} = {toml_value(v)}\n" for k, v in table.items())
    code, out, err = check_with_config(config_project, capsys, monkeypatch, text.encode("utf-8"))
    assert_runs_or_one_line_error(code, out, err)
    if set(table) - set(KEYS):
        assert code == 2, "an unknown key is an error"


CONFIG = b"""\
[project]
name = "shop"

[tool.djvet]
select = ["DJV1", "DJV3"]
ignore = ["DJV302"]
exclude = ["legacy/**"]
fail-on = "warning"
settings-module = "shop.settings"
sensitive-fields = ["pin_code", "*_pin"]

[tool.djvet.per-file-ignores]
"app/serializers.py" = ["DJV301"]
"""


TOML_CHUNKS = [b"[", b"]", b"=", b'"', b"'", b"\n", b",", b"{", b"}", b"#", b"\\", b"\xff", b"\x00", b"tool.djvet", b"1979-05-27", b"inf"]
TOML_EDIT = st.tuples(st.sampled_from(["delete", "insert"]), st.integers(0, 10**4), st.sampled_from(TOML_CHUNKS))


@fuzz_settings(60)
@given(edits=st.lists(TOML_EDIT, max_size=5))
def test_a_damaged_pyproject_runs_or_is_one_line_and_exit_2(config_project, capsys, monkeypatch, edits):
    data = CONFIG
    for kind, position, chunk in edits:
        at = position % (len(data) + 1)
        data = data[:at] + data[at + len(chunk) :] if kind == "delete" else data[:at] + chunk + data[at:]
    code, out, err = check_with_config(config_project, capsys, monkeypatch, data)
    assert_runs_or_one_line_error(code, out, err)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (b"[tool.djvet]\nselect = 'DJV1'\n", "pyproject.toml: [tool.djvet] select: expected a list of strings; got 'DJV1'"),
        (b"[tool.djvet]\nfail-on = 1979-05-27\n", "pyproject.toml: [tool.djvet] fail-on: expected one of error, warning, info, never; got datetime.date(1979, 5, 27)"),
        (b"[tool.djvet]\nsettings-module = ''\n", "pyproject.toml: [tool.djvet] settings-module: expected a dotted module name; got ''"),
        (b'[tool.djvet]\nexclude = ["a\\nb", 1]\n', "pyproject.toml: [tool.djvet] exclude: expected a list of strings; got ['a\\nb', 1]"),
        (b"[tool.djvet]\nselect = ['\xff']\n", "pyproject.toml: cannot read: 'utf-8' codec can't decode byte 0xff in position 24: invalid start byte"),
        (b"[tool.djvet]\nselect = [\"DJV1\"]\x00\n", "pyproject.toml: invalid TOML: Expected newline or end of document after a statement (at line 2, column 18)"),
    ],
    ids=["string-not-list", "date", "empty-settings", "newline-in-value", "invalid-utf8", "nul"],
)
def test_bad_config_values_are_named_in_one_line(config_project, capsys, monkeypatch, text, message):
    code, out, err = check_with_config(config_project, capsys, monkeypatch, text)
    assert (code, out, err) == (2, "", f"djvet: {message}\n")
