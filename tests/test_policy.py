"""The effective access policy of views (index.policy), the paths read from permission methods
(index.branches), and the DJV2 rules on small projects with settings."""

from __future__ import annotations

import ast
import textwrap

import pytest

from djvet.index import build_index
from djvet.index.branches import collect_branches
from djvet.index.expr import UNKNOWN, Const
from djvet.index.facts import Condition
from djvet.index.policy import ANYONE, AUTHENTICATED, RESTRICTED, UNKNOWN_ACCESS, policy_book, split_words
from djvet.runner import check_paths

P = "rest_framework.permissions."
SETTINGS_DEFAULT_AUTHENTICATED = """
    INSTALLED_APPS = ["rest_framework", "shop"]
    ROOT_URLCONF = "config.urls"
    REST_FRAMEWORK = {"DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"]}
"""
SETTINGS_NO_REST_FRAMEWORK = """
    INSTALLED_APPS = ["rest_framework", "shop"]
    ROOT_URLCONF = "config.urls"
"""
MODELS = """
    from django.db import models


    class Order(models.Model):
        total = models.IntegerField()
"""


def _project(make_project, views: str, settings: str | None = SETTINGS_NO_REST_FRAMEWORK, **extra: str):
    files = {"shop/__init__.py": "", "shop/models.py": MODELS, "shop/views.py": views, **extra}
    if settings is not None:
        files.update({"config/__init__.py": "", "config/settings.py": settings})
    return make_project(files)


def _policy(root, view: str):
    index = build_index(root)
    policy = policy_book(index).policy(view)
    assert policy is not None
    return policy


def _access(policy) -> dict[tuple[str, str | None], str]:
    return {(op.method, op.action): op.access for op in policy.operations}


def _findings(root) -> list[tuple[str, int, str]]:
    report = check_paths([root], {"select": ["DJV2"]})
    assert report.errors == []
    return [(f.path.rpartition("/")[2], f.line, f.code) for f in report.findings]


# ---- where the classes come from ----------------------------------------------------------------


def test_the_project_default_applies_to_views_that_set_nothing(make_project):
    root = _project(
        make_project,
        """
        from rest_framework import viewsets
        from shop.models import Order


        class OrderViewSet(viewsets.ModelViewSet):
            queryset = Order.objects.all()
        """,
        SETTINGS_DEFAULT_AUTHENTICATED,
    )
    policy = _policy(root, "shop.views.OrderViewSet")
    assert (policy.permissions.names, policy.permissions.source) == ((P + "IsAuthenticated",), "project-default")
    assert set(_access(policy).values()) == {AUTHENTICATED}
    assert policy.authentication.source == "drf-default"
    assert _findings(root) == []


def test_the_project_default_is_read_through_a_source_root(make_project):
    """label-studio's layout: manage.py inside the `site` package puts `site/` on sys.path, so the
    settings star-import `core.settings.base` and the class paths in REST_FRAMEWORK name modules
    djvet calls `site.core...`."""
    root = make_project(
        {
            "site/__init__.py": "",
            "site/manage.py": "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'core.settings.prod')\n",
            "site/core/__init__.py": "",
            "site/core/settings/__init__.py": "",
            "site/core/settings/base.py": """
                INSTALLED_APPS = ["rest_framework", "shop"]
                REST_FRAMEWORK = {"DEFAULT_PERMISSION_CLASSES": ["core.permissions.IsMember"]}
            """,
            "site/core/settings/prod.py": "from core.settings.base import *\nDEBUG = False\n",
            "site/core/permissions.py": """
                from rest_framework.permissions import BasePermission


                class IsMember(BasePermission):
                    def has_permission(self, request, view):
                        return request.user.is_authenticated
            """,
            "site/shop/__init__.py": "",
            "site/shop/models.py": MODELS,
            "site/shop/views.py": """
                from rest_framework import viewsets
                from shop.models import Order


                class OrderViewSet(viewsets.ModelViewSet):
                    queryset = Order.objects.all()
            """,
        }
    )
    policy = _policy(root, "site.shop.views.OrderViewSet")
    assert (policy.permissions.names, policy.permissions.source) == (("site.core.permissions.IsMember",), "project-default")
    assert set(_access(policy).values()) == {AUTHENTICATED}


