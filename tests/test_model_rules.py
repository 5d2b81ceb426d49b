"""Data modeling and migration rules (DJV6xx) across files: which migrations are read, what the
previous migrations say, the Django version the severity follows, and that the other rules stay
out of migrations."""

from __future__ import annotations

from pathlib import Path

import pytest

from djvet.catalog import default_catalog
from djvet.config import ConfigError, enabled_codes, parse_config
from djvet.runner import check_paths

PYPROJECT = '[tool.djvet]\nextend-select = ["DJV602", "DJV608"]\n'
MODELS = """
from django.db import models


class Book(models.Model):
    title = models.CharField(max_length=200)

    def __str__(self):
        return self.title
"""


def migration(parent: str | None, *operations: str, extra: str = "") -> str:
    dependencies = f'[("shop", "{parent}")]' if parent else "[]"
    body = "".join(f"        {op},\n" for op in operations)
    return (
        "from django.db import migrations, models\n\n\n"
        "def forwards(apps, schema_editor):\n    pass\n\n\n"
        "class Migration(migrations.Migration):\n"
        f"{extra}"
        f"    dependencies = {dependencies}\n"
        f"    operations = [\n{body}    ]\n"
    )


RUN = "migrations.RunPython(forwards)"


def found(root: Path, select: str = "DJV6") -> list[tuple[str, int, str, str]]:
    report = check_paths([root], {"select": [select]}, cache=False)
    assert [(e.path, e.message) for e in report.errors] == []
    return [(f.path, f.line, f.code, f.severity) for f in report.findings]


@pytest.fixture
def shop(make_project, monkeypatch):  # type: ignore[no-untyped-def]
    def make(files: dict[str, str]) -> Path:
        root = make_project({"pyproject.toml": PYPROJECT, "shop/__init__.py": "", "shop/models.py": MODELS, "shop/migrations/__init__.py": "", **files})
        monkeypatch.chdir(root)
        return root

    return make


# ---- which migrations are read ---------------------------------------------------------------


def test_only_the_newest_migration_of_an_app_is_read(shop) -> None:  # type: ignore[no-untyped-def]
    root = shop(
        {
            "shop/migrations/0001_initial.py": migration(None, RUN),
            "shop/migrations/0002_fill.py": migration("0001_initial", RUN),
            "shop/migrations/0003_more.py": migration("0002_fill", RUN),
        }
    )
    assert found(root) == [("shop/migrations/0003_more.py", 11, "DJV609", "warning")]


def test_an_empty_merge_migration_leaves_both_branches_newest(shop) -> None:  # type: ignore[no-untyped-def]
    merge = 'from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n    dependencies = [("shop", "0002_a"), ("shop", "0002_b")]\n    operations = []\n'
    root = shop(
        {
            "shop/migrations/0001_initial.py": migration(None, RUN),
            "shop/migrations/0002_a.py": migration("0001_initial", RUN),
            "shop/migrations/0002_b.py": migration("0001_initial", RUN),
            "shop/migrations/0003_merge.py": merge,
        }
    )
    assert found(root) == [
        ("shop/migrations/0002_a.py", 11, "DJV609", "warning"),
        ("shop/migrations/0002_b.py", 11, "DJV609", "warning"),
    ]


def test_a_squashed_migration_is_not_read(shop) -> None:  # type: ignore[no-untyped-def]
    extra = '    replaces = [("shop", "0001_initial"), ("shop", "0002_fill")]\n'
    root = shop({"shop/migrations/0001_squashed_0002_fill.py": migration(None, RUN, extra=extra)})
    assert found(root) == []


def test_migrations_in_test_folders_are_not_read(shop) -> None:  # type: ignore[no-untyped-def]
    root = shop({"tests/__init__.py": "", "tests/migrations/__init__.py": "", "tests/migrations/0001_initial.py": migration(None, RUN)})
    assert found(root) == []


