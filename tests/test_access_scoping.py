"""The login and object-scoping rules (DJV205-DJV208) on small projects with settings, and the facts
they share (index.scoping: owner relations, the caller gate, route logins; astro.requests)."""

from __future__ import annotations

import textwrap

import astroid
import pytest

from djvet.astro.requests import RequestUse
from djvet.index import build_index
from djvet.index.policy import AUTHENTICATED, RESTRICTED, UNKNOWN_ACCESS, policy_book
from djvet.index.scoping import caller_gate, owner_fields, route_logins, view_rows
from djvet.runner import check_paths

SETTINGS = """
    INSTALLED_APPS = ["django.contrib.auth", "rest_framework", "shop"]
    ROOT_URLCONF = "config.urls"
    MIDDLEWARE = [
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",{extra_middleware}
    ]
    REST_FRAMEWORK = {{{rest_framework}}}
"""
DEFAULT_AUTHENTICATED = '"DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"]'
MODELS = """
    from django.conf import settings
    from django.db import models


    class Team(models.Model):
        name = models.CharField(max_length=100)


    class Order(models.Model):
        user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
        total = models.IntegerField()


    class Board(models.Model):
        team = models.ForeignKey(Team, on_delete=models.CASCADE)


    class Post(models.Model):
        user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)


    class Document(models.Model):
        created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)


    class Invoice(models.Model):
        customer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
        is_public = models.BooleanField(default=False)
"""
ORDER_VIEWS = """
    from django.shortcuts import get_object_or_404
    from rest_framework import generics
    from rest_framework.response import Response
    from rest_framework.views import APIView

    from shop.models import Order


    class OrderListView(generics.ListAPIView):
        queryset = Order.objects.all()


    class OrderDetailView(APIView):
        def get(self, request, pk):
            order = get_object_or_404(Order, pk=pk)
            return Response({"total": order.total})
"""
DJANGO_VIEWS = """
    from django.shortcuts import get_object_or_404, redirect

    from shop.models import Order


    def order_delete(request, pk):
        if request.method == "POST":
            get_object_or_404(Order, pk=pk).delete()
        return redirect("/")
"""
URLS = """
    from django.urls import path

    from shop import views

    urlpatterns = [path("orders/<int:pk>/delete/", views.order_delete)]
"""


def _project(
    make_project, views: str, rest_framework: str = "", extra_middleware: str = "", urls: str | None = None, **extra: str
):
    settings = SETTINGS.format(rest_framework=rest_framework, extra_middleware=extra_middleware)
    files = {
        "config/__init__.py": "",
        "config/settings.py": settings,
        "config/urls.py": urls if urls is not None else "urlpatterns = []\n",
        "shop/__init__.py": "",
        "shop/models.py": MODELS,
        "shop/views.py": views,
        **extra,
    }
    return make_project(files)


def _findings(root, select: str = "DJV2") -> list[tuple[str, int, str]]:
    report = check_paths([root], {"select": [select]})
    assert report.errors == []
    return [(f.path.rpartition("/")[2], f.line, f.code) for f in report.findings]


# ---- DJV207 / DJV208 with the project default -------------------------------------------------


def test_the_project_default_is_authenticated_lists_and_fetches_are_reported(make_project):
    root = _project(make_project, ORDER_VIEWS, DEFAULT_AUTHENTICATED)
    assert _findings(root) == [("views.py", 9, "DJV207"), ("views.py", 15, "DJV208")]


def test_drf_s_own_default_allow_any_is_not_a_signed_in_gate(make_project):
    root = _project(make_project, ORDER_VIEWS, "")
    assert _findings(root, "DJV207") == []
    assert _findings(root, "DJV208") == []


def test_a_staff_only_project_default_silences_both(make_project):
    root = _project(make_project, ORDER_VIEWS, '"DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAdminUser"]')
    assert _findings(root) == []


def test_a_default_filter_backend_reading_the_user_scopes_the_list(make_project):
    rest_framework = DEFAULT_AUTHENTICATED + ', "DEFAULT_FILTER_BACKENDS": ["shop.filters.MineFilter"]'
    filters = """
        from rest_framework import filters


        class MineFilter(filters.BaseFilterBackend):
            def filter_queryset(self, request, queryset, view):
                return queryset.filter(user=request.user)
    """
    root = _project(make_project, ORDER_VIEWS, rest_framework, **{"shop/filters.py": filters})
    assert _findings(root, "DJV207") == []
    # a hand-written lookup does not go through the filter backends
    assert _findings(root, "DJV208") == [("views.py", 15, "DJV208")]