def test_without_default_permission_classes_drf_allows_anyone(make_project):
    root = _project(
        make_project,
        """
        from rest_framework import viewsets
        from shop.models import Order


        class OrderViewSet(viewsets.ModelViewSet):
            queryset = Order.objects.all()
        """,
    )
    policy = _policy(root, "shop.views.OrderViewSet")
    assert (policy.permissions.names, policy.permissions.source) == ((P + "AllowAny",), "drf-default")
    assert _access(policy)[("DELETE", "destroy")] == ANYONE
    assert _findings(root) == [("views.py", 5, "DJV201")]


def test_without_a_settings_module_the_default_is_unknown(make_project):
    root = _project(
        make_project,
        """
        from rest_framework import viewsets
        from shop.models import Order


        class OrderViewSet(viewsets.ModelViewSet):
            queryset = Order.objects.all()
        """,
        settings=None,
    )
    policy = _policy(root, "shop.views.OrderViewSet")
    assert policy.permissions.names is UNKNOWN
    assert set(_access(policy).values()) == {UNKNOWN_ACCESS}
    assert _findings(root) == []


def test_permission_classes_are_inherited_across_files(make_project):
    root = _project(
        make_project,
        """
        from rest_framework import generics
        from shop.base import PublicView
        from shop.models import Order


        class OrderCreateView(PublicView, generics.CreateAPIView):
            queryset = Order.objects.all()
        """,
        **{
            "shop/base.py": """
                from rest_framework.permissions import AllowAny


                class PublicView:
                    permission_classes = (AllowAny,)
            """
        },
    )
    policy = _policy(root, "shop.views.OrderCreateView")
    assert (policy.permissions.names, policy.permissions.source, policy.permissions.origin) == ((P + "AllowAny",), "view", "shop.base.PublicView")
    assert _findings(root) == [("views.py", 6, "DJV201")]


def test_a_base_djvet_cannot_read_makes_the_policy_unknown(make_project):
    root = _project(
        make_project,
        """
        from rest_framework import viewsets
        from vendor.mixins import TenantMixin
        from shop.models import Order


        class OrderViewSet(TenantMixin, viewsets.ModelViewSet):
            queryset = Order.objects.all()
        """,
    )
    policy = _policy(root, "shop.views.OrderViewSet")
    assert policy.permissions.names is UNKNOWN
    assert not policy.methods_known
    assert _findings(root) == []


def test_decorators_of_function_views(make_project):
    root = _project(
        make_project,
        """
        from rest_framework.decorators import api_view, authentication_classes, permission_classes
        from rest_framework.permissions import AllowAny, IsAdminUser


        @api_view(["GET", "POST"])
        @permission_classes([IsAdminUser])
        @authentication_classes([])
        def import_orders(request):
            pass


        @api_view()
        def ping(request):
            pass
        """,
    )
    policy = _policy(root, "shop.views.import_orders")
    assert (policy.permissions.names, policy.permissions.source) == ((P + "IsAdminUser",), "decorator")
    assert (policy.authentication.names, policy.authentication.source) == ((), "decorator")
    assert _access(policy) == {("GET", None): RESTRICTED, ("POST", None): RESTRICTED}
    assert [op.method for op in _policy(root, "shop.views.ping").operations] == ["GET"]


# ---- methods and actions ------------------------------------------------------------------------


