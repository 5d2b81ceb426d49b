"""Step 4 of `djvet review`: the rules over the whole project and the inventory collectors."""

from __future__ import annotations

import datetime
from pathlib import Path

from djvet.review.analysis import AnalyzeStep
from djvet.review.base import FrozenClock, ReviewOptions, ReviewState
from djvet.review.context import ContextStep
from djvet.review.inventory import COLLECTORS, InventorySection
from djvet.review.recall import MemoryStep
from djvet.review.scope import ScopeStep

DAY = datetime.date(2025, 1, 15)
SETTINGS = """
INSTALLED_APPS = ["django.contrib.auth", "rest_framework", "corsheaders", "shop"]
ROOT_URLCONF = "mysite.urls"
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
]
DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", "CONN_MAX_AGE": 60}}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://cache:6379"}}
REST_FRAMEWORK = {"DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"]}
SECRET_KEY = "not-a-secret"
"""
MODELS = """
from django.db import models


class Author(models.Model):
    name = models.CharField(max_length=100)


class Book(models.Model):
    title = models.CharField(max_length=100)
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="books")
"""
SERIALIZERS = """
from rest_framework import serializers
from shop.models import Book


class BookSerializer(serializers.ModelSerializer):
    class Meta:
        model = Book
        exclude = ["author"]
"""
VIEWS = """
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import JsonResponse
from django.views import View
from django.views.generic import ListView
from rest_framework import permissions, viewsets
from shop.models import Book
from shop.serializers import BookSerializer


class BookViewSet(viewsets.ModelViewSet):
    queryset = Book.objects.all()
    serializer_class = BookSerializer


class PublicBookViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Book.objects.all()
    serializer_class = BookSerializer
    permission_classes = [permissions.AllowAny]


class MyBooks(LoginRequiredMixin, ListView):
    model = Book


async def ping(request):
    return JsonResponse({"ok": True})


class Stream(View):
    async def get(self, request):
        return JsonResponse({})
"""
URLS = """
from django.urls import include, path
from rest_framework.routers import DefaultRouter
from shop.views import BookViewSet, MyBooks, PublicBookViewSet, Stream, ping

router = DefaultRouter()
router.register("books", BookViewSet)
router.register("public-books", PublicBookViewSet, basename="public-book")

urlpatterns = [
    path("api/", include(router.urls)),
    path("mine/", MyBooks.as_view(), name="my-books"),
    path("ping/", ping, name="ping"),
    path("stream/", Stream.as_view()),
]
"""
CELERY = """
from celery import Celery

app = Celery("mysite")
"""
TASKS = """
from celery import shared_task
from django_rq import job
from mysite.celery import app


@shared_task
def send_mail(user_id):
    pass


@app.task(bind=True)
def rebuild_index(self):
    pass


@job("default")
def export(pk):
    pass


def later(queue):
    queue.enqueue(export, 1)
"""
PROJECT = {
    "manage.py": 'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")\n',
    "mysite/__init__.py": "",
    "mysite/settings.py": SETTINGS,
    "mysite/urls.py": URLS,
    "mysite/celery.py": CELERY,
    "shop/__init__.py": "",
    "shop/apps.py": 'from django.apps import AppConfig\n\n\nclass ShopConfig(AppConfig):\n    name = "shop"\n',
    "shop/models.py": MODELS,
    "shop/serializers.py": SERIALIZERS,
    "shop/views.py": VIEWS,
    "shop/tasks.py": TASKS,
    "shop/migrations/__init__.py": "",
    "shop/migrations/0001_initial.py": "",
    "shop/migrations/0002_book_author.py": "",
    "requirements.txt": "Django==5.1\ndjangorestframework==3.15\ncelery==5.4\n",
}


def analyzed(root: Path) -> ReviewState:
    state = ReviewState(ReviewOptions(path=root), FrozenClock(DAY), 0.0, DAY, root)
    for step in (ScopeStep(), MemoryStep(), ContextStep(), AnalyzeStep()):
        step.run(state)
    return state


def section(state: ReviewState, key: str) -> InventorySection:
    assert state.analysis is not None
    return next(s for s in state.analysis.inventory if s.key == key)


