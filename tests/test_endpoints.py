"""`djvet endpoints`: URL flattening (index.endpoints) and the exact output on the bookshop project.

The golden files under tests/data/endpoints/ are regenerated with `DJVET_UPDATE_GOLDEN=1 pytest
tests/test_endpoints.py` when a route is added to the bookshop; the test still compares exactly."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from djvet.cli import main
from djvet.index import build_index
from djvet.index.endpoints import iter_endpoints, root_urlconfs

REPO = Path(__file__).resolve().parents[1]
GOLDEN = REPO / "tests" / "data" / "endpoints"
BOOKSHOP = "fixtures/projects/bookshop"


def _run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["endpoints", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize(("fmt", "golden"), [("text", "bookshop.txt"), ("json", "bookshop.json"), ("markdown", "bookshop.md")])
def test_bookshop_endpoints_match_the_golden_output(capsys, monkeypatch, fmt: str, golden: str) -> None:
    monkeypatch.chdir(REPO)
    code, out, _ = _run(capsys, BOOKSHOP, "--format", fmt)
    assert code == 0
    path = GOLDEN / golden
    if os.environ.get("DJVET_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(out, encoding="utf-8")
    assert out == path.read_text(encoding="utf-8")


def test_every_bookshop_route_is_listed(capsys, monkeypatch) -> None:
    monkeypatch.chdir(REPO)
    _, out, err = _run(capsys, BOOKSHOP, "--format", "json")
    rows = json.loads(out)["endpoints"]
    urls = [r["url"] for r in rows]
    # every path() of every URLconf, and DRF's list / detail routes and API root for each router
    for expected in ("admin/", "api/books/", "api/books/<pk>/", "api/", "orders/api/", "accounts/me/", "accounts/signup/",
                     "accounts/directory/<pk>/", "accounts/profiles/", "api-auth/"):
        assert expected in urls
    directory = next(r for r in rows if r["url"] == "accounts/directory/<pk>/")
    assert directory["flags"] == ["DJV201", "DJV204", "anonymous", "anonymous-write"]
    assert err == ""


def test_text_output_ends_with_a_summary_on_stderr(capsys, monkeypatch) -> None:
    monkeypatch.chdir(REPO)
    code, out, err = _run(capsys, BOOKSHOP)
    assert code == 0 and out.startswith("URL ")
    assert err.startswith("djvet: ") and " endpoints, " in err


def test_a_missing_path_is_a_usage_error(capsys, tmp_path) -> None:
    code, _, err = _run(capsys, str(tmp_path / "nowhere"))
    assert code == 2 and "no such file or directory" in err


# ---- flattening ---------------------------------------------------------------------------------

VIEWS = """
    from rest_framework import viewsets
    from rest_framework.decorators import action
    from rest_framework.views import APIView
    from shop.models import Book


    class BookViewSet(viewsets.ModelViewSet):
        queryset = Book.objects.all()
        lookup_field = "slug"

        @action(detail=True, methods=["post"], url_path="mark-read")
        def mark_read(self, request, slug=None):
            pass

        @action(detail=False)
        def recent(self, request):
            pass


    class TagViewSet(viewsets.ReadOnlyModelViewSet):
        queryset = Book.objects.all()


    class PingView(APIView):
        def get(self, request):
            pass
