"""What the DJV3xx rules read from the index: ModelForm facts, Meta.model through get_user_model(),
field roles (sensitive, privilege, ownership), the fields a serializer exposes and accepts, and
where serializers are used for writes."""

from __future__ import annotations

import pytest

from djvet.index import UNKNOWN, build_index
from djvet.index.exposure import serializer_exposure
from djvet.index.field_roles import SensitiveNames, has_sensitive_name, is_ownership_field, is_privilege_field, user_models
from djvet.index.serializer_usage import SerializerUse, serializer_usage

SETTINGS = """
    INSTALLED_APPS = ["users", "notes"]
    AUTH_USER_MODEL = "users.User"
"""
USERS = """
    from django.contrib.auth.models import AbstractUser
    from django.db import models


    class User(AbstractUser):
        api_token = models.CharField(max_length=64)
        login_count = models.PositiveIntegerField(default=0)
"""
NOTES = """
    from django.conf import settings
    from django.contrib.auth.models import Group
    from django.db import models


    class Note(models.Model):
        owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
        assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
        created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
        audience = models.ManyToManyField(Group)
        text = models.TextField()
        created_at = models.DateTimeField(auto_now_add=True)
        legacy = models.CharField(max_length=10, editable=False)
"""


@pytest.fixture
def project(make_project):  # type: ignore[no-untyped-def]
    def make(api: str):  # type: ignore[no-untyped-def]
        return build_index(
            make_project(
                {
                    "manage.py": 'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")\n',
                    "config/__init__.py": "",
                    "config/settings.py": SETTINGS,
                    "users/__init__.py": "",
                    "users/models.py": USERS,
                    "notes/__init__.py": "",
                    "notes/models.py": NOTES,
                    "api/__init__.py": "",
                    "api/views.py": api,
                }
            )
        )

    return make


# -- ModelForm facts --------------------------------------------------------------------------


def test_model_forms_have_their_effective_meta_and_admin_forms_are_marked(project) -> None:
    index = project(
        """
        from django import forms
        from django.contrib import admin
        from notes.models import Note

        ALL = "__all__"


        class NoteForm(forms.ModelForm):
            title = forms.CharField()

            class Meta:
                model = Note
                fields = ALL


        class NoteEditForm(NoteForm):
            class Meta(NoteForm.Meta):
                exclude = ["legacy"]


        class NoteAdminForm(forms.ModelForm):
            class Meta:
                model = Note
                exclude = ["owner"]


        class NoteAdmin(admin.ModelAdmin):
            form = NoteAdminForm
        """
    )
    form = index.forms["api.views.NoteForm"]
    assert (form.model, form.fields, form.fields_origin, form.declared, form.admin) == (
        "notes.models.Note",
        "__all__",
        "api.views.NoteForm.Meta",
        ("title",),
        False,
    )
    edit = index.forms["api.views.NoteEditForm"]
    assert (edit.fields, edit.exclude, edit.exclude_origin) == ("__all__", ("legacy",), "api.views.NoteEditForm.Meta")
    assert index.forms["api.views.NoteAdminForm"].admin is True


def test_meta_model_through_get_user_model_is_the_auth_user_model(project) -> None:
    index = project(
        """
        from django.contrib.auth import get_user_model
        from rest_framework import serializers

        User = get_user_model()


        class AliasSerializer(serializers.ModelSerializer):
            class Meta:
                model = User
                fields = ["id"]


        class CallSerializer(serializers.ModelSerializer):
            class Meta:
                model = get_user_model()
                fields = ["id"]
        """
    )
    assert index.user_model == "users.models.User"
    for name in ("AliasSerializer", "CallSerializer"):
        fact = index.serializers[f"api.views.{name}"]
        assert (fact.model, fact.model_class) == ("users.models.User", "users.models.User")


def test_calls_with_data_are_recorded_by_the_name_called(project) -> None:
    index = project(
        """
        def handler(request, serializer_class):
            NoteSerializer(data=request.data)
            self.get_serializer(instance, data=request.data)
            self.get_serializer_class()(data={})
            NoteSerializer(instance)
        """
    )
    function = index.modules["api.views"].functions["handler"]
    assert function.data_calls == frozenset({"NoteSerializer", "self.get_serializer", "self.get_serializer_class()"})


# -- field roles ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "sensitive"),
    [
        ("password", True),
        ("password_hash", True),
        ("passwordHash", True),
        ("api_key", True),
        ("aws_secret_access_key", True),
        ("client_secret", True),
        ("otp_secret", True),
        ("totp_seed", True),
        ("recovery_codes", True),
        ("private_key", True),
        ("reset_token", True),
        ("token_expires_at", False),
        ("token_count", False),
        ("secret_santa", False),
        ("public_key", False),
        ("aws_access_key_id", False),
        ("key", False),
    ],
)
def test_sensitive_names_end_with_a_secret(name: str, sensitive: bool) -> None:
    assert has_sensitive_name(name) is sensitive


def test_key_is_sensitive_on_a_token_model_only() -> None:
    assert has_sensitive_name("key", "Token") and has_sensitive_name("key", "UserApiKey")
    assert not has_sensitive_name("key", "Setting")


