"""Step 5 of `djvet review`: recommendations per finding (patches from the index, plug-in writers),
ranking by goal, and project-level recommendations."""

from __future__ import annotations

import datetime
import threading
from pathlib import Path

import pytest

from djvet.catalog import default_catalog
from djvet.finding import Finding
from djvet.review import guidance as guidance_module
from djvet.review.analysis import AnalyzeStep
from djvet.review.base import FrozenClock, ReviewOptions, ReviewState
from djvet.review.context import ContextStep
from djvet.review.guidance import GuidanceStep, Recommendation, rank_findings
from djvet.review.output import claim_report_path
from djvet.review.recall import MemoryStep
from djvet.review.scope import ScopeStep

DAY = datetime.date(2025, 1, 15)
SETTINGS = """
INSTALLED_APPS = ["rest_framework", "shop"]
ROOT_URLCONF = "mysite.urls"
DEBUG = True
SECRET_KEY = "committed"
MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]
"""
MODELS = """
from django.db import models


class Stamped(models.Model):
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True


class Author(models.Model):
    name = models.CharField(max_length=100)


class Book(Stamped):
    title = models.CharField(max_length=100)
    secret_note = models.TextField()
    author = models.ForeignKey(Author, on_delete=models.CASCADE)
"""
SERIALIZERS = """
from rest_framework import serializers
from shop.models import Author, Book


class BaseSerializer(serializers.ModelSerializer):
    class Meta:
        fields = "__all__"


class AuthorSerializer(BaseSerializer):
    class Meta(BaseSerializer.Meta):
        model = Author


class BookSerializer(serializers.ModelSerializer):
    class Meta:
        model = Book
        exclude = (
            "secret_note",
        )
"""
VIEWS = """
from django.shortcuts import render
from rest_framework import permissions, viewsets
from shop.models import Author, Book
from shop.serializers import AuthorSerializer, BookSerializer


class BookViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Book.objects.all()
    serializer_class = BookSerializer
    permission_classes = [permissions.AllowAny]


class AuthorViewSet(viewsets.ModelViewSet):
    queryset = Author.objects.all()
    serializer_class = AuthorSerializer


def titles(request):
    names = []
    for book in Book.objects.all():
        names.append(book.author.name)
    return render(request, "titles.html", {"names": names})
"""
URLS = """
from django.urls import include, path
from rest_framework.routers import DefaultRouter
from shop.views import AuthorViewSet, BookViewSet, titles

router = DefaultRouter()
router.register("books", BookViewSet)
router.register("authors", AuthorViewSet)

urlpatterns = [path("api/", include(router.urls)), path("titles/", titles, name="titles")]
"""
PROJECT = {
    "manage.py": 'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")\n',
    "mysite/__init__.py": "",
    "mysite/settings.py": SETTINGS,
    "mysite/urls.py": URLS,
    "shop/__init__.py": "",
    "shop/models.py": MODELS,
    "shop/serializers.py": SERIALIZERS,
    "shop/views.py": VIEWS,
}


def guided(root: Path, **options: object) -> ReviewState:
    state = ReviewState(ReviewOptions(path=root, **options), FrozenClock(DAY), 0.0, DAY, root)  # type: ignore[arg-type]
    for step in (ScopeStep(), MemoryStep(), ContextStep(), AnalyzeStep(), GuidanceStep()):
        step.run(state)
    return state


def recommendations(state: ReviewState) -> dict[str, Recommendation]:
    assert state.guidance is not None
    return {r.title: r for _, _, items in state.guidance.recommendations for r in items}


def project_items(state: ReviewState) -> dict[str, object]:
    assert state.guidance is not None
    return {a.title: a for a in state.guidance.project}


def test_exclude_becomes_the_allow_list_published_today(make_project) -> None:  # type: ignore[no-untyped-def]
    item = recommendations(guided(make_project(PROJECT)))["`BookSerializer`: an explicit `fields` list"]
    assert item.code == "DJV302"
    assert item.patch == (
        "--- a/shop/serializers.py\n+++ b/shop/serializers.py\n@@ -16,5 +16,3 @@\n     class Meta:\n         model = Book\n"
        '-        exclude = (\n-            "secret_note",\n-        )\n+        fields = ["id", "created", "title", "author"]\n'
    )