def test_other_rules_stay_silent_in_migrations(shop) -> None:  # type: ignore[no-untyped-def]
    frozen_model = "\n\nclass Frozen(models.Model):\n    name = models.CharField(max_length=10, null=True)\n    price = models.FloatField()\n"
    serializer = (
        "\n\nfrom rest_framework import serializers\n\n\nclass FrozenSerializer(serializers.ModelSerializer):\n"
        "    class Meta:\n        model = Frozen\n        fields = '__all__'\n"
    )
    root = shop({"shop/migrations/0001_initial.py": migration(None, RUN) + frozen_model + serializer})
    assert found(root, "DJV") == [("shop/migrations/0001_initial.py", 11, "DJV609", "warning")]


def test_config_exclude_still_skips_migrations(shop) -> None:  # type: ignore[no-untyped-def]
    root = shop({"shop/migrations/0001_initial.py": migration(None, RUN)})
    (root / "pyproject.toml").write_text(PYPROJECT + 'exclude = ["**/migrations/**"]\n', encoding="utf-8")
    assert found(root) == []


# ---- what the migrations before say ----------------------------------------------------------


def test_alter_field_is_compared_with_the_parent_migrations(shop) -> None:  # type: ignore[no-untyped-def]
    create = 'migrations.CreateModel(name="Book", fields=[("id", models.AutoField(primary_key=True)), ("pages", models.IntegerField())])'
    root = shop(
        {
            "shop/migrations/0001_initial.py": migration(None, create, extra="    initial = True\n"),
            "shop/migrations/0002_note.py": migration("0001_initial", 'migrations.AddField("book", "note", models.CharField(max_length=9, null=True))'),
            "shop/migrations/0003_pages.py": migration(
                "0002_note",
                'migrations.AlterField(model_name="book", name="pages", field=models.BigIntegerField())',
                'migrations.AlterField(model_name="book", name="note", field=models.CharField(max_length=9))',
                'migrations.AlterField(model_name="book", name="id", field=models.AutoField(primary_key=True, serialize=False))',
            ),
        }
    )
    report = check_paths([root], {"select": ["DJV612"]}, cache=False)
    assert [(f.path, f.line, f.message) for f in report.findings] == [
        (
            "shop/migrations/0003_pages.py",
            11,
            "`AlterField` on `book.pages` changes its type from `IntegerField` (integer) to `BigIntegerField` (bigint): the table is rewritten",
        ),
        ("shop/migrations/0003_pages.py", 12, "`AlterField` on `book.note` makes the column NOT NULL: every row is read under an exclusive lock"),
    ]


def test_a_rename_between_stops_the_comparison(shop) -> None:  # type: ignore[no-untyped-def]
    root = shop(
        {
            "shop/migrations/0001_initial.py": migration(None, 'migrations.AddField("book", "pages", models.IntegerField(null=True))'),
            "shop/migrations/0002_rename.py": migration("0001_initial", 'migrations.RenameField("book", "count", "pages")'),
            "shop/migrations/0003_alter.py": migration("0002_rename", 'migrations.AlterField("book", "pages", models.BigIntegerField())'),
        }
    )
    assert found(root, "DJV612") == []


def test_removed_field_read_by_a_view_of_the_app(shop) -> None:  # type: ignore[no-untyped-def]
    views = "from shop.models import Book\n\n\ndef by_isbn(isbn):\n    return Book.objects.get(isbn=isbn)\n"
    root = shop(
        {
            "shop/views.py": views,
            "shop/tests.py": "from shop.models import Book\n\nBook.objects.filter(subtitle='x')\n",
            "shop/migrations/0001_initial.py": migration(
                None, 'migrations.RemoveField(model_name="book", name="isbn")', 'migrations.RemoveField(model_name="book", name="subtitle")'
            ),
        }
    )
    report = check_paths([root], {"select": ["DJV611"]}, cache=False)
    assert [(f.path, f.line, f.message) for f in report.findings] == [
        ("shop/migrations/0001_initial.py", 11, "`RemoveField` drops `Book.isbn`, still named by `.get()` in shop/views.py:5"),
    ]


# ---- the Django version ----------------------------------------------------------------------