def test_a_get_queryset_scoped_to_the_user_silences_the_list(make_project):
    views = """
        from rest_framework import generics

        from shop.models import Order


        class OrderListView(generics.ListAPIView):
            def get_queryset(self):
                return Order.objects.filter(user=self.request.user)
    """
    root = _project(make_project, views, DEFAULT_AUTHENTICATED)
    assert _findings(root) == []


# ---- DJV205 and the ways a login is asked for ---------------------------------------------------


def test_a_django_view_writing_without_login_is_reported(make_project):
    root = _project(make_project, DJANGO_VIEWS, urls=URLS)
    assert _findings(root, "DJV205") == [("views.py", 6, "DJV205")]


def test_login_required_middleware_asks_for_a_login(make_project):
    middleware = '\n        "django.contrib.auth.middleware.LoginRequiredMiddleware",'
    root = _project(make_project, DJANGO_VIEWS, extra_middleware=middleware, urls=URLS)
    assert _findings(root, "DJV205") == []


def test_login_not_required_opens_a_view_under_the_middleware(make_project):
    middleware = '\n        "django.contrib.auth.middleware.LoginRequiredMiddleware",'
    views = DJANGO_VIEWS.replace(
        "from django.shortcuts", "from django.contrib.auth.decorators import login_not_required\n    from django.shortcuts"
    ).replace("    def order_delete", "    @login_not_required\n    def order_delete")
    root = _project(make_project, views, extra_middleware=middleware, urls=URLS)
    assert _findings(root, "DJV205") == [("views.py", 7, "DJV205")]


def test_a_project_login_middleware_makes_the_login_unknown(make_project):
    middleware = '\n        "config.middleware.LoginRequiredMiddleware",'
    root = _project(make_project, DJANGO_VIEWS, extra_middleware=middleware, urls=URLS)
    assert _findings(root, "DJV205") == []


def test_a_middleware_added_under_a_condition_is_read_as_possible(make_project):
    """`if X: MIDDLEWARE.append(...)` leaves MIDDLEWARE unknown; whether it may ask for a login is
    still known from every item it may hold."""
    for added, expected in (
        ("shop.middleware.SessionTimeout", [("views.py", 6, "DJV205")]),
        ("django.contrib.auth.middleware.LoginRequiredMiddleware", []),
        ("shop.middleware.LoginRequired", []),
    ):
        settings = textwrap.dedent(SETTINGS.format(rest_framework="", extra_middleware="")) + (
            f"\nimport os\nif os.environ.get('X'):\n    MIDDLEWARE.append({added!r})\n"
        )
        root = _project(make_project, DJANGO_VIEWS, urls=URLS, **{"config/settings.py": settings})
        assert _findings(root, "DJV205") == expected, added


def test_an_urlconf_passed_through_an_unknown_function_makes_the_login_unknown(make_project):
    urls = URLS + "\n    urlpatterns = decorate_urlpatterns(urlpatterns, require_admin)\n"
    root = _project(make_project, DJANGO_VIEWS, urls=urls)
    assert _findings(root, "DJV205") == []


def test_a_view_the_root_urlconf_does_not_reach_is_not_judged(make_project):
    root = _project(make_project, DJANGO_VIEWS, urls="urlpatterns = []\n", **{"shop/urls.py": URLS})
    assert _findings(root, "DJV205") == []


def test_route_logins_read_the_urlconf_decorators(make_project):
    urls = URLS.replace("views.order_delete)", "login_required(views.order_delete))").replace(
        "from django.urls import path",
        "from django.contrib.auth.decorators import login_required\n    from django.urls import path",
    )
    root = _project(make_project, DJANGO_VIEWS, urls=urls)
    logins = route_logins(build_index(root), "shop.views.order_delete")
    assert [(login.required, login.source) for login in logins] == [(True, "login_required (URLconf)")]
    assert _findings(root, "DJV205") == []


# ---- DJV206 and the settings ---------------------------------------------------------------------

CSRF_EXEMPT_VIEW = """
    from django.contrib.auth.decorators import login_required
    from django.http import JsonResponse
    from django.views.decorators.csrf import csrf_exempt


    @csrf_exempt
    @login_required
    def email_change(request):
        request.user.email = request.POST["email"]
        request.user.save()
        return JsonResponse({"ok": True})
"""
CSRF_URLS = """
    from django.urls import path

    from shop import views

    urlpatterns = [path("email/", views.email_change)]
"""


