"""Step 1 of `djvet review` on small projects: versions, settings, entry points, project type,
open questions and the plan, all read from files."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from pathlib import Path

import pytest

from djvet.review.base import FrozenClock, ReviewOptions, ReviewState, ReviewStepError
from djvet.review.inventory import COLLECTORS
from djvet.review.scope import ScopeStep
from djvet.review.sources import collect_requirements

DAY = datetime.date(2025, 1, 15)
MakeProject = Callable[[dict[str, str]], Path]

SETTINGS = """
INSTALLED_APPS = ["django.contrib.auth", "rest_framework", "shop"]
ROOT_URLCONF = "mysite.urls"
"""
MODELS = """
from django.db import models


class Book(models.Model):
    title = models.CharField(max_length=100)
"""
API_VIEWS = """
from rest_framework import viewsets
from shop.models import Book


class BookViewSet(viewsets.ModelViewSet):
    queryset = Book.objects.all()
"""
API_URLS = """
from rest_framework.routers import DefaultRouter
from shop.views import BookViewSet

router = DefaultRouter()
router.register("books", BookViewSet)
urlpatterns = router.urls
"""
HTML_VIEWS = """
from django.shortcuts import render


def home(request):
    return render(request, "home.html")
"""
HTML_URLS = """
from django.urls import path
from shop.views import home

