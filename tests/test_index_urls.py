"""URL routes: path / re_path / include / DRF routers / as_view."""

from __future__ import annotations

from djvet.index import build_index
from djvet.index.facts import RouteFact

VIEWS = """
    from django.http import HttpResponse
    from django.views.generic import TemplateView
    from rest_framework import viewsets
    from rest_framework.views import APIView


    class BookViewSet(viewsets.ModelViewSet):
        pass


    class AuthorViewSet(viewsets.ReadOnlyModelViewSet):
        pass


    class PingView(APIView):
        pass


    class AboutView(TemplateView):
        template_name = "about.html"


    def legacy(request):
        return HttpResponse("old")


    def feed(req):
        return HttpResponse("feed")
"""

PROJECT = {
    "config/__init__.py": "",
    "config/urls.py": """
        from django.contrib import admin
        from django.urls import include, path

        urlpatterns = [
            path("admin/", admin.site.urls),
            path("api/", include("shop.urls")),
            path("api/v2/", include(("shop.urls", "shop"), namespace="v2")),
        ]
    """,
    "shop/__init__.py": "",
    "shop/views.py": VIEWS,
    "shop/urls.py": """
        from django.conf.urls import url
        from django.contrib.auth.decorators import login_required
        from django.urls import include, path, re_path
        from rest_framework import routers

        from . import views
        from .views import AboutView, BookViewSet, PingView

        router = routers.DefaultRouter()
        router.register(r"books", BookViewSet, basename="book")
        router.register(prefix="authors", viewset=views.AuthorViewSet)

        urlpatterns = [
            path("", include(router.urls)),
            path("ping/", PingView.as_view(), name="ping"),
            re_path(r"^legacy/$", views.legacy, name="legacy"),
            path("about/", login_required(AboutView.as_view())),
            url(r"^feed/$", views.feed),
        ]
        urlpatterns += router.urls
        urlpatterns.append(path("extra/", views.legacy))
    """,
}


def test_routes_of_a_project(make_project):
    index = build_index(make_project(PROJECT))
    assert index.routes == (
        RouteFact("config.urls", "config/urls.py", 5, "path", "admin/", "django.contrib.admin.site.urls", None),
        RouteFact("config.urls", "config/urls.py", 6, "include", "api/", None, "shop.urls"),
        RouteFact("config.urls", "config/urls.py", 7, "include", "api/v2/", None, "shop.urls"),
        RouteFact("shop.urls", "shop/urls.py", 10, "router", "books", "shop.views.BookViewSet", "shop.urls:router", basename="book"),
        RouteFact("shop.urls", "shop/urls.py", 11, "router", "authors", "shop.views.AuthorViewSet", "shop.urls:router"),
        RouteFact("shop.urls", "shop/urls.py", 14, "include", "", None, "shop.urls:router"),
        RouteFact("shop.urls", "shop/urls.py", 15, "path", "ping/", "shop.views.PingView", None, name="ping"),
        RouteFact("shop.urls", "shop/urls.py", 16, "re_path", r"^legacy/$", "shop.views.legacy", None, name="legacy"),
        RouteFact(
            "shop.urls", "shop/urls.py", 17, "path", "about/", "shop.views.AboutView", None,
            decorators=("django.contrib.auth.decorators.login_required",),
        ),
        RouteFact("shop.urls", "shop/urls.py", 18, "re_path", r"^feed/$", "shop.views.feed", None),
        RouteFact("shop.urls", "shop/urls.py", 20, "include", None, None, "shop.urls:router"),
        RouteFact("shop.urls", "shop/urls.py", 21, "path", "extra/", "shop.views.legacy", None),
    )


def test_routed_views_are_views(make_project):
    index = build_index(make_project(PROJECT))
    # `feed` takes `req`, not `request`: it is a view because a route names it
    assert index.views["shop.views.feed"].kind == "django-function"
    assert index.views["shop.views.legacy"].kind == "django-function"
    assert index.views["shop.views.AboutView"].kind == "django-cbv"


def test_urlpatterns_is_the_router_urls(make_project):
    index = build_index(
        make_project(
            {
                "api/__init__.py": "",
                "api/views.py": VIEWS,
                "api/routes.py": """
                    from rest_framework.routers import SimpleRouter
                    from api.views import BookViewSet

                    books = SimpleRouter()
                    books.register("books", BookViewSet, "book")
                    urlpatterns = books.urls
                """,
            }
        )
    )
    assert index.routes == (
        RouteFact("api.routes", "api/routes.py", 5, "router", "books", "api.views.BookViewSet", "api.routes:books", basename="book"),
        RouteFact("api.routes", "api/routes.py", 6, "include", None, None, "api.routes:books"),
    )


def test_inline_include_and_module_include(make_project):
    index = build_index(
        make_project(
            {
                "web/__init__.py": "",
                "web/views.py": VIEWS,
                "web/urls.py": """
                    from django.urls import include, path
                    from web import views
                    import web.api_urls

                    urlpatterns = [
                        path("old/", include([path("feed/", views.feed)])),
                        path("api/", include(web.api_urls)),
                    ]
                """,
                "web/api_urls.py": """
                    urlpatterns = []
                """,
            }
        )
    )
    assert index.routes == (
        RouteFact("web.urls", "web/urls.py", 6, "include", "old/", None, None),
        RouteFact("web.urls", "web/urls.py", 6, "path", "feed/", "web.views.feed", None, prefix=("old/",)),
        RouteFact("web.urls", "web/urls.py", 7, "include", "api/", None, "web.api_urls"),
    )


def test_patterns_concatenated_and_wrapped(make_project):
    index = build_index(
        make_project(
            {
                "shop/__init__.py": "",
                "shop/views.py": VIEWS,
                "shop/urls.py": """
                    from django.conf.urls.i18n import i18n_patterns
                    from django.urls import path
                    from rest_framework.routers import DefaultRouter
                    from rest_framework.urlpatterns import format_suffix_patterns

                    from shop import views

                    router = DefaultRouter()
                    router.register("books", views.BookViewSet)

                    urlpatterns = [path("ping/", views.PingView.as_view())] + router.urls
                    urlpatterns += format_suffix_patterns([path("feed/", views.feed)])
                    urlpatterns += i18n_patterns(path("about/", views.AboutView.as_view()), prefix_default_language=False)
                """,
            }
        )
    )
    assert [(r.line, r.kind, r.pattern, r.view, r.include) for r in index.routes] == [
        (9, "router", "books", "shop.views.BookViewSet", "shop.urls:router"),
        (11, "include", None, None, "shop.urls:router"),
        (11, "path", "ping/", "shop.views.PingView", None),
        (12, "path", "feed/", "shop.views.feed", None),
        (13, "path", "about/", "shop.views.AboutView", None),
    ]


def test_imported_lists_that_name_each_other_are_read_once(make_project):
    index = build_index(
        make_project(
            {
                "web/__init__.py": "",
                "web/views.py": VIEWS,
                "web/urls.py": """
                    from django.urls import path
                    from web import views
                    from web.more_urls import more

                    first = [path("feed/", views.feed)] + more
                    urlpatterns = first
                """,
                "web/more_urls.py": """
                    from django.urls import path
                    from web import views
                    from web.urls import first

                    more = [path("legacy/", views.legacy)] + first
                """,
            }
        )
    )
    assert [(r.module, r.path, r.line, r.pattern) for r in index.routes] == [
        ("web.urls", "web/more_urls.py", 5, "legacy/"),
        ("web.urls", "web/urls.py", 5, "feed/"),
    ]
