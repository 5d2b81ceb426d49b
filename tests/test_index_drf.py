"""Serializer and view facts: effective Meta, declared fields, view attributes and actions, all
inherited across files."""

from __future__ import annotations

from djvet.index import UNKNOWN, build_index
from djvet.index.facts import ActionFact, DeclaredField, QuerysetFact

MODELS = """
    from django.db import models


    class Author(models.Model):
        name = models.CharField(max_length=100)


    class Book(models.Model):
        title = models.CharField(max_length=200)
        author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="books")
        secret = models.CharField(max_length=10)
"""

SERIALIZERS = {
    "core/__init__.py": "",
    "core/serializers.py": """
        from rest_framework import serializers


        class BaseModelSerializer(serializers.ModelSerializer):
            id = serializers.IntegerField(read_only=True)
            password = serializers.CharField(write_only=True)
    """,
    "shop/__init__.py": "",
    "shop/models.py": MODELS,
    "shop/serializers.py": """
        from rest_framework import serializers
        from rest_framework.fields import CharField

        from core.serializers import BaseModelSerializer
        from shop import models
        from shop.models import Author, Book


        class BookSerializer(BaseModelSerializer):
            class Meta:
                model = Book
                fields = ["id", "title", "author"]
                read_only_fields = ("title",)
                extra_kwargs = {"author": {"required": False}}
                depth = 1


        class BookDetailSerializer(BookSerializer):
            class Meta(BookSerializer.Meta):
                fields = BookSerializer.Meta.fields + ("secret",)


        class BookNoMetaSerializer(BookSerializer):
            password = None
            author_name = CharField(source="author.name", read_only=True)


        class AuthorSerializer(serializers.ModelSerializer):
            books = BookSerializer(many=True, read_only=True)
            best = serializers.PrimaryKeyRelatedField(queryset=Book.objects.all())
            summary = serializers.SerializerMethodField()
            not_a_field = "just a string"

            class Meta:
                model = models.Author
                fields = serializers.ALL_FIELDS


        class AuthorTupleSerializer(serializers.ModelSerializer):
            class Meta:
                model = Author
                fields = ("id", "name")


        class AuthorAllSerializer(serializers.ModelSerializer):
            class Meta:
                model = Author
                fields = "__all__"


        class AuthorExcludeSerializer(serializers.ModelSerializer):
            class Meta:
                model = "shop.Author"
                exclude = ["name"]


        class ContactSerializer(serializers.Serializer):
            email = serializers.EmailField()
    """,
}


def test_serializer_meta_fields_as_written(make_project):
    index = build_index(make_project(SERIALIZERS))
    s = index.serializers
    assert s["shop.serializers.BookSerializer"].fields == ("id", "title", "author")
    assert s["shop.serializers.AuthorTupleSerializer"].fields == ("id", "name")
    assert s["shop.serializers.AuthorAllSerializer"].fields == "__all__"
    assert s["shop.serializers.AuthorSerializer"].fields == "__all__"
    assert s["shop.serializers.BookDetailSerializer"].fields == ("id", "title", "author", "secret")
    exclude = s["shop.serializers.AuthorExcludeSerializer"]
    assert (exclude.fields, exclude.exclude) == (None, ("name",))
    assert exclude.exclude_origin == "shop.serializers.AuthorExcludeSerializer.Meta"
    assert s["shop.serializers.BookSerializer"].exclude is None