def test_csrf_exempt_on_a_signed_in_view_is_reported(make_project):
    root = _project(make_project, CSRF_EXEMPT_VIEW, urls=CSRF_URLS)
    assert _findings(root, "DJV206") == [("views.py", 6, "DJV206")]


def test_csrf_exempt_changes_nothing_without_the_csrf_middleware(make_project):
    root = _project(make_project, CSRF_EXEMPT_VIEW, urls=CSRF_URLS)
    settings = root / "config" / "settings.py"
    settings.write_text(settings.read_text().replace('"django.middleware.csrf.CsrfViewMiddleware",', ""))
    assert _findings(root, "DJV206") == []


# ---- owner relations -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "owners"),
    [
        ("Order", ["user"]),  # the user it belongs to
        ("Board", ["team"]),  # a tenant
        ("Post", []),  # published content
        ("Document", []),  # created_by records who wrote it
        ("Invoice", []),  # a field says which rows are public
        ("Team", []),  # the tenant itself
    ],
)
def test_owner_fields_name_the_relations_that_give_a_row_an_owner(make_project, model, owners):
    root = _project(make_project, ORDER_VIEWS)
    index = build_index(root)
    assert [f.name for f in owner_fields(index, f"shop.models.{model}")] == owners


def test_view_rows_follow_get_queryset_and_super(make_project):
    views = """
        from rest_framework import generics

        from shop.models import Order


        class BaseOrders(generics.ListAPIView):
            queryset = Order.objects.select_related("user")


        class PaidOrders(BaseOrders):
            def get_queryset(self):
                return super().get_queryset().filter(total__gt=0)
    """
    index = build_index(_project(make_project, views))
    rows = view_rows(index, "shop.views.PaidOrders")
    assert rows is not None and (rows.model, rows.lookups) == ("shop.models.Order", ("total__gt",))


# ---- the caller gate ---------------------------------------------------------------------------------


def test_the_caller_gate_reads_has_permission_only(make_project):
    views = """
        from rest_framework import generics, permissions

        from shop.models import Order


        class IsOwner(permissions.BasePermission):
            def has_object_permission(self, request, view, obj):
                return obj.user == request.user


        class HasRole(permissions.BasePermission):
            def has_permission(self, request, view):
                return request.user.role == "manager"


        class OwnedOrders(generics.ListAPIView):
            queryset = Order.objects.all()
            permission_classes = [permissions.IsAuthenticated, IsOwner]


        class ManagedOrders(generics.ListAPIView):
            queryset = Order.objects.all()
            permission_classes = [permissions.IsAuthenticated, HasRole]


        class EitherOrders(generics.ListAPIView):
            queryset = Order.objects.all()
            permission_classes = [permissions.IsAuthenticated | HasRole]
    """
    index = build_index(_project(make_project, views))
    book = policy_book(index)
    gates = {}
    for name in ("OwnedOrders", "ManagedOrders", "EitherOrders"):
        policy = book.policy(f"shop.views.{name}")
        assert policy is not None
        gates[name] = caller_gate(book, policy.operations[0])
    assert gates == {"OwnedOrders": AUTHENTICATED, "ManagedOrders": RESTRICTED, "EitherOrders": UNKNOWN_ACCESS}


# ---- what a view does with its request --------------------------------------------------------------


def _use(source: str) -> RequestUse:
    module = astroid.parse(textwrap.dedent(source))
    function = next(module.nodes_of_class(astroid.nodes.FunctionDef))
    return RequestUse(function)


def test_request_inputs_are_url_arguments_kwargs_and_the_body():
    use = _use(
        """
        class V:
            def post(self, request, pk):
                a = request.data["order"]
                b = self.kwargs["slug"]
                c = compute()
        """
    )
    values = {n.targets[0].name: n.value for n in use.nodes if isinstance(n, astroid.nodes.Assign)}
    assert use.request_names == {"request"} and use.url_params == {"pk"}
    assert [name for name, value in values.items() if use.mentions_input(value)] == ["a", "b"]


@pytest.mark.parametrize(
    ("body", "checks"),
    [
        ("obj = get(pk)\n    if obj.owner != request.user:\n        raise PermissionDenied", True),
        ("Order.objects.filter(user=request.user)", True),
        ("can_edit(request, obj)", True),
        ("if not request.user.is_staff:\n        return None", True),
        ("Order.objects.create(user=request.user)", False),  # records the user, checks nothing
        ("return render(request, 'x.html', {'user': request.user})", False),
        ("return super().get(request)", False),
    ],
)
def test_checks_caller_tells_checks_from_uses(body, checks):
    assert _use(f"def view(request, pk):\n    {body}\n").checks_caller() is checks