def test_methods_and_actions_a_view_accepts(make_project):
    root = _project(
        make_project,
        """
        from rest_framework import generics, mixins, viewsets
        from rest_framework.decorators import action
        from rest_framework.permissions import AllowAny
        from rest_framework.views import APIView
        from shop.models import Order


        class ReadOnly(viewsets.ReadOnlyModelViewSet):
            queryset = Order.objects.all()

            @action(detail=True, methods=["post", "delete"], permission_classes=[AllowAny])
            def archive(self, request, pk=None):
                pass


        class CreateOnly(mixins.CreateModelMixin, viewsets.GenericViewSet):
            queryset = Order.objects.all()


        class NoWrites(viewsets.ModelViewSet):
            queryset = Order.objects.all()
            http_method_names = ["get", "head"]


        class Detail(generics.RetrieveUpdateAPIView):
            queryset = Order.objects.all()


        class Handlers(APIView):
            def get(self, request):
                pass

            def delete(self, request):
                pass
        """,
    )
    read_only = _policy(root, "shop.views.ReadOnly")
    assert [(op.method, op.action, op.detail) for op in read_only.operations] == [
        ("GET", "list", False),
        ("GET", "retrieve", True),
        ("POST", "archive", True),
        ("DELETE", "archive", True),
    ]
    assert read_only.operations[2].permissions.source == "action"
    assert [(op.method, op.action) for op in _policy(root, "shop.views.CreateOnly").operations] == [("POST", "create")]
    assert _policy(root, "shop.views.NoWrites").methods == ("GET",)
    detail = _policy(root, "shop.views.Detail")
    assert [(op.method, op.detail) for op in detail.operations] == [("GET", None), ("PUT", True), ("PATCH", True)]
    assert _policy(root, "shop.views.Handlers").methods == ("GET", "DELETE")


# ---- get_permissions ----------------------------------------------------------------------------


def test_get_permissions_per_action_follows_super_and_self_permission_classes(make_project):
    root = _project(
        make_project,
        """
        from rest_framework import permissions, viewsets
        from rest_framework.permissions import SAFE_METHODS
        from shop.models import Order


        class Mixin:
            def get_permissions(self):
                if self.action == "destroy":
                    return [permissions.IsAdminUser()]
                return super().get_permissions()


        class OrderViewSet(Mixin, viewsets.ModelViewSet):
            queryset = Order.objects.all()
            permission_classes = [permissions.IsAuthenticated]

            def get_permissions(self):
                if self.request.method in SAFE_METHODS:
                    self.permission_classes = [permissions.AllowAny]
                return super().get_permissions()
        """,
    )
    policy = _policy(root, "shop.views.OrderViewSet")
    assert _access(policy) == {
        ("GET", "list"): ANYONE,
        ("POST", "create"): AUTHENTICATED,
        ("GET", "retrieve"): ANYONE,
        ("PUT", "update"): AUTHENTICATED,
        ("PATCH", "partial_update"): AUTHENTICATED,
        ("DELETE", "destroy"): RESTRICTED,
    }
    assert {op.permissions.source for op in policy.operations} == {"get_permissions", "view"}
    assert _findings(root) == []


def test_get_permissions_opening_a_write_is_reported_on_the_method(make_project):
    root = _project(
        make_project,
        """
        from rest_framework import permissions, viewsets
        from shop.models import Order


        class OrderViewSet(viewsets.ModelViewSet):
            queryset = Order.objects.all()

            def get_permissions(self):
                if self.action in ("list", "retrieve", "update"):
                    permission_classes = [permissions.AllowAny]
                else:
                    permission_classes = [permissions.IsAdminUser]
                return [p() for p in permission_classes]
        """,
    )
    policy = _policy(root, "shop.views.OrderViewSet")
    assert _access(policy)[("PUT", "update")] == ANYONE
    assert _access(policy)[("PATCH", "partial_update")] == RESTRICTED
    assert _findings(root) == [("views.py", 8, "DJV203")]