def test_the_type_decides_and_the_project_configuration_wins(project) -> None:
    index = project("")
    user = index.models["users.models.User"]
    names = SensitiveNames()
    assert names.is_sensitive(index, user, "api_token", user.fields["api_token"])
    assert names.is_sensitive(index, user, "password", user.fields["password"])
    configured = SensitiveNames(extra=("login_*",), removed=("api_token",))
    assert configured.is_sensitive(index, user, "login_count", user.fields["login_count"])
    assert not configured.is_sensitive(index, user, "api_token", user.fields["api_token"])


def test_privilege_and_ownership_fields(project) -> None:
    index = project("")
    assert "users.models.User" in user_models(index)
    user, note = index.models["users.models.User"], index.models["notes.models.Note"]
    assert [f for f in user.fields if is_privilege_field(index, user, user.fields[f])] == [
        "is_superuser",
        "groups",
        "user_permissions",
        "is_staff",
    ]
    assert [f for f in note.fields if is_privilege_field(index, note, note.fields[f])] == ["audience"]
    assert [f for f in note.fields if is_ownership_field(index, note.fields[f])] == ["owner", "created_by"]


# -- exposure ---------------------------------------------------------------------------------


def test_exposure_follows_drf_for_read_only_and_write_only(project) -> None:
    index = project(
        """
        from rest_framework import serializers
        from notes.models import Note


        class NoteSerializer(serializers.ModelSerializer):
            owner = serializers.HiddenField(default=serializers.CurrentUserDefault())
            summary = serializers.SerializerMethodField()

            class Meta:
                model = Note
                fields = "__all__"
                read_only_fields = ("assignee",)
                extra_kwargs = {"created_by": {"write_only": True}, "text": {"read_only": True}}
        """
    )
    exposure = serializer_exposure(index, index.serializers["api.views.NoteSerializer"])
    assert exposure is not None and exposure.via == "__all__"
    table = {name: (f.readable, f.writable) for name, f in exposure.fields.items()}
    assert table == {
        "id": (True, False),
        "owner": (False, False),  # a HiddenField: the server's value, never shown
        "summary": (True, False),
        "text": (True, False),
        "created_at": (True, False),  # auto_now_add
        "legacy": (True, False),  # editable=False
        "assignee": (True, False),
        "created_by": (False, True),
        "audience": (True, True),
    }


def test_depth_nests_relations_read_only_and_unknown_options_are_unknown(project) -> None:
    index = project(
        """
        from rest_framework import serializers
        from notes.models import Note

        READ_ONLY = compute()


        class DeepSerializer(serializers.ModelSerializer):
            class Meta:
                model = Note
                fields = ["id", "owner", "text"]
                depth = 1


        class DynamicSerializer(serializers.ModelSerializer):
            class Meta:
                model = Note
                fields = ["id", "owner"]
                read_only_fields = READ_ONLY
        """
    )
    deep = serializer_exposure(index, index.serializers["api.views.DeepSerializer"])
    assert deep is not None and (deep.fields["owner"].writable, deep.fields["text"].writable) == (False, True)
    dynamic = serializer_exposure(index, index.serializers["api.views.DynamicSerializer"])
    assert dynamic is not None and dynamic.fields["owner"].writable is UNKNOWN


# -- usage ------------------------------------------------------------------------------------


def test_serializers_are_used_for_writes_by_views_and_data_calls(project) -> None:
    index = project(
        """
        from rest_framework import generics, serializers, viewsets
        from rest_framework.views import APIView
        from notes.models import Note


        class NoteSerializer(serializers.ModelSerializer):
            class Meta:
                model = Note
                fields = ["id", "text"]


        class NoteListSerializer(NoteSerializer):
            pass


        class NoteImportSerializer(NoteSerializer):
            pass


        class NoteViewSet(viewsets.ModelViewSet):
            queryset = Note.objects.all()
            serializer_class = NoteSerializer


        class NoteList(generics.ListAPIView):
            serializer_class = NoteListSerializer


        class NoteChooser(generics.ListCreateAPIView):
            serializer_class = NoteListSerializer

            def get_serializer_class(self):
                return NoteSerializer


        class NoteImport(APIView):
            def post(self, request):
                serializer = NoteImportSerializer(data=request.data)
                serializer.save()
        """
    )
    usage = serializer_usage(index)
    assert usage.of("api.views.NoteSerializer") == [
        SerializerUse("get_serializer_class", "api.views.NoteChooser", "api.views.NoteChooser", ("POST",), certain=False),
        SerializerUse("serializer_class", "api.views.NoteViewSet", "api.views.NoteViewSet", ("POST", "PUT", "PATCH")),
    ]
    assert usage.is_output_only("api.views.NoteListSerializer") is False  # NoteChooser may write with it
    assert usage.writes("api.views.NoteListSerializer") == []
    assert usage.writes("api.views.NoteImportSerializer") == [
        SerializerUse("data", "api.views.NoteImport.post", "api.views.NoteImport", ("POST",))
    ]