TOGETHER = """
from django.db import models


class Booking(models.Model):
    room = models.IntegerField()

    class Meta:
        index_together = [("room", "id")]
        unique_together = [("room", "id")]

    def __str__(self):
        return str(self.room)
"""


@pytest.mark.parametrize(
    ("requirements", "expected"),
    [
        ("Django==5.1.4\n", [(8, "error", "was removed in Django 5.1, which the project requires"), (9, "info", "may be deprecated")]),
        ("django>=5.2,<6\n", [(8, "error", "was removed in Django 5.1, which the project requires"), (9, "info", "may be deprecated")]),
        ("Django>=4.2\n", [(8, "warning", "is deprecated since Django 4.2"), (9, "info", "may be deprecated")]),
        ("", [(8, "warning", "is deprecated since Django 4.2"), (9, "info", "may be deprecated")]),
        ("Django==4.1.13\n", [(9, "info", "may be deprecated")]),
        ("Django==2.1\n", []),
    ],
)
def test_together_options_follow_the_django_version(shop, requirements: str, expected: list[tuple[int, str, str]]) -> None:  # type: ignore[no-untyped-def]
    root = shop({"shop/models.py": TOGETHER, "requirements.txt": requirements})
    report = check_paths([root], {"select": ["DJV607"]}, cache=False)
    actual = [(f.line, f.severity, f.message) for f in report.findings]
    assert [(line, severity) for line, severity, _ in actual] == [(line, severity) for line, severity, _ in expected]
    assert all(part in message for (_, _, message), (_, _, part) in zip(actual, expected))


# ---- extend-select ---------------------------------------------------------------------------


def test_extend_select_adds_rules_that_are_off_by_default() -> None:
    catalog = default_catalog()
    assert "DJV602" not in enabled_codes(parse_config({}, "pyproject.toml: [tool.djvet]"), catalog)
    codes = enabled_codes(parse_config({"extend-select": ["DJV602"]}, "pyproject.toml: [tool.djvet]"), catalog)
    assert "DJV602" in codes and "DJV601" in codes
    only = enabled_codes(parse_config({"select": ["DJV601"], "extend-select": ["DJV608"]}, "pyproject.toml: [tool.djvet]"), catalog)
    assert only == ["DJV601", "DJV608"]


def test_extend_select_rejects_an_unknown_code() -> None:
    with pytest.raises(ConfigError) as error:
        parse_config({"extend-select": ["DJV999"]}, "pyproject.toml: [tool.djvet]")
    assert str(error.value) == (
        "pyproject.toml: [tool.djvet] extend-select: 'DJV999' matches no rule; expected a code like DJV301 or a prefix like DJV3"
    )


def test_model_field_rules_build_a_tree_only_for_files_that_define_models(tmp_path, monkeypatch):
    """DJV601/603-606 read model class bodies: "null" or "default" in a file without a model (a
    form, a helper) must not cost an astroid tree, and the model file still gets its findings."""
    from djvet import runner

    (tmp_path / "pyproject.toml").write_text('[tool.djvet]\nselect = ["DJV601", "DJV606"]\n', encoding="utf-8")
    shop = tmp_path / "shop"
    shop.mkdir()
    (shop / "__init__.py").write_text("", encoding="utf-8")
    (shop / "models.py").write_text(
        "from django.db import models\n\n\nclass Book(models.Model):\n"
        "    title = models.CharField(max_length=20, null=True)\n"
        "    tags = models.JSONField(default=[])\n",
        encoding="utf-8",
    )
    (shop / "helpers.py").write_text(
        "class Options:\n    tags = dict(default=[], null=True)\n\n\ndef pick(default=None, null=True):\n    return default\n",
        encoding="utf-8",
    )
    built: list[str] = []
    real = runner.build_tree
    monkeypatch.setattr(runner, "build_tree", lambda text, module, *a, **k: (built.append(module), real(text, module, *a, **k))[1])
    report = check_paths([tmp_path], cache=False)
    assert [(f.code, f.path.rsplit("/", 1)[-1], f.line) for f in report.findings] == [("DJV601", "models.py", 5), ("DJV606", "models.py", 6)]
    assert built == ["shop.models"]