def test_an_unreadable_get_permissions_is_unknown(make_project):
    root = _project(
        make_project,
        """
        from rest_framework import permissions, viewsets
        from shop.models import Order


        class OrderViewSet(viewsets.ModelViewSet):
            queryset = Order.objects.all()
            by_action = {"create": [permissions.AllowAny]}

            def get_permissions(self):
                for name, classes in self.by_action.items():
                    if name == self.action:
                        return [c() for c in classes]
                return [permissions.IsAdminUser()]
        """,
    )
    assert set(_access(_policy(root, "shop.views.OrderViewSet")).values()) == {UNKNOWN_ACCESS}
    assert _findings(root) == []


# ---- permission classes -------------------------------------------------------------------------


def test_custom_permission_classes_are_read_per_method(make_project):
    root = _project(
        make_project,
        """
        from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated


        class ReadOnly(BasePermission):
            def has_permission(self, request, view):
                return request.method in SAFE_METHODS


        class ReadOrSignedIn(BasePermission):
            def has_permission(self, request, view):
                return request.method in SAFE_METHODS or request.user.is_authenticated


        class Always(BasePermission):
            def has_permission(self, request, view):
                if request.method == "POST":
                    return True
                return True


        class Raises(BasePermission):
            def has_permission(self, request, view):
                if not request.user.is_staff:
                    raise PermissionError
                return True


        class Owner(IsAuthenticated):
            def has_object_permission(self, request, view, obj):
                return obj.owner == request.user
        """,
    )
    book = policy_book(build_index(root))
    table = {
        name: (book.class_access(f"shop.views.{name}", "GET"), book.class_access(f"shop.views.{name}", "POST"))
        for name in ("ReadOnly", "ReadOrSignedIn", "Always", "Raises", "Owner")
    }
    assert table == {
        "ReadOnly": (ANYONE, RESTRICTED),
        "ReadOrSignedIn": (ANYONE, AUTHENTICATED),
        "Always": (ANYONE, ANYONE),
        "Raises": (RESTRICTED, RESTRICTED),
        "Owner": (RESTRICTED, RESTRICTED),
    }
    assert book.class_access(P + "IsAuthenticatedOrReadOnly", "DELETE") == AUTHENTICATED
    assert book.class_access("vendor.permissions.HasApiKey", "GET") == RESTRICTED


def test_composed_permission_classes(make_project):
    root = _project(
        make_project,
        """
        from rest_framework import generics
        from rest_framework.permissions import AllowAny, IsAdminUser, IsAuthenticated
        from shop.models import Order


        class Either(generics.ListCreateAPIView):
            queryset = Order.objects.all()
            permission_classes = [IsAdminUser | AllowAny]


        class Both(generics.ListCreateAPIView):
            queryset = Order.objects.all()
            permission_classes = [IsAuthenticated & IsAdminUser]
        """,
    )
    either = _policy(root, "shop.views.Either")
    assert either.permissions.names == (P + "IsAdminUser | " + P + "AllowAny",)
    assert set(_access(either).values()) == {ANYONE}
    assert set(_access(_policy(root, "shop.views.Both")).values()) == {RESTRICTED}
    assert _findings(root) == [("views.py", 6, "DJV201")]


# ---- public by design, scoped objects -----------------------------------------------------------


def test_public_by_design_endpoints_are_marked_not_reported(make_project):
    root = _project(
        make_project,
        """
        from rest_framework import generics, viewsets
        from rest_framework.permissions import AllowAny
        from shop.models import Order


        class PasswordResetView(generics.CreateAPIView):
            permission_classes = [AllowAny]


        class CustomerViewSet(viewsets.ModelViewSet):
            queryset = Order.objects.all()
            permission_classes = [AllowAny]
        """,
    )
    assert _policy(root, "shop.views.PasswordResetView").public == "password"
    customer = _policy(root, "shop.views.CustomerViewSet")
    assert {op.action: op.public for op in customer.operations if op.method != "GET"} == {
        "create": "signup",
        "update": None,
        "partial_update": None,
        "destroy": None,
    }
    assert _findings(root) == [("views.py", 10, "DJV201")]