"""


def _project(make_project, urls: dict[str, str], settings: str = 'ROOT_URLCONF = "config.urls"\nINSTALLED_APPS = []\n'):
    return make_project(
        {
            "config/__init__.py": "",
            "config/settings.py": settings,
            "shop/__init__.py": "",
            "shop/models.py": "from django.db import models\n\n\nclass Book(models.Model):\n    title = models.CharField(max_length=9)\n",
            "shop/views.py": VIEWS,
            **urls,
        }
    )


def test_router_registrations_expand_into_drf_routes(make_project) -> None:
    root = _project(
        make_project,
        {
            "config/urls.py": """
                from django.urls import include, path

                urlpatterns = [path("api/v1/", include("shop.urls"))]
            """,
            "shop/urls.py": """
                from rest_framework import routers
                from shop.views import BookViewSet, TagViewSet

                router = routers.DefaultRouter()
                router.register("books", BookViewSet)
                slashless = routers.SimpleRouter(trailing_slash=False)
                slashless.register("tags", TagViewSet, basename="tag")

                urlpatterns = router.urls + slashless.urls
            """,
        },
    )
    endpoints = iter_endpoints(build_index(root))
    assert [(e.pattern, e.name, e.kind, e.actions) for e in endpoints] == [
        ("api/v1/books/", "book-list", "router-list", (("GET", "list"), ("POST", "create"))),
        ("api/v1/books/recent/", "book-recent", "router-action", (("GET", "recent"),)),
        (
            "api/v1/books/<slug>/",
            "book-detail",
            "router-detail",
            (("GET", "retrieve"), ("PUT", "update"), ("PATCH", "partial_update"), ("DELETE", "destroy")),
        ),
        ("api/v1/books/<slug>/mark-read/", "book-mark-read", "router-action", (("POST", "mark_read"),)),
        ("api/v1/", "api-root", "api-root", (("GET", "api-root"),)),
        ("api/v1/tags", "tag-list", "router-list", (("GET", "list"),)),
        ("api/v1/tags/<pk>", "tag-detail", "router-detail", (("GET", "retrieve"),)),
    ]


def test_includes_inline_lists_and_regex_patterns_are_joined(make_project) -> None:
    root = _project(
        make_project,
        {
            "config/urls.py": """
                from django.conf import settings
                from django.contrib.auth.decorators import login_required
                from django.urls import include, path, re_path
                from shop.views import PingView

                _patterns = [
                    re_path(r"^ping/$", PingView.as_view(), name="ping"),
                    path("v2/", include([path("ping/", login_required(PingView.as_view()))])),
                ]
                _patterns.append(path("vendor/", include("vendor.urls")))

                urlpatterns = [path("base/", include(_patterns))]
            """,
        },
    )
    endpoints = iter_endpoints(build_index(root))
    assert [(e.pattern, e.view, e.kind, e.decorators) for e in endpoints] == [
        ("base/ping/", "shop.views.PingView", "view", ()),
        ("base/v2/ping/", "shop.views.PingView", "view", ("django.contrib.auth.decorators.login_required",)),
        ("base/vendor/", None, "include", ()),
    ]


def test_lists_of_patterns_imported_from_other_urlconfs_are_followed(make_project) -> None:
    """pretix: `urlpatterns = common_patterns + presale_patterns` with both lists imported, one of
    them a sum of lists, another included in an include of a tuple. Each route is declared where
    it is written."""
    root = _project(
        make_project,
        {
            "config/urls.py": """
                from django.urls import include, re_path
                from shop.urls import common_patterns, event_patterns
                from shop.views import PingView

                presale_patterns = [
                    re_path(r"", include(([re_path(r"^(?P<event>[^/]+)/", include(event_patterns))], "presale"))),
                ]
                urlpatterns = common_patterns + presale_patterns
            """,
            "shop/urls.py": """
                from django.urls import path
                from shop import views

                base_patterns = [path("ping/", views.PingView.as_view(), name="ping")]
                control_patterns = [path("control/", views.PingView.as_view())]
                common_patterns = base_patterns + control_patterns
                event_patterns = [path("tags/", views.TagViewSet.as_view({"get": "list"}))]
            """,
        },
    )
    endpoints = iter_endpoints(build_index(root))
    assert [(e.pattern, e.view, e.kind, e.route.path, e.route.line) for e in endpoints] == [
        ("ping/", "shop.views.PingView", "view", "shop/urls.py", 4),
        ("control/", "shop.views.PingView", "view", "shop/urls.py", 5),
        ("(?P<event>[^/]+)/tags/", "shop.views.TagViewSet", "view", "shop/urls.py", 7),
    ]


def test_without_root_urlconf_every_urlconf_nobody_includes_is_a_root(make_project) -> None:
    root = make_project(
        {
            "shop/__init__.py": "",
            "shop/views.py": VIEWS.replace("from shop.models import Book\n", "").replace("Book.objects.all()", "None"),
            "shop/urls.py": """
                from django.urls import include, path
                from shop.views import PingView

                urlpatterns = [
                    path("ping/", PingView.as_view()),
                    path("more/", include("shop.more_urls")),
                ]
            """,
            "shop/more_urls.py": """
                from django.urls import path
                from shop.views import PingView

                urlpatterns = [path("pong/", PingView.as_view())]
            """,
        }
    )
    index = build_index(root)
    assert root_urlconfs(index) == ["shop.urls"]
    assert [e.pattern for e in iter_endpoints(index)] == ["ping/", "more/pong/"]


def test_a_urlconf_passing_its_patterns_through_a_function_is_marked_wrapped(make_project) -> None:
    root = _project(
        make_project,
        {
            "config/urls.py": """
                from django.urls import path
                from shop.access import require_admin
                from shop.views import PingView

                urlpatterns = [path("ping/", PingView.as_view())]
                urlpatterns = require_admin(urlpatterns)
            """,
        },
    )
    assert [(e.pattern, e.wrapped) for e in iter_endpoints(build_index(root))] == [("ping/", True)]
