"""The serializer / form Meta codemod: exact text out, layout and quotes kept, idempotent, never an
unparsable file; and `djvet fix` end to end on the DJV3xx rules."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest

from djvet.cli import main
from djvet.finding import Edit
from djvet.fixes.queryset import FixError
from djvet.fixes.serializer_meta import apply_meta_edits


def at(text: str, snippet: str, kind: str, method: str, argument: str = "", values: tuple[str, ...] = ()) -> Edit:
    """An Edit of `kind` starting where `snippet` first occurs (1-based columns)."""
    start = text.index(snippet)
    line = text.count("\n", 0, start) + 1
    column = start - (text.rfind("\n", 0, start) + 1) + 1
    return Edit(line, column, line, column + len(snippet), method, argument, kind, values)


def check_transformed(text: str, edits: list[Edit], expected: str) -> None:
    assert apply_meta_edits(text, edits) == expected


def check_noop(text: str, edits: list[Edit]) -> None:
    assert apply_meta_edits(text, edits) == text


META = dedent(
    """\
    class AccountSerializer(serializers.ModelSerializer):
        class Meta:
            model = Account
            fields = "__all__"
    """
)


# -- replace-assignment ---------------------------------------------------------------------------


def test_all_fields_becomes_a_list_on_one_line_when_it_fits() -> None:
    edit = at(META, 'fields = "__all__"', "replace-assignment", "fields", values=("id", "email"))
    check_transformed(META, [edit], META.replace('fields = "__all__"', 'fields = ["id", "email"]'))


def test_a_long_list_is_written_one_name_a_line_indented_like_the_meta() -> None:
    names = tuple(f"field_number_{i}" for i in range(8))
    edit = at(META, 'fields = "__all__"', "replace-assignment", "fields", values=names)
    body = "".join(f'            "{n}",\n' for n in names)
    check_transformed(META, [edit], META.replace('fields = "__all__"\n', "fields = [\n" + body + "        ]\n"))


def test_exclude_becomes_fields_and_keeps_single_quotes_and_the_comment() -> None:
    text = "class Meta:\n    model = Book\n    exclude = ('cost',)  # internal\n"
    edit = at(text, "exclude = ('cost',)", "replace-assignment", "fields", values=("id", "title"))
    check_transformed(text, [edit], "class Meta:\n    model = Book\n    fields = ['id', 'title']  # internal\n")


def test_an_assignment_already_in_shape_is_left_alone() -> None:
    text = META.replace('fields = "__all__"', 'fields = ["id", "email"]')
    check_noop(text, [at(text, "fields = [", "replace-assignment", "fields", values=("id", "email"))])


# -- meta-add-name (read_only_fields) -----------------------------------------------------------


def test_read_only_fields_is_created_at_the_end_of_the_meta() -> None:
    edit = at(META, "class Meta:", "meta-add-name", "read_only_fields", "owner")
    check_transformed(META, [edit], META + '        read_only_fields = ("owner",)\n')


def test_a_name_is_appended_to_a_one_line_tuple_and_a_list() -> None:
    for before, after in (
        ('read_only_fields = ("id",)', 'read_only_fields = ("id", "owner")'),
        ('read_only_fields = ["id", "created"]', 'read_only_fields = ["id", "created", "owner"]'),
        ("read_only_fields = ()", 'read_only_fields = ("owner",)'),
    ):
        text = META + f"        {before}\n"
        check_transformed(text, [at(text, "class Meta:", "meta-add-name", "read_only_fields", "owner")], META + f"        {after}\n")


def test_a_name_is_appended_to_a_list_written_one_name_a_line() -> None:
    text = META + '        read_only_fields = [\n            "id",\n            "created",\n        ]\n'
    expected = META + '        read_only_fields = [\n            "id",\n            "created",\n            "owner",\n        ]\n'
    check_transformed(text, [at(text, "class Meta:", "meta-add-name", "read_only_fields", "owner")], expected)


def test_names_already_read_only_are_not_added_twice() -> None:
    text = META + '        read_only_fields = ("owner",)\n'
    check_noop(text, [at(text, "class Meta:", "meta-add-name", "read_only_fields", "owner")])


def test_two_names_for_one_meta_are_added_in_order() -> None:
    edits = [at(META, "class Meta:", "meta-add-name", "read_only_fields", n) for n in ("is_staff", "groups")]
    check_transformed(META, edits, META + '        read_only_fields = ("groups", "is_staff")\n')


def test_read_only_fields_that_is_not_a_literal_is_refused() -> None:
    text = META + "        read_only_fields = Base.Meta.read_only_fields\n"
    with pytest.raises(FixError, match="not a literal list of names"):
        apply_meta_edits(text, [at(text, "class Meta:", "meta-add-name", "read_only_fields", "owner")])


# -- meta-set-option (extra_kwargs) -------------------------------------------------------------


def test_extra_kwargs_is_created_with_the_entry() -> None:
    edit = at(META, "class Meta:", "meta-set-option", "extra_kwargs", "password", ("write_only",))
    check_transformed(META, [edit], META + '        extra_kwargs = {"password": {"write_only": True}}\n')


def test_an_existing_entry_gets_write_only_and_a_false_becomes_true() -> None:
    text = META + '        extra_kwargs = {"password": {"min_length": 8}, "token": {"write_only": False}}\n'
    edits = [at(text, "class Meta:", "meta-set-option", "extra_kwargs", n, ("write_only",)) for n in ("password", "token")]
    expected = META + '        extra_kwargs = {"password": {"min_length": 8, "write_only": True}, "token": {"write_only": True}}\n'
    check_transformed(text, edits, expected)


def test_a_new_extra_kwargs_too_long_for_one_line_has_one_entry_a_line() -> None:
    names = ("api_key", "client_secret", "webhook_secret_hash")
    edits = [at(META, "class Meta:", "meta-set-option", "extra_kwargs", n, ("write_only",)) for n in names]
    body = "".join(f'            "{n}": {{"write_only": True}},\n' for n in names)
    check_transformed(META, edits, META + "        extra_kwargs = {\n" + body + "        }\n")


def test_write_only_already_set_changes_nothing() -> None:
    text = META + '        extra_kwargs = {"password": {"write_only": True}}\n'
    check_noop(text, [at(text, "class Meta:", "meta-set-option", "extra_kwargs", "password", ("write_only",))])


# -- add-keyword ---------------------------------------------------------------------------------


def test_write_only_is_added_to_a_declared_field() -> None:
    text = "class S:\n    password = serializers.CharField(max_length=128)\n    token = serializers.CharField()\n"
    edits = [
        at(text, "serializers.CharField(max_length=128)", "add-keyword", "write_only", "True"),
        at(text, "serializers.CharField()", "add-keyword", "write_only", "True"),
    ]
    expected = (
        "class S:\n    password = serializers.CharField(max_length=128, write_only=True)\n"
        "    token = serializers.CharField(write_only=True)\n"
    )
    check_transformed(text, edits, expected)


def test_write_only_goes_on_its_own_line_in_a_call_written_one_argument_a_line() -> None:
    text = "password = serializers.CharField(\n    max_length=128,\n    min_length=8,\n)\n"
    expected = "password = serializers.CharField(\n    max_length=128,\n    min_length=8,\n    write_only=True,\n)\n"
    check_transformed(text, [at(text, "serializers.CharField(", "add-keyword", "write_only", "True")], expected)


def test_a_call_passing_kwargs_is_refused() -> None:
    text = "password = serializers.CharField(**options)\n"
    with pytest.raises(FixError, match=r"passes \*\*kwargs"):
        apply_meta_edits(text, [at(text, "serializers.CharField(", "add-keyword", "write_only", "True")])


def test_code_that_moved_is_refused() -> None:
    moved = Edit(9, 5, 9, 16, "read_only_fields", "owner", "meta-add-name")
    with pytest.raises(FixError, match="line 9: the code to fix is no longer where it was found"):
        apply_meta_edits(META, [moved])


# -- djvet fix end to end -----------------------------------------------------------------------

MODELS = '''\
from django.conf import settings
from django.db import models


class Integration(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    name = models.CharField(max_length=100)
    api_key = models.CharField(max_length=64)
    signing_key = models.CharField(max_length=64, editable=False)
'''
API = '''\
from rest_framework import serializers, viewsets

from app.models import Integration


class IntegrationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Integration
        fields = "__all__"


class IntegrationViewSet(viewsets.ModelViewSet):
    queryset = Integration.objects.select_related("owner")
    serializer_class = IntegrationSerializer

    def perform_create(self, serializer):
        serializer.save(owner=self.request.user)
'''
FIXED = '''\
from rest_framework import serializers, viewsets

from app.models import Integration


class IntegrationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Integration
        fields = ["id", "name", "api_key", "owner"]
        read_only_fields = ("owner",)
        extra_kwargs = {"api_key": {"write_only": True}}


class IntegrationViewSet(viewsets.ModelViewSet):
    queryset = Integration.objects.select_related("owner")
    serializer_class = IntegrationSerializer

    def perform_create(self, serializer):
        serializer.save(owner=self.request.user)
'''


def _project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[tool.djvet]\n", encoding="utf-8")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "app" / "models.py").write_text(MODELS, encoding="utf-8")
    (tmp_path / "app" / "api.py").write_text(API, encoding="utf-8")
    return tmp_path / "app" / "api.py"


def test_unsafe_fixes_list_the_fields_hide_the_secret_and_freeze_the_owner(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    api = _project(tmp_path)
    assert main(["fix", "app", "--unsafe-fixes"]) in (0, 1)
    assert api.read_text(encoding="utf-8") == FIXED
    # nothing left to fix, and the rules are quiet
    assert main(["fix", "app", "--unsafe-fixes"]) == 0
    assert api.read_text(encoding="utf-8") == FIXED
    assert main(["check", "app", "--select", "DJV3"]) == 0


def test_without_unsafe_fixes_nothing_changes(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    api = _project(tmp_path)
    main(["fix", "app"])
    assert api.read_text(encoding="utf-8") == API