def test_serializer_base_chain_and_model(make_project):
    index = build_index(make_project(SERIALIZERS))
    book = index.serializers["shop.serializers.BookSerializer"]
    assert (book.name, book.module, book.path, book.line) == ("BookSerializer", "shop.serializers", "shop/serializers.py", 9)
    assert book.bases == ("core.serializers.BaseModelSerializer",)
    assert book.ancestors == (
        "shop.serializers.BookSerializer",
        "core.serializers.BaseModelSerializer",
        "rest_framework.serializers.ModelSerializer",
    )
    assert book.is_model_serializer
    assert (book.model, book.model_written) == ("shop.models.Book", "Book")
    assert book.own_meta == book.meta == "shop.serializers.BookSerializer.Meta"
    assert book.fields_origin == "shop.serializers.BookSerializer.Meta"
    assert book.read_only_fields == ("title",)
    assert book.extra_kwargs == {"author": {"required": False}}
    assert book.depth == 1
    author = index.serializers["shop.serializers.AuthorSerializer"]
    assert (author.model, author.model_written) == ("shop.models.Author", "models.Author")
    # a string is not a model class: DRF needs the class itself
    exclude = index.serializers["shop.serializers.AuthorExcludeSerializer"]
    assert (exclude.model, exclude.model_written) == (None, None)
    contact = index.serializers["shop.serializers.ContactSerializer"]
    assert not contact.is_model_serializer
    assert (contact.meta, contact.model, contact.fields, contact.read_only_fields, contact.depth) == (None,) * 5
    assert "core.serializers.BaseModelSerializer" in index.serializers


def test_inherited_meta(make_project):
    index = build_index(make_project(SERIALIZERS))
    detail = index.serializers["shop.serializers.BookDetailSerializer"]
    assert detail.own_meta == detail.meta == "shop.serializers.BookDetailSerializer.Meta"
    assert detail.fields_origin == "shop.serializers.BookDetailSerializer.Meta"
    # everything else comes from the base Meta
    assert detail.model == "shop.models.Book"
    assert detail.read_only_fields == ("title",)
    assert detail.depth == 1
    no_meta = index.serializers["shop.serializers.BookNoMetaSerializer"]
    assert no_meta.own_meta is None
    assert no_meta.meta == "shop.serializers.BookSerializer.Meta"
    assert no_meta.model == "shop.models.Book"
    assert no_meta.fields == ("id", "title", "author")
    assert no_meta.fields_origin == "shop.serializers.BookSerializer.Meta"


def test_declared_fields(make_project):
    index = build_index(make_project(SERIALIZERS))
    book = index.serializers["shop.serializers.BookSerializer"]
    assert dict(book.declared) == {
        "id": DeclaredField(
            "id", 5, "rest_framework.serializers.IntegerField", read_only=True, declared_in="core.serializers.BaseModelSerializer"
        ),
        "password": DeclaredField(
            "password", 6, "rest_framework.serializers.CharField", write_only=True, declared_in="core.serializers.BaseModelSerializer"
        ),
    }
    no_meta = index.serializers["shop.serializers.BookNoMetaSerializer"]
    # `password = None` removes the inherited field
    assert list(no_meta.declared) == ["id", "author_name"]
    assert no_meta.declared["author_name"] == DeclaredField(
        "author_name",
        25,
        "rest_framework.fields.CharField",
        source="author.name",
        read_only=True,
        declared_in="shop.serializers.BookNoMetaSerializer",
    )
    author = index.serializers["shop.serializers.AuthorSerializer"]
    assert list(author.declared) == ["books", "best", "summary"]
    assert author.declared["books"] == DeclaredField(
        "books",
        29,
        "shop.serializers.BookSerializer",
        serializer="shop.serializers.BookSerializer",
        many=True,
        read_only=True,
        declared_in="shop.serializers.AuthorSerializer",
    )
    assert author.declared["best"].field_class == "rest_framework.serializers.PrimaryKeyRelatedField"
    assert author.declared["best"].serializer is None
    assert author.declared["summary"].field_class == "rest_framework.serializers.SerializerMethodField"