def test_every_collector_runs_and_the_plan_is_carried_out(make_project) -> None:  # type: ignore[no-untyped-def]
    state = analyzed(make_project(PROJECT))
    assert state.analysis is not None
    assert [s.key for s in state.analysis.inventory] == [c.key for c in COLLECTORS]
    assert state.analysis.ran == ("rules", *(f"inventory:{c.key}" for c in COLLECTORS))


def test_rules_run_over_the_whole_project_with_paths_from_the_root(make_project) -> None:  # type: ignore[no-untyped-def]
    state = analyzed(make_project(PROJECT))
    assert state.analysis is not None
    assert [(f.code, f.path, f.line) for f in state.analysis.findings if f.code == "DJV302"] == [("DJV302", "shop/serializers.py", 8)]
    assert {state.analysis.changes.status(f) for f in state.analysis.findings} == {"new"}


def test_api_surface_is_what_djvet_endpoints_lists(make_project) -> None:  # type: ignore[no-untyped-def]
    rows = {row[0]: row[1:] for row in section(analyzed(make_project(PROJECT)), "api").rows}
    assert rows["`/api/books/`"] == ("`BookViewSet`", "GET, POST", "Session, Basic (DRF default)", "IsAuthenticated (settings)", "no", "-", "shop/views.py:10")
    assert rows["`/api/books/<pk>/`"][1] == "GET, PUT, PATCH, DELETE"
    assert rows["`/api/public-books/`"][3:6] == ("AllowAny", "yes", "anonymous")
    assert rows["`/mine/`"][3:5] == ("login required (LoginRequiredMixin)", "no")
    assert rows["`/ping/`"][1:5] == ("any", "session", "no login required", "yes")


def test_async_views_and_background_tasks(make_project) -> None:  # type: ignore[no-untyped-def]
    rows = section(analyzed(make_project(PROJECT)), "async").rows
    assert [(r[0], r[1]) for r in rows] == [
        ("async view", "`shop.views.ping`"),
        ("async view", "`shop.views.Stream`"),
        ("celery task", "`shop.tasks.send_mail`"),
        ("celery task", "`shop.tasks.rebuild_index`"),
        ("rq task", "`shop.tasks.export`"),
        ("enqueue site", "`shop.tasks.later`"),
    ]


def test_migrations_are_counted_per_app(make_project) -> None:  # type: ignore[no-untyped-def]
    assert section(analyzed(make_project(PROJECT)), "migrations").rows == (("`shop`", "2"),)


def test_models_with_their_relations(make_project) -> None:  # type: ignore[no-untyped-def]
    rows = section(analyzed(make_project(PROJECT)), "models").rows
    assert [(r[0], r[3]) for r in rows] == [("`shop.Author`", "-"), ("`shop.Book`", "`author` → `shop.Author` (fk)")]


def test_settings_subjects_read_the_analyzed_settings(make_project) -> None:  # type: ignore[no-untyped-def]
    state = analyzed(make_project(PROJECT))
    assert section(state, "middleware").rows[0] == ("1", "`django.middleware.security.SecurityMiddleware`", "HTTPS redirect, HSTS, nosniff")
    assert section(state, "databases").rows == (("`default`", '`"django.db.backends.postgresql"`', "`60`", "`False`", "no"),)
    assert section(state, "caches").rows == (("`default`", '`"django.core.cache.backends.redis.RedisCache"`', '`"redis://cache:6379"`'),)
    security = dict(section(state, "security-settings").rows)
    assert security["`SECRET_KEY`"] == "a literal in code (mysite/settings.py:10)"
    assert "not-a-secret" not in repr(state.analysis)


def test_apps_lists_project_and_third_party_apps(make_project) -> None:  # type: ignore[no-untyped-def]
    apps = section(analyzed(make_project(PROJECT)), "apps")
    assert apps.rows == (("`shop`", "`shop`", "2", "5", "1", "2", "0"),)
    assert apps.notes == ("Third-party apps: `corsheaders`, `rest_framework`", "Django apps: `django.contrib.auth`")