def test_words_split_camel_case_and_join_pairs():
    assert {"sign", "up", "signup", "user"} <= split_words("UserSignUpView")
    assert {"password", "reset"} <= split_words("api/password_reset/<uidb64>/")
    assert split_words(None) == set()


def test_detail_writes_on_a_queryset_scoped_to_the_caller_are_not_reported(make_project):
    root = _project(
        make_project,
        """
        from rest_framework import viewsets
        from rest_framework.permissions import AllowAny
        from shop.models import Order


        class MyOrderViewSet(viewsets.ModelViewSet):
            permission_classes = [AllowAny]

            def get_queryset(self):
                return Order.objects.filter(owner=self.request.user)
        """,
    )
    policy = _policy(root, "shop.views.MyOrderViewSet")
    assert policy.objects_scoped
    assert _findings(root) == [("views.py", 6, "DJV201")]  # create only
    report = check_paths([root], {"select": ["DJV201"]})
    assert [f.message for f in report.findings] == [
        "`MyOrderViewSet` accepts `create` from anyone (`permission_classes = [AllowAny]` in `MyOrderViewSet`)"
    ]


# ---- Django views ------------------------------------------------------------------------------


def test_login_enforcement_of_django_views(make_project):
    root = _project(
        make_project,
        """
        from django.contrib.auth.decorators import login_not_required, login_required, permission_required
        from django.contrib.auth.mixins import PermissionRequiredMixin, UserPassesTestMixin
        from django.utils.decorators import method_decorator
        from django.views.generic import FormView, TemplateView
        from shop.decorators import team_required


        @method_decorator(login_required, name="dispatch")
        class Dashboard(TemplateView):
            pass


        class Reports(PermissionRequiredMixin, TemplateView):
            pass


        class Staff(UserPassesTestMixin, FormView):
            pass


        class About(TemplateView):
            pass


        class Decorated(TemplateView):
            @method_decorator(permission_required("shop.view_order"))
            def dispatch(self, request, *args, **kwargs):
                return super().dispatch(request, *args, **kwargs)


        @login_required
        def orders(request):
            pass


        @login_not_required
        def landing(request):
            pass


        @team_required
        def team(request):
            pass
        """,
    )
    index = build_index(root)
    book = policy_book(index)
    logins = {name: book.policy(f"shop.views.{name}").login for name in ("Dashboard", "Reports", "Staff", "About", "Decorated", "orders", "landing", "team")}
    assert {name: (login.required, login.source) for name, login in logins.items()} == {
        "Dashboard": (True, "login_required"),
        "Reports": (True, "PermissionRequiredMixin"),
        "Staff": (True, "UserPassesTestMixin"),
        "About": (False, ""),
        "Decorated": (True, "permission_required"),
        "orders": (True, "login_required"),
        "landing": (False, "login_not_required"),
        "team": (UNKNOWN, ""),
    }
    assert book.policy("shop.views.Staff").methods == ("GET", "POST")


def test_login_required_middleware_covers_django_views_but_not_drf_ones(make_project):
    root = _project(
        make_project,
        """
        from django.contrib.auth.decorators import login_not_required
        from django.views.generic import TemplateView
        from rest_framework.views import APIView


        class Home(TemplateView):
            pass


        @login_not_required
        def health(request):
            pass


        class Api(APIView):
            def get(self, request):
                pass
        """,
        SETTINGS_NO_REST_FRAMEWORK + '    MIDDLEWARE = ["django.contrib.auth.middleware.LoginRequiredMiddleware"]\n',
    )
    book = policy_book(build_index(root))
    assert book.policy("shop.views.Home").login.required is True
    assert book.policy("shop.views.health").login.required is False
    api = book.policy("shop.views.Api")
    assert api.login is None and _access(api) == {("GET", None): ANYONE}  # DRF views are exempt


# ---- reading permission methods -----------------------------------------------------------------