def test_meta_fields_that_cannot_be_read_are_unknown(make_project):
    index = build_index(
        make_project(
            {
                "shop/__init__.py": "",
                "shop/models.py": MODELS,
                "shop/serializers.py": """
                    from rest_framework import serializers

                    from shop.models import Book
                    from shop.constants import BOOK_FIELDS


                    class BookSerializer(serializers.ModelSerializer):
                        class Meta:
                            model = Book
                            fields = BOOK_FIELDS
                            exclude = [name for name in ("a", "b")]
                            read_only_fields = BOOK_FIELDS


                    class LooseSerializer(BookSerializer):
                        class Meta(BookSerializer.Meta):
                            exclude = None
                            fields = ["title", 1]
                """,
            }
        )
    )
    book = index.serializers["shop.serializers.BookSerializer"]
    assert book.fields is UNKNOWN
    assert book.exclude is UNKNOWN
    assert book.read_only_fields is UNKNOWN
    loose = index.serializers["shop.serializers.LooseSerializer"]
    assert loose.exclude is None
    assert loose.exclude_origin == "shop.serializers.LooseSerializer.Meta"
    assert loose.fields is UNKNOWN


def test_serializer_meta_inherited_across_modules_by_import(make_project):
    index = build_index(
        make_project(
            {
                "shop/__init__.py": "",
                "shop/models.py": MODELS,
                "shop/serializers/__init__.py": """
                    from .base import BookSerializer
                """,
                "shop/serializers/base.py": """
                    from rest_framework import serializers
                    from shop.models import Book

                    class BookSerializer(serializers.ModelSerializer):
                        class Meta:
                            model = Book
                            fields = ("id", "title")
                """,
                "api/__init__.py": "",
                "api/serializers.py": """
                    from shop.serializers import BookSerializer

                    class PublicBookSerializer(BookSerializer):
                        class Meta(BookSerializer.Meta):
                            fields = BookSerializer.Meta.fields + ("author",)
                """,
            }
        )
    )
    public = index.serializers["api.serializers.PublicBookSerializer"]
    assert public.bases == ("shop.serializers.base.BookSerializer",)
    assert public.model == "shop.models.Book"
    assert public.fields == ("id", "title", "author")


VIEWS = {
    "shop/__init__.py": "",
    "shop/models.py": MODELS,
    "shop/serializers.py": """
        from rest_framework import serializers
        from shop.models import Book

        class BookSerializer(serializers.ModelSerializer):
            class Meta:
                model = Book
                fields = ["id"]
    """,
    "core/__init__.py": "",
    "core/views.py": """
        from rest_framework.permissions import IsAuthenticated
        from rest_framework.views import APIView


        class OwnedMixin:
            def get_queryset(self):
                return super().get_queryset().filter(owner=self.request.user)


        class SecureAPIView(APIView):
            permission_classes = [IsAuthenticated]
    """,
    "shop/views.py": """
        from django.contrib.auth.decorators import login_required
        from django.http import HttpResponse
        from django.views.generic import ListView
        from rest_framework import generics, permissions, viewsets
        from rest_framework.authentication import SessionAuthentication
        from rest_framework.decorators import action, api_view, permission_classes
        from rest_framework.response import Response

        from core.views import OwnedMixin, SecureAPIView
        from shop.models import Book
        from shop.serializers import BookSerializer
        from shop.perms import perms_for


        class PingView(SecureAPIView):
            http_method_names = ["get", "head"]

            def get(self, request):
                return Response({})


        class BookList(OwnedMixin, generics.ListCreateAPIView):
            queryset = Book.objects.select_related("author").filter(title__isnull=False)
            serializer_class = BookSerializer
            permission_classes = []
            authentication_classes = (SessionAuthentication,)


        class BookViewSet(OwnedMixin, viewsets.ModelViewSet):
            queryset = Book.objects.all()
            serializer_class = BookSerializer
            permission_classes = perms_for("book")

            @action(detail=True, methods=["post"], permission_classes=[permissions.IsAdminUser])
            def publish(self, request, pk=None):
                return Response({})

            @action(detail=False)
            def recent(self, request):
                return Response({})


        class BookPage(ListView):
            model = Book


        @api_view(["GET", "POST"])
        @permission_classes([permissions.IsAuthenticated])
        def book_stats(request):
            return Response({})


        @api_view()
        def health(request):
            return Response({})


        @login_required
        def dashboard(request):
            return HttpResponse("ok")


        def helper(value):
            return value
    """,
}