urlpatterns = [path("", home)]
"""
WSGI = 'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")\n'
ASGI = WSGI


def base_project(**extra: str) -> dict[str, str]:
    files = {
        "manage.py": 'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")\n',
        "mysite/__init__.py": "",
        "mysite/settings.py": SETTINGS,
        "mysite/urls.py": HTML_URLS,
        "shop/__init__.py": "",
        "shop/models.py": MODELS,
        "shop/views.py": HTML_VIEWS,
    }
    files.update(extra)
    return files


def scope_of(root: Path, **options: object) -> ReviewState:
    state = ReviewState(ReviewOptions(path=root, **options), FrozenClock(DAY), 0.0, DAY, root)  # type: ignore[arg-type]
    ScopeStep().run(state)
    return state


def topics(state: ReviewState) -> list[str]:
    return [q.topic for q in state.questions]


# ---- versions -----------------------------------------------------------------------------------


def test_versions_prefer_a_lock_file_over_ranges(make_project: MakeProject) -> None:
    root = make_project(
        base_project(
            **{
                "pyproject.toml": '[project]\nname = "shop"\ndependencies = ["Django>=4.2,<5", "djangorestframework"]\n',
                "poetry.lock": '[[package]]\nname = "django"\nversion = "4.2.17"\n\n[[package]]\nname = "djangorestframework"\nversion = "3.15.1"\n',
            }
        )
    )
    scope = scope_of(root).scope
    assert scope is not None
    assert (scope.django.display, scope.django.version) == ("4.2.17", "4.2.17")
    assert [(r.source, r.spec) for r in scope.django.sources] == [("poetry.lock", "==4.2.17"), ("pyproject.toml [project.dependencies]", ">=4.2,<5")]
    assert scope.drf.display == "3.15.1"


@pytest.mark.parametrize(
    "files, expected",
    [
        ({"requirements.txt": "Django[argon2]==5.0.3 ; python_version >= '3.10'  # web\n-r base.txt\n"}, "5.0.3"),
        ({"requirements/base.in": "django>=5.0\n"}, ">=5.0"),
        ({"Pipfile": '[packages]\ndjango = "==4.2.9"\n'}, "4.2.9"),
        ({"Pipfile.lock": '{"default": {"django": {"version": "==4.2.10"}}}'}, "4.2.10"),
        ({"uv.lock": '[[package]]\nname = "Django"\nversion = "5.1.1"\n'}, "5.1.1"),
        ({"pyproject.toml": '[tool.poetry]\nname = "x"\n[tool.poetry.dependencies]\npython = "^3.11"\nDjango = "^5.0"\n'}, "^5.0"),
        ({"shop-1.0.dist-info/METADATA": "Name: shop\nRequires-Dist: django==5.2.1\nRequires-Dist: gunicorn; extra == 'prod'\n"}, "5.2.1"),
    ],
)
def test_versions_are_read_from_every_kind_of_requirement_file(make_project: MakeProject, files: dict[str, str], expected: str) -> None:
    root = make_project(base_project(**files))
    scope = scope_of(root).scope
    assert scope is not None and scope.django.display == expected


def test_pins_that_disagree_become_an_open_question(make_project: MakeProject) -> None:
    root = make_project(base_project(**{"requirements.txt": "Django==5.0.1\n", "requirements-prod.txt": "Django==4.2.3\n"}))
    state = scope_of(root)
    assert state.scope is not None and state.scope.django.conflict
    question = next(q for q in state.questions if q.topic == "versions")
    assert "`requirements-prod.txt` (==4.2.3)" in question.question and "`requirements.txt` (==5.0.1)" in question.question


def test_an_undeclared_django_version_is_asked_not_guessed(make_project: MakeProject) -> None:
    state = scope_of(make_project(base_project()))
    assert state.scope is not None and state.scope.django.display == "not declared"
    assert "versions" in topics(state)


def test_requirement_lines_skip_options_urls_and_comments(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("# pinned\n--index-url https://x\n-e .\ngit+https://x/y.git#egg=y\ncelery[redis]>=5.3 \\\n  --hash=sha256:abc\n")
    assert [(r.name, r.spec, r.source) for r in collect_requirements(tmp_path)] == [("celery", ">=5.3", "requirements.txt")]


# ---- settings -----------------------------------------------------------------------------------

SPLIT = {
    "mysite/settings/__init__.py": "",
    "mysite/settings/base.py": SETTINGS,
    "mysite/settings/dev.py": "from .base import *\nDEBUG = True\n",
    "mysite/settings/production.py": "from .base import *\nDEBUG = False\nSECURE_SSL_REDIRECT = True\n",
    "mysite/wsgi.py": WSGI.replace("mysite.settings", "mysite.settings.production"),
    "manage.py": WSGI.replace("mysite.settings", "mysite.settings.dev"),
}


def test_split_settings_find_production_and_analyze_it(make_project: MakeProject) -> None:
    files = base_project(**SPLIT)
    del files["mysite/settings.py"]
    state = scope_of(make_project(files))
    scope = state.scope
    assert scope is not None
    roles = {r.module: r.role for r in scope.settings_roles}
    assert roles == {"mysite.settings.base": "base", "mysite.settings.dev": "development", "mysite.settings.production": "production"}
    assert scope.production == "mysite.settings.production"
    assert (scope.settings.value, scope.settings.source) == ("mysite.settings.production", "detected")
    production = next(r for r in scope.settings_roles if r.role == "production")
    assert "named by `mysite/wsgi.py`" in production.evidence
    assert "settings" not in topics(state)


def test_two_production_settings_modules_are_an_open_question(make_project: MakeProject) -> None:
    files = base_project(**SPLIT, **{"mysite/settings/prod_eu.py": "from .base import *\nDEBUG = False\n"})
    del files["mysite/settings.py"]
    state = scope_of(make_project(files))
    assert state.scope is not None and state.scope.production is None
    question = next(q for q in state.questions if q.topic == "settings")
    assert "`mysite.settings.prod_eu`" in question.question and "`mysite.settings.production`" in question.question
    assert question.settle == "`--settings MODULE`"


def test_the_settings_flag_settles_it_and_an_unknown_module_stops_step_1(make_project: MakeProject) -> None:
    files = base_project(**SPLIT, **{"mysite/settings/prod_eu.py": "from .base import *\nDEBUG = False\n"})
    del files["mysite/settings.py"]
    root = make_project(files)
    state = scope_of(root, settings_module="mysite.settings.prod_eu")
    assert state.scope is not None and (state.scope.settings.value, state.scope.settings.source) == ("mysite.settings.prod_eu", "flag")
    with pytest.raises(ReviewStepError) as error:
        scope_of(root, settings_module="mysite.settings.nope")
    assert str(error.value).startswith("review step 1 (scope): --settings mysite.settings.nope: not a settings module djvet found; expected one of: mysite.settings.base")


def test_a_module_named_settings_that_sets_nothing_of_django_is_not_a_settings_module(make_project: MakeProject) -> None:
    root = make_project(base_project(**{"shop/settings.py": "PAGE_SIZE = 20\n"}))
    scope = scope_of(root).scope
    assert scope is not None and [r.module for r in scope.settings_roles] == ["mysite.settings"]


# ---- deployment ---------------------------------------------------------------------------------


def test_wsgi_and_asgi_without_deployment_files_ask_which_serves_production(make_project: MakeProject) -> None:
    root = make_project(base_project(**{"mysite/wsgi.py": '"""Served by gunicorn."""\n' + WSGI, "mysite/asgi.py": ASGI}))
    state = scope_of(root)
    assert state.scope is not None and state.scope.entry_point.value is None
    question = next(q for q in state.questions if q.topic == "entry-point")
    assert "`mysite/asgi.py` or `mysite/wsgi.py`" in question.question
    assert "a hint, not evidence: `mysite/wsgi.py` mentions gunicorn" in question.question
    assert question.settle == "`--entry-point wsgi|asgi`"


@pytest.mark.parametrize(
    "files, interface, reason",
    [
        ({"Dockerfile": 'FROM python:3.12\nCMD ["gunicorn", "mysite.wsgi:application"]\n'}, "wsgi", "`gunicorn` in `Dockerfile:2`"),
        ({"Procfile": "web: uvicorn mysite.asgi:application --port $PORT\n"}, "asgi", "`uvicorn` in `Procfile:1`"),
        ({"docker-compose.yml": "services:\n  web:\n    command: gunicorn -k uvicorn.workers.UvicornWorker mysite.asgi:application\n"}, "asgi", "`gunicorn` in `docker-compose.yml:3`"),
        ({"deploy/web.yaml": "apiVersion: apps/v1\nkind: Deployment\nspec:\n  args: [daphne, mysite.asgi:application]\n"}, "asgi", "`daphne` in `deploy/web.yaml:4`"),
        ({"requirements.txt": "gunicorn==22.0\n"}, "wsgi", "server dependency `gunicorn` in `requirements.txt`"),
    ],
)
def test_deployment_files_say_which_entry_point_serves_production(make_project: MakeProject, files: dict[str, str], interface: str, reason: str) -> None:
    root = make_project(base_project(**{"mysite/wsgi.py": WSGI, "mysite/asgi.py": ASGI}, **files))
    state = scope_of(root)
    assert state.scope is not None
    assert (state.scope.entry_point.value, state.scope.entry_point.source, state.scope.entry_point.reason) == (interface, "detected", reason)
    assert "entry-point" not in topics(state)


def test_the_entry_point_flag_wins(make_project: MakeProject) -> None:
    root = make_project(base_project(**{"mysite/wsgi.py": WSGI, "mysite/asgi.py": ASGI}))
    state = scope_of(root, entry_point="asgi")
    assert state.scope is not None and (state.scope.entry_point.value, state.scope.entry_point.source) == ("asgi", "flag")
    assert "entry-point" not in topics(state)


def test_runserver_in_a_deployment_file_is_recorded(make_project: MakeProject) -> None:
    root = make_project(base_project(**{"Procfile": "web: python manage.py runserver 0.0.0.0:$PORT\n"}))
    scope = scope_of(root).scope
    assert scope is not None
    assert [(e.path, e.line, e.kind) for e in scope.deploy_files] == [("Procfile", 1, "development-server"), ("Procfile", 1, "procfile")]


# ---- project type, apps, goal, plan --------------------------------------------------------------


@pytest.mark.parametrize(
    "views, urls, expected",
    [
        (HTML_VIEWS, HTML_URLS, "monolith with templates"),
        (API_VIEWS, API_URLS, "API-only"),
        (API_VIEWS + HTML_VIEWS.replace("from django.shortcuts import render\n", "from django.shortcuts import render\n"), API_URLS + "\nfrom django.urls import path\nfrom shop.views import home\nurlpatterns += [path('', home)]\n", "hybrid"),
    ],
)
def test_project_type_from_routed_views(make_project: MakeProject, views: str, urls: str, expected: str) -> None:
    root = make_project(base_project(**{"shop/views.py": views, "mysite/urls.py": urls}))
    scope = scope_of(root).scope
    assert scope is not None and scope.project_type == expected


def test_no_django_project_stops_step_1(make_project: MakeProject) -> None:
    root = make_project({"lib/__init__.py": "", "lib/core.py": "def f():\n    return 1\n"})
    with pytest.raises(ReviewStepError) as error:
        scope_of(root)
    assert error.value.number == 1 and "no Django project found" in str(error.value)


def test_missing_goal_is_an_open_question_and_the_flag_settles_it(make_project: MakeProject) -> None:
    root = make_project(base_project())
    assert "goal" in topics(scope_of(root))
    state = scope_of(root, goal="performance")
    assert state.scope is not None and state.scope.goal.value == "performance" and "goal" not in topics(state)


def test_the_plan_is_written_before_the_analysis_and_names_every_collector(make_project: MakeProject) -> None:
    state = scope_of(make_project(base_project()))
    assert state.analysis is None
    keys = [p.key for p in state.plan]
    assert keys == ["rules", *(f"inventory:{c.key}" for c in COLLECTORS), "guidance", "recommendations"]
    assert all(p.why for p in state.plan)


def test_installed_apps_and_project_apps(make_project: MakeProject) -> None:
    root = make_project(base_project(**{"shop/apps.py": 'from django.apps import AppConfig\n\n\nclass ShopConfig(AppConfig):\n    name = "shop"\n'}))
    scope = scope_of(root).scope
    assert scope is not None
    assert scope.installed_apps == ("django.contrib.auth", "rest_framework", "shop")
    assert scope.project_apps == ("shop",)
    assert scope.drf_used
