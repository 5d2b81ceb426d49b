"""Settings and deployment rules (DJV5xx): which settings module is judged, what an absent or
environment-read setting means, and the lower severity of insecure defaults."""

from __future__ import annotations

import json
from pathlib import Path

import astroid
import pytest

from djvet.catalog import default_catalog
from djvet.cli import main
from djvet.engine import Dispatcher, ModuleContext
from djvet.index.build import build_index
from djvet.index.deployment import find_deployment, role_by_name
from djvet.rule import Hit, Rule
from djvet.runner import check_paths

SECURE_MIDDLEWARE = repr(
    [
        "django.middleware.security.SecurityMiddleware",
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.middleware.clickjacking.XFrameOptionsMiddleware",
    ]
)


def found(root: Path, select: str = "DJV5", **options: object) -> list[tuple[str, int, str, str]]:
    """(path relative to the root, line, code, severity) of the DJV5xx findings."""
    report = check_paths([root], {"select": [select], **options})
    assert [e.message for e in report.errors] == []
    return [(Path(f.path).resolve().relative_to(root.resolve()).as_posix(), f.line, f.code, f.severity) for f in report.findings]


def split_settings(make_project, production: str = "") -> Path:
    return make_project(
        {
            "manage.py": 'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings.dev")\n',
            "mysite/__init__.py": "",
            "mysite/wsgi.py": 'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings.production")\n',
            "mysite/settings/__init__.py": "",
            "mysite/settings/base.py": f"""
                INSTALLED_APPS = ["django.contrib.sessions", "shop"]
                ROOT_URLCONF = "mysite.urls"
                MIDDLEWARE = {SECURE_MIDDLEWARE}
                DEBUG = True
                SECRET_KEY = "a-key-committed-to-the-repository"
                ALLOWED_HOSTS = ["*"]
            """,
            "mysite/settings/dev.py": """
                from .base import *

                DEBUG = True
                PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
            """,
            "mysite/settings/production.py": '"""Production."""\nfrom .base import *\n\nDEBUG = False\n' + production,
        }
    )


def test_production_module_judges_what_it_inherits_and_what_it_leaves_out(make_project):
    root = split_settings(make_project, 'ALLOWED_HOSTS = ["shop.example.com"]\n')
    # DEBUG = True of base.py is overridden in production; dev.py is never judged; the key comes
    # from base.py; the cookie and HTTPS settings production leaves out are Django's defaults
    assert found(root) == [
        ("mysite/settings/base.py", 5, "DJV502", "error"),
        ("mysite/settings/production.py", 1, "DJV504", "warning"),
        ("mysite/settings/production.py", 1, "DJV504", "warning"),
        ("mysite/settings/production.py", 1, "DJV505", "warning"),
        ("mysite/settings/production.py", 1, "DJV505", "warning"),
    ]


def test_settings_option_picks_the_judged_module(make_project):
    root = split_settings(make_project)
    findings = found(root, select="DJV501", settings_module="mysite.settings.dev")
    assert findings == [("mysite/settings/dev.py", 3, "DJV501", "error")]


def test_without_a_production_module_dev_and_test_settings_are_skipped(make_project):
    root = make_project(
        {
            "mysite/__init__.py": "",
            "mysite/settings.py": """
                import os
                INSTALLED_APPS = ["shop"]
                ROOT_URLCONF = "mysite.urls"
                DEBUG = os.environ.get("DEBUG") == "1"
            """,
            "mysite/settings_test.py": """
                from mysite.settings import *
                DEBUG = True
                PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
            """,
            "mysite/test/settings.py": """
                INSTALLED_APPS = ["shop"]
                ROOT_URLCONF = "mysite.urls"
                DEBUG = True
            """,
        }
    )
    assert found(root) == []


def test_module_with_settings_djvet_cannot_see_has_no_absent_settings(make_project):
    root = make_project(
        {
            "mysite/__init__.py": "",
            "mysite/settings.py": f"""
                from configuration import *  # not in the project
                INSTALLED_APPS = ["django.contrib.sessions", "shop"]
                ROOT_URLCONF = "mysite.urls"
                MIDDLEWARE = {SECURE_MIDDLEWARE}
                SESSION_COOKIE_SECURE = False
            """,
        }
    )
    # the written value is still judged; SECURE_SSL_REDIRECT and HSTS might come from configuration
    assert found(root) == [("mysite/settings.py", 5, "DJV504", "warning")]