def test_drf_class_views(make_project):
    index = build_index(make_project(VIEWS))
    ping = index.views["shop.views.PingView"]
    assert ping.kind == "drf-apiview"
    assert (ping.name, ping.module, ping.path, ping.line) == ("PingView", "shop.views", "shop/views.py", 15)
    assert ping.bases == ("core.views.SecureAPIView",)
    assert ping.ancestors == ("shop.views.PingView", "core.views.SecureAPIView", "rest_framework.views.APIView")
    assert ping.permission_classes == ("rest_framework.permissions.IsAuthenticated",)
    assert ping.authentication_classes is None
    assert ping.http_method_names == ("get", "head")
    assert ping.methods == frozenset({"get"})
    assert ping.queryset is None and ping.serializer_class is None
    assert index.views["core.views.SecureAPIView"].kind == "drf-apiview"
    assert "core.views.OwnedMixin" not in index.views

    books = index.views["shop.views.BookList"]
    assert books.kind == "drf-generic"
    assert books.queryset == QuerysetFact(
        "shop.models.Book", "objects", (("select_related", ("author",)), ("filter", ())), 23
    )
    assert books.serializer_class == "shop.serializers.BookSerializer"
    assert books.permission_classes == ()
    assert books.authentication_classes == ("rest_framework.authentication.SessionAuthentication",)
    assert books.http_method_names is None
    assert books.methods == frozenset({"get_queryset"})
    assert books.ancestors[:3] == ("shop.views.BookList", "core.views.OwnedMixin", "rest_framework.generics.ListCreateAPIView")


def test_viewset_actions_and_unknown_permissions(make_project):
    index = build_index(make_project(VIEWS))
    viewset = index.views["shop.views.BookViewSet"]
    assert viewset.kind == "drf-viewset"
    assert viewset.permission_classes is UNKNOWN
    assert viewset.queryset == QuerysetFact("shop.models.Book", "objects", (("all", ()),), 30)
    assert viewset.actions == (
        ActionFact("publish", 35, ("post",), True, ("rest_framework.permissions.IsAdminUser",)),
        ActionFact("recent", 39, ("get",), False, None),
    )
    assert viewset.methods == frozenset({"get_queryset", "publish", "recent"})


def test_django_class_based_view(make_project):
    index = build_index(make_project(VIEWS))
    page = index.views["shop.views.BookPage"]
    assert page.kind == "django-cbv"
    assert page.bases == ("django.views.generic.ListView",)
    assert page.permission_classes is None and page.actions == ()


def test_function_views(make_project):
    index = build_index(make_project(VIEWS))
    stats = index.views["shop.views.book_stats"]
    assert stats.kind == "drf-function"
    assert stats.api_methods == ("GET", "POST")
    assert stats.permission_classes == ("rest_framework.permissions.IsAuthenticated",)
    assert stats.authentication_classes is None
    assert stats.decorators == ("rest_framework.decorators.api_view", "rest_framework.decorators.permission_classes")
    assert stats.line == 49
    health = index.views["shop.views.health"]
    assert (health.kind, health.api_methods, health.permission_classes) == ("drf-function", ("GET",), None)
    dashboard = index.views["shop.views.dashboard"]
    assert dashboard.kind == "django-function"
    assert dashboard.decorators == ("django.contrib.auth.decorators.login_required",)
    assert "shop.views.helper" not in index.views


def test_routed_function_outside_views_module_is_a_view(make_project):
    files = dict(VIEWS)
    files["shop/pages.py"] = """
        from django.http import HttpResponse

        def home(req):
            return HttpResponse("home")

        def not_routed(request):
            return HttpResponse("x")
    """
    files["shop/urls.py"] = """
        from django.urls import path
        from shop.pages import home

        urlpatterns = [path("", home)]
    """
    index = build_index(make_project(files))
    assert index.views["shop.pages.home"].kind == "django-function"
    assert "shop.pages.not_routed" not in index.views