def _branches(source: str):
    node = ast.parse(textwrap.dedent(source)).body[0]
    assert isinstance(node, ast.FunctionDef)
    return collect_branches(node)


def test_branches_of_an_if_chain_with_or_across_subjects():
    branches = _branches(
        """
        def get_permissions(self):
            if self.request.method in SAFE_METHODS or self.action == "restock":
                return [AllowAny()]
            return [IsAdminUser()]
        """
    )
    assert branches is not None
    assert [b.conditions for b in branches] == [
        (Condition("self.request.method", (), ("SAFE_METHODS",)),),
        (Condition("self.request.method", (), ("SAFE_METHODS",), negated=True), Condition("self.action", ("restock",))),
        (Condition("self.request.method", (), ("SAFE_METHODS",), negated=True), Condition("self.action", ("restock",), negated=True)),
    ]


def test_a_returned_test_becomes_two_branches_and_falling_off_returns_none():
    branches = _branches(
        """
        def has_permission(self, request, view):
            if view.action == "list":
                return request.method == "GET"
        """
    )
    assert branches is not None
    assert [(b.conditions, b.value) for b in branches] == [
        ((Condition("view.action", ("list",)), Condition("request.method", ("GET",))), Const(True, 4)),
        ((Condition("view.action", ("list",)), Condition("request.method", ("GET",), negated=True)), Const(False, 4)),
        ((Condition("view.action", ("list",), negated=True),), Const(None, 4)),
    ]


@pytest.mark.parametrize(
    "body",
    [
        "for p in self.x:\n        return p",
        "try:\n        return [A()]\n    except Exception:\n        return []",
        "with x:\n        return [A()]",
    ],
)
def test_loops_and_try_make_a_method_unreadable(body: str):
    assert _branches(f"def get_permissions(self):\n    {body}\n") is None


def test_calls_on_the_path_mark_branches_guarded():
    branches = _branches(
        """
        def get_permissions(self):
            self.check_captcha()
            return [AllowAny()]
        """
    )
    assert branches is not None and [b.guarded for b in branches] == [True]


def test_functions_record_whether_they_look_at_the_caller(make_project):
    root = make_project(
        {
            "app/__init__.py": "",
            "app/views.py": """
                class V:
                    def get_queryset(self):
                        return Order.objects.filter(owner=self.request.user)

                    def post(self, request):
                        return super().post(request)

                    def put(self, request):
                        return helper(request)
            """,
        }
    )
    methods = build_index(root).classes["app.views.V"].methods
    assert (methods["get_queryset"].uses_request_user, methods["post"].uses_request_user, methods["put"].uses_request_user) == (True, False, True)


def test_permission_classes_written_as_a_property_are_unknown(make_project):
    root = _project(
        make_project,
        """
        from rest_framework import viewsets
        from rest_framework.permissions import AllowAny, IsAdminUser
        from shop.models import Order


        class OrderViewSet(viewsets.ModelViewSet):
            queryset = Order.objects.all()

            @property
            def permission_classes(self):
                return [AllowAny] if self.request.method == "GET" else [IsAdminUser]
        """,
    )
    assert _policy(root, "shop.views.OrderViewSet").permissions.names is UNKNOWN
    assert _findings(root) == []


def test_api_settings_defaults_plus_a_class_are_read(make_project):
    root = _project(
        make_project,
        """
        from rest_framework import generics, permissions
        from rest_framework.settings import api_settings
        from shop.models import Order


        class OrderImportView(generics.CreateAPIView):
            queryset = Order.objects.all()
            permission_classes = api_settings.DEFAULT_PERMISSION_CLASSES + [permissions.AllowAny]
        """,
        SETTINGS_DEFAULT_AUTHENTICATED,
    )
    policy = _policy(root, "shop.views.OrderImportView")
    assert policy.permissions.names == (P + "IsAuthenticated", P + "AllowAny")
    assert _access(policy) == {("POST", None): AUTHENTICATED}  # every class in the list must agree