@pytest.mark.parametrize(
    ("line", "severity"),
    [
        ("DEBUG = True", "error"),
        ('DEBUG = env.bool("DJANGO_DEBUG", default=True)', "warning"),
        ('DEBUG = os.environ.get("DJANGO_DEBUG", True)', "warning"),
        ('DEBUG = get_bool_from_env("DJANGO_DEBUG", True)', "warning"),
    ],
)
def test_an_insecure_default_of_an_environment_read_is_one_severity_lower(make_project, line, severity):
    root = make_project(
        {
            "mysite/__init__.py": "",
            "mysite/settings.py": f"""
                import os
                import environ

                env = environ.Env()

                def get_bool_from_env(name, default_value):
                    return os.environ.get(name, str(default_value)) == "True"

                INSTALLED_APPS = ["shop"]
                ROOT_URLCONF = "mysite.urls"
                {line}
            """,
        }
    )
    assert found(root) == [("mysite/settings.py", 11, "DJV501", severity)]


def test_environment_read_without_default_is_not_a_finding(make_project):
    root = make_project(
        {
            "mysite/__init__.py": "",
            "mysite/settings.py": """
                import os
                INSTALLED_APPS = ["shop"]
                ROOT_URLCONF = "mysite.urls"
                DEBUG = os.environ["DJANGO_DEBUG"]
                SECRET_KEY = os.environ.get("SECRET_KEY")
                ALLOWED_HOSTS = os.environ.get("HOSTS", "*").split(",")
            """,
        }
    )
    assert found(root) == []


def test_lowered_severity_is_in_the_json_output_and_decides_the_exit_code(make_project, capsys, monkeypatch):
    root = make_project(
        {
            "mysite/__init__.py": "",
            "mysite/settings.py": """
                import os
                INSTALLED_APPS = ["shop"]
                ROOT_URLCONF = "mysite.urls"
                ALLOWED_HOSTS = os.environ.get("HOSTS", ["*"])
            """,
        }
    )
    monkeypatch.chdir(root)
    assert main(["check", ".", "--select", "DJV503", "--format", "json", "--no-cache"]) == 0  # info < warning
    finding = json.loads(capsys.readouterr().out)["findings"][0]
    assert (finding["code"], finding["line"], finding["severity"]) == ("DJV503", 4, "info")
    assert main(["check", ".", "--select", "DJV503", "--fail-on", "info", "--no-cache"]) == 1


def test_a_rule_giving_an_unknown_severity_is_an_internal_error_not_a_finding(tmp_path):
    class LoudRule(Rule):
        def check_module(self, node, ctx):
            yield Hit(node.body[0], severity="critical")

    text = "DEBUG = True\n"
    ctx = ModuleContext(path="x.py", relpath="x.py", module="x", text=text, index=None)  # type: ignore[arg-type]
    findings, errors = Dispatcher([LoudRule(default_catalog()["DJV501"])]).run(astroid.parse(text, "x"), ctx, "x.py")
    assert findings == []
    assert [e.message for e in errors] == [
        "internal error in DJV501 (debug-true) at module: ValueError: severity 'critical': expected one of error, warning, info"
    ]


def test_project_middleware_that_rejects_unknown_hosts_covers_a_wildcard(make_project):
    files = {
        "mysite/__init__.py": "",
        "mysite/middleware.py": """
            from django.core.exceptions import DisallowedHost

            class KnownDomainsMiddleware:
                def __call__(self, request):
                    raise DisallowedHost(request.get_host())
        """,
        "mysite/settings.py": """
            INSTALLED_APPS = ["shop"]
            ROOT_URLCONF = "mysite.urls"
            ALLOWED_HOSTS = ["*"]
            MIDDLEWARE = ["mysite.middleware.KnownDomainsMiddleware"]
        """,
    }
    root = make_project(files)
    assert found(root, select="DJV503") == []
    (root / "mysite" / "middleware.py").write_text("class KnownDomainsMiddleware:\n    pass\n")
    assert found(root, select="DJV503") == [("mysite/settings.py", 3, "DJV503", "warning")]