def test_view_inheritance_across_files_and_mixins(make_project):
    index = build_index(
        make_project(
            {
                "shop/__init__.py": "",
                "shop/models.py": MODELS,
                "core/__init__.py": "",
                "core/mixins.py": """
                    from rest_framework.decorators import action
                    from rest_framework.permissions import IsAdminUser


                    class ArchiveMixin:
                        http_method_names = ["get", "post"]

                        @action(detail=True, methods=["POST", "delete"], permission_classes=[IsAdminUser])
                        def archive(self, request, pk=None):
                            pass
                """,
                "core/base.py": """
                    from rest_framework import viewsets
                    from rest_framework.authentication import TokenAuthentication
                    from rest_framework.permissions import IsAuthenticated


                    class BaseViewSet(viewsets.ModelViewSet):
                        permission_classes = (IsAuthenticated,)
                        authentication_classes = [TokenAuthentication]


                    class ClosedViewSet(viewsets.ModelViewSet):
                        http_method_names = []
                        authentication_classes = ()


                    class DynamicViewSet(viewsets.ModelViewSet):
                        http_method_names = METHODS
                """,
                "shop/api.py": """
                    from core.base import BaseViewSet
                    from core.mixins import ArchiveMixin
                    from shop.models import Book


                    class BookViewSet(ArchiveMixin, BaseViewSet):
                        queryset = Book.objects.prefetch_related("author__books").order_by("-id")
                """,
            }
        )
    )
    view = index.views["shop.api.BookViewSet"]
    assert view.kind == "drf-viewset"
    assert view.permission_classes == ("rest_framework.permissions.IsAuthenticated",)
    assert view.authentication_classes == ("rest_framework.authentication.TokenAuthentication",)
    assert view.http_method_names == ("get", "post")
    assert view.serializer_class is None
    assert view.queryset.model == "shop.models.Book"
    assert view.queryset.calls == (("prefetch_related", ("author__books",)), ("order_by", ("-id",)))
    assert view.actions == (ActionFact("archive", 9, ("post", "delete"), True, ("rest_framework.permissions.IsAdminUser",)),)
    assert view.ancestors[:3] == ("shop.api.BookViewSet", "core.mixins.ArchiveMixin", "core.base.BaseViewSet")
    closed = index.views["core.base.ClosedViewSet"]
    assert (closed.http_method_names, closed.authentication_classes, closed.permission_classes) == ((), (), None)
    assert index.views["core.base.DynamicViewSet"].http_method_names is UNKNOWN


def test_meta_inherited_from_a_grandparent_and_all_fields_imported(make_project):
    index = build_index(
        make_project(
            {
                "shop/__init__.py": "",
                "shop/models.py": MODELS,
                "shop/serializers.py": """
                    from rest_framework import serializers
                    from rest_framework.serializers import ALL_FIELDS
                    from .models import *


                    class A(serializers.ModelSerializer):
                        class Meta:
                            model = Book
                            fields = ALL_FIELDS


                    class B(A):
                        pass


                    class C(B):
                        class Meta(B.Meta):
                            depth = 2
                """,
                "shop/views.py": """
                    from rest_framework import generics
                    from .models import *
                    from .serializers import C


                    class BookDetail(generics.RetrieveAPIView):
                        queryset = Book.objects.only("title")
                        serializer_class = C
                """,
            }
        )
    )
    c = index.serializers["shop.serializers.C"]
    assert c.meta == "shop.serializers.C.Meta"
    assert index.mros["shop.serializers.C.Meta"] == ("shop.serializers.C.Meta", "shop.serializers.A.Meta")
    assert (c.model, c.fields, c.depth) == ("shop.models.Book", "__all__", 2)
    assert index.serializers["shop.serializers.A"].fields == "__all__"
    view = index.views["shop.views.BookDetail"]
    assert view.queryset.model == "shop.models.Book"
    assert view.queryset.calls == (("only", ("title",)),)
    assert view.serializer_class == "shop.serializers.C"