def test_an_inherited_fields_all_gets_its_own_list_and_the_base_loses_it(make_project) -> None:  # type: ignore[no-untyped-def]
    items = recommendations(guided(make_project(PROJECT)))
    author = items["`AuthorSerializer`: an explicit `fields` list"]
    assert author.patch is not None and '+        fields = ["id", "name"]\n' in author.patch
    assert "inherits `\"__all__\"` from `BaseSerializer`" in author.what
    base = items["`BaseSerializer`: let each subclass choose its fields"]
    assert base.patch is not None and '-        fields = "__all__"\n' in base.patch
    assert "`AuthorSerializer` (shop/serializers.py:10)" in base.what


def test_a_query_fix_is_shown_as_the_diff_djvet_fix_would_apply(make_project) -> None:  # type: ignore[no-untyped-def]
    state = guided(make_project(PROJECT))
    item = recommendations(state)["`shop/views.py`: load related rows up front"]
    assert item.code == "DJV101" and item.fixable
    assert item.patch is not None and '+    for book in Book.objects.all().select_related("author"):\n' in item.patch


def test_a_writer_registered_for_a_code_is_used_without_touching_the_pipeline(make_project, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    def writer(group: guidance_module.RuleGroup, ctx: guidance_module.GuidanceContext) -> list[Recommendation]:
        return [Recommendation("custom advice", group.code, group.meta.severity, "do it", group.findings)]

    writers = dict(guidance_module.load_writers())
    writers["DJV302"] = writer
    monkeypatch.setattr(guidance_module, "load_writers", lambda: writers)
    items = recommendations(guided(make_project(PROJECT)))
    assert items["custom advice"].code == "DJV302"
    assert "`BookSerializer`: an explicit `fields` list" not in items


def _finding(code: str, severity: str, path: str = "a.py", line: int = 1) -> Finding:
    meta = default_catalog()[code]
    return Finding(code, meta.name, severity, meta.confidence, path, line, 1, line, 2, "m", f"{code}{line}", False)


def test_the_goal_orders_the_families_and_without_one_severity_and_count_do() -> None:
    catalog = default_catalog()
    findings = [_finding("DJV101", "warning", line=1), _finding("DJV101", "warning", line=2), _finding("DJV301", "warning", line=3)]
    assert [g.family for g in rank_findings(findings, catalog, None)] == ["1", "3"]
    assert [g.family for g in rank_findings(findings, catalog, "security")] == ["3", "1"]
    assert [g.family for g in rank_findings(findings, catalog, "performance")] == ["1", "3"]


def test_project_recommendations_cover_security_tests_and_observability(make_project) -> None:  # type: ignore[no-untyped-def]
    state = guided(make_project(PROJECT))
    items = project_items(state)
    assert items["DEBUG off in production"].status == "todo"  # type: ignore[attr-defined]
    assert items["Secret key from the environment"].status == "todo"  # type: ignore[attr-defined]
    assert "missing from `MIDDLEWARE`: `SecurityMiddleware`" in items["Security middleware"].evidence  # type: ignore[attr-defined]
    assert items["A closed default for API permissions"].status == "todo"  # type: ignore[attr-defined]
    assert items["Rate limits for anonymous clients"].status == "todo"  # type: ignore[attr-defined]
    queries = items["Query counts of the endpoints with an N+1"]
    assert "`/titles/` (DJV101 at shop/views.py:" in queries.evidence  # type: ignore[attr-defined]
    assert 'self.client.get("/titles/")' in queries.code and "assertNumQueries" in queries.code  # type: ignore[attr-defined]
    fields = items["Published fields of the flagged serializers"]
    assert "`BookSerializer` (DJV302 at shop/serializers.py:18 served at `/api/books/`, `/api/books/<pk>/`)" in fields.evidence  # type: ignore[attr-defined]
    assert {a.category for a in state.guidance.project} == {"security controls", "tests", "observability"}  # type: ignore[union-attr]


def test_report_names_are_claimed_once_even_by_concurrent_reviews(tmp_path: Path) -> None:
    claimed: list[Path] = []
    threads = [threading.Thread(target=lambda: claimed.append(claim_report_path(tmp_path, "shop", "2025-01-15"))) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(p.name for p in claimed) == ["django_shop_2025-01-15.md"] + [f"django_shop_2025-01-15_{n}.md" for n in range(2, 7)]