def test_conditionally_appended_middleware_still_holds_what_it_listed(make_project):
    root = make_project(
        {
            "mysite/__init__.py": "",
            "mysite/settings.py": """
                import os
                INSTALLED_APPS = ["shop"]
                ROOT_URLCONF = "mysite.urls"
                MIDDLEWARE = ["django.middleware.security.SecurityMiddleware"]
                if os.environ.get("PROFILE"):
                    MIDDLEWARE.insert(0, "profiling.Middleware")
                SECURE_SSL_REDIRECT = False
                SECURE_HSTS_SECONDS = 3600
                SECURE_HSTS_INCLUDE_SUBDOMAINS = True
                SECURE_HSTS_PRELOAD = True
            """,
        }
    )
    # SecurityMiddleware is there whatever the condition; whether XFrameOptions is, djvet cannot say
    assert found(root, select="DJV5") == [("mysite/settings.py", 7, "DJV505", "warning")]


def test_drf_pagination_names_only_unpaginated_list_views(make_project):
    files = {
        "mysite/__init__.py": "",
        "mysite/settings.py": """
            INSTALLED_APPS = ["rest_framework", "shop"]
            ROOT_URLCONF = "mysite.urls"
            REST_FRAMEWORK = {}
        """,
        "shop/__init__.py": "",
        "shop/views.py": """
            from rest_framework import generics, pagination, viewsets

            class Paged(generics.ListAPIView):
                pagination_class = pagination.CursorPagination

            class OwnList(viewsets.ReadOnlyModelViewSet):
                def list(self, request):
                    return None
        """,
    }
    root = make_project(files)
    assert found(root, select="DJV509") == []
    with (root / "shop" / "views.py").open("a", encoding="utf-8") as views:
        views.write("\nclass Unpaged(generics.ListAPIView):\n    pass\n")
    report = check_paths([root], {"select": ["DJV509"]})
    assert [f.message for f in report.findings] == [
        "`REST_FRAMEWORK` of `mysite.settings` sets no `DEFAULT_PAGINATION_CLASS` and list endpoints `Unpaged` set no `pagination_class`"
    ]


def test_login_endpoint_with_axes_installed_is_not_reported(make_project):
    files = {
        "mysite/__init__.py": "",
        "mysite/settings.py": """
            INSTALLED_APPS = ["rest_framework", "axes", "shop"]
            ROOT_URLCONF = "mysite.urls"
            REST_FRAMEWORK = {"DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination"}
        """,
        "mysite/urls.py": """
            from django.urls import path
            from rest_framework_simplejwt.views import TokenObtainPairView

            urlpatterns = [path("token/", TokenObtainPairView.as_view())]
        """,
    }
    root = make_project(files)
    assert found(root, select="DJV510") == []
    settings = root / "mysite" / "settings.py"
    settings.write_text(settings.read_text().replace('"axes", ', ""))
    assert found(root, select="DJV510") == [("mysite/settings.py", 3, "DJV510", "warning")]


@pytest.mark.parametrize(
    ("module", "role"),
    [
        ("mysite.settings.production", "production"),
        ("mysite.settings_prod", "production"),
        ("config.settings.staging", "production"),
        ("mysite.settings.local", "development"),
        ("saleor.demo.settings", "development"),
        ("wagtail.test.settings", "test"),
        ("pretix.testutils.settings", "test"),
        ("weblate.settings_test", "test"),
        ("mysite.settings.base", "base"),
        ("mysite.settings", None),
        ("weblate.settings_docker", None),
    ],
)
def test_role_by_name(module, role):
    assert role_by_name(module) == role


def test_app_settings_of_constants_is_not_a_settings_module(make_project):
    root = make_project(
        {
            "mysite/__init__.py": "",
            "mysite/settings.py": 'INSTALLED_APPS = ["shop"]\nROOT_URLCONF = "mysite.urls"\nDEBUG = True\n',
            "shop/__init__.py": "",
            "shop/settings.py": "DEBUG = True\nPAGE_SIZE = 10\n",
        }
    )
    targets = find_deployment(build_index(root)).targets
    assert [t.fact.module for t in targets] == ["mysite.settings"]
    assert found(root) == [("mysite/settings.py", 3, "DJV501", "error")]
