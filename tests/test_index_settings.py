"""Settings read statically: split settings, environment reads, in-place changes, conditional
values, and which settings module is in force."""

from __future__ import annotations

from djvet.index import UNKNOWN, build_index
from djvet.index.facts import SettingValue


def _manage_py(settings_module: str) -> str:
    return f"""
        import os
        import sys

        def main():
            os.environ.setdefault("DJANGO_SETTINGS_MODULE", "{settings_module}")
            from django.core.management import execute_from_command_line
            execute_from_command_line(sys.argv)
    """


SPLIT = {
    "manage.py": _manage_py("config.settings.prod"),
    "config/__init__.py": "",
    "config/settings/__init__.py": "",
    "config/settings/base.py": """
        import os

        DEBUG = True
        SECRET_KEY = "dev-only"
        INSTALLED_APPS = [
            "django.contrib.auth",
            "rest_framework",
        ]
        MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]
        REST_FRAMEWORK = {"DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"]}
    """,
    "config/settings/prod.py": """
        from .base import *

        DEBUG = False
        INSTALLED_APPS += ["shop"]
        MIDDLEWARE.insert(0, "django.middleware.security.SecurityMiddleware")
        MIDDLEWARE.append("shop.middleware.Audit")
        REST_FRAMEWORK.update({"PAGE_SIZE": 20})
        ALLOWED_HOSTS = ["shop.example"]
    """,
}


def test_settings_module_from_manage_py_with_split_settings(make_project):
    index = build_index(make_project(SPLIT))
    settings = index.settings
    assert settings is not None
    assert (settings.module, settings.path) == ("config.settings.prod", "config/settings/prod.py")
    assert set(index.settings_modules) == {"config.settings", "config.settings.base", "config.settings.prod"}
    assert settings.values["DEBUG"] == SettingValue(False, "config/settings/prod.py", 3)
    assert settings.values["SECRET_KEY"] == SettingValue("dev-only", "config/settings/base.py", 4)
    assert settings.get("INSTALLED_APPS") == ("django.contrib.auth", "rest_framework", "shop")
    assert settings.values["INSTALLED_APPS"].line == 4
    assert settings.get("MIDDLEWARE") == (
        "django.middleware.security.SecurityMiddleware",
        "django.middleware.common.CommonMiddleware",
        "shop.middleware.Audit",
    )
    assert settings.get("REST_FRAMEWORK") == {
        "DEFAULT_PERMISSION_CLASSES": ("rest_framework.permissions.IsAuthenticated",),
        "PAGE_SIZE": 20,
    }
    assert settings.get("ALLOWED_HOSTS") == ("shop.example",)
    # only upper-case names are settings
    assert "os" not in settings.values
    assert settings.get("NOT_SET") is None
    assert settings.get("NOT_SET", "fallback") == "fallback"
    # the base module on its own is untouched by prod's changes
    base = index.settings_modules["config.settings.base"]
    assert base.get("DEBUG") is True
    assert base.get("INSTALLED_APPS") == ("django.contrib.auth", "rest_framework")


def test_environment_reads(make_project):
    index = build_index(
        make_project(
            {
                "mysite/__init__.py": "",
                "mysite/settings.py": """
                    import os
                    from os import environ, getenv

                    import environ as django_environ
                    from decouple import config

                    env = django_environ.Env()

                    SECRET_KEY = os.environ["SECRET_KEY"]
                    DEBUG = env.bool("DEBUG", default=False)
                    DATABASE_NAME = os.environ.get("DB_NAME", "shop")
                    CACHE_URL = os.getenv("CACHE_URL")
                    TIME_ZONE = getenv("TZ", "UTC")
                    HOSTS = environ.get("HOSTS", "localhost").split(",")
                    SENTRY = config("SENTRY_DSN", default="")
                    SSL = os.environ.get("SSL", "0") == "1"
                    PORT = int(os.environ.get("PORT", "8000"))
                    LANGUAGE_CODE = "en-us"
                """,
            }
        )
    )
    values = index.settings.values
    path = "mysite/settings.py"
    assert values["SECRET_KEY"] == SettingValue(UNKNOWN, path, 9, from_env=True, env_var="SECRET_KEY")
    assert values["SECRET_KEY"].value is UNKNOWN
    assert values["DEBUG"] == SettingValue(False, path, 10, from_env=True, env_var="DEBUG")
    assert values["DATABASE_NAME"] == SettingValue("shop", path, 11, from_env=True, env_var="DB_NAME")
    assert values["CACHE_URL"] == SettingValue(UNKNOWN, path, 12, from_env=True, env_var="CACHE_URL")
    assert values["TIME_ZONE"] == SettingValue("UTC", path, 13, from_env=True, env_var="TZ")
    assert values["SENTRY"] == SettingValue("", path, 15, from_env=True, env_var="SENTRY_DSN")
    # an expression around an environment read: known to come from the environment, value unknown
    for name in ("HOSTS", "SSL", "PORT"):
        assert values[name].from_env, name
        assert values[name].value is UNKNOWN, name
    assert values["LANGUAGE_CODE"] == SettingValue("en-us", path, 18)


def test_unknown_values_are_unknown(make_project):
    index = build_index(
        make_project(
            {
                "mysite/__init__.py": "",
                "mysite/settings.py": """
                    from pathlib import Path
                    from .secrets import load

                    BASE_DIR = Path(__file__).resolve().parent.parent
                    SECRET_KEY = load("key")
                    STATIC_ROOT = BASE_DIR / "static"
                    INSTALLED_APPS = ["shop", *load("apps")]
                    ADMINS = [("ops", load("mail"))]
                    ALLOWED_HOSTS = UNDEFINED_NAME
                    DEBUG = not True
                    INSTALLED_APPS += EXTRA
                """,
            }
        )
    )
    settings = index.settings
    for name in ("BASE_DIR", "SECRET_KEY", "STATIC_ROOT", "INSTALLED_APPS", "ALLOWED_HOSTS", "DEBUG"):
        assert settings.get(name) is UNKNOWN, name
        assert not settings.values[name].from_env, name
    # a list literal keeps what is known and marks the rest
    assert settings.get("ADMINS") == (("ops", UNKNOWN),)


def test_conditional_values(make_project):
    index = build_index(
        make_project(
            {
                "mysite/__init__.py": "",
                "mysite/settings.py": """
                    import sys

                    DEBUG = False
                    INSTALLED_APPS = ["shop"]
                    if "test" in sys.argv:
                        DEBUG = True
                        TEST_RUNNER = "shop.runner.Runner"
                        INSTALLED_APPS += ["tests"]
                    else:
                        DEBUG = False
                    try:
                        from .local import *
                    except ImportError:
                        pass
                    for _app in ["x"]:
                        LOGGING = {}
                """,
            }
        )
    )
    values = index.settings.values
    path = "mysite/settings.py"
    assert values["DEBUG"].value is UNKNOWN and values["DEBUG"].conditional
    assert values["TEST_RUNNER"] == SettingValue("shop.runner.Runner", path, 7, conditional=True)
    assert values["INSTALLED_APPS"].value is UNKNOWN and values["INSTALLED_APPS"].conditional
    assert values["LOGGING"] == SettingValue({}, path, 16, conditional=True)


def test_items_added_to_a_list_under_a_condition_are_the_possible_items(make_project):
    """label-studio: `if INACTIVITY_SESSION_TIMEOUT_ENABLED: MIDDLEWARE.append(...)`. The list is
    unknown, but every item it may hold is known; a later removal forgets them."""
    index = build_index(
        make_project(
            {
                "mysite/__init__.py": "",
                "mysite/settings.py": """
                    import os

                    MIDDLEWARE = ["django.contrib.sessions.middleware.SessionMiddleware"]
                    INSTALLED_APPS = ["shop"]
                    if os.environ.get("TIMEOUT"):
                        MIDDLEWARE.append("shop.middleware.Timeout")
                        INSTALLED_APPS.append("debug_toolbar")
                    MIDDLEWARE.insert(0, "shop.middleware.First")
                    INSTALLED_APPS.remove("shop")
                """,
            }
        )
    )
    values = index.settings.values
    assert values["MIDDLEWARE"].value is UNKNOWN
    assert values["MIDDLEWARE"].possible == (
        "shop.middleware.First",
        "django.contrib.sessions.middleware.SessionMiddleware",
        "shop.middleware.Timeout",
    )
    assert values["INSTALLED_APPS"].value is UNKNOWN and values["INSTALLED_APPS"].possible is None


def test_optional_local_settings_star_import(make_project):
    files = {
        "mysite/__init__.py": "",
        "mysite/settings.py": """
            DEBUG = False
            SECRET_KEY = "x"
            try:
                from .local_settings import *
            except ImportError:
                pass
        """,
    }
    index = build_index(make_project(files))
    # the local module does not exist: the values stand as written
    assert index.settings.values["DEBUG"] == SettingValue(False, "mysite/settings.py", 1)
    files["mysite/local_settings.py"] = """
        DEBUG = True
        SECRET_KEY = "x"
        EXTRA = 1
    """
    index = build_index(make_project(files))
    assert index.settings.module == "mysite.settings"
    values = index.settings.values
    # it may or may not be there when the project runs
    assert values["DEBUG"].value is UNKNOWN and values["DEBUG"].conditional
    assert values["SECRET_KEY"].value == "x"
    assert values["EXTRA"] == SettingValue(1, "mysite/local_settings.py", 3, conditional=True)


def test_settings_import_of_names_from_another_module(make_project):
    index = build_index(
        make_project(
            {
                "mysite/__init__.py": "",
                "mysite/defaults.py": """
                    APPS = ["shop"]
                """,
                "mysite/settings.py": """
                    from mysite.defaults import APPS as BASE_APPS

                    INSTALLED_APPS = BASE_APPS + ["blog"]
                """,
            }
        )
    )
    assert index.settings.get("INSTALLED_APPS") == ("shop", "blog")


def test_settings_chosen_by_config_over_manage_py(make_project):
    root = make_project(SPLIT)
    index = build_index(root, settings_module="config.settings.base")
    assert index.settings.module == "config.settings.base"
    assert build_index(root, settings_module="no.such.module").settings is None


def test_the_only_settings_module_is_chosen(make_project):
    index = build_index(make_project({"shop/__init__.py": "", "shop/settings.py": "DEBUG = True\n"}))
    assert index.settings.module == "shop.settings"
    assert index.settings.get("DEBUG") is True


def test_no_settings_module_is_chosen_when_ambiguous(make_project):
    index = build_index(
        make_project(
            {
                "site_a/__init__.py": "",
                "site_a/settings.py": "DEBUG = True\n",
                "site_b/__init__.py": "",
                "site_b/settings.py": "DEBUG = False\n",
            }
        )
    )
    assert set(index.settings_modules) == {"site_a.settings", "site_b.settings"}
    assert index.settings is None


def test_manage_py_names_a_settings_module_of_any_file_name(make_project):
    index = build_index(
        make_project(
            {
                "manage.py": _manage_py("mysite.conf"),
                "mysite/__init__.py": "",
                "mysite/conf.py": "DEBUG = False\n",
                "other/__init__.py": "",
                "other/settings.py": "DEBUG = True\n",
            }
        )
    )
    assert index.settings.module == "mysite.conf"
    assert index.settings.get("DEBUG") is False


def test_star_import_cycle_in_settings(make_project):
    index = build_index(
        make_project(
            {
                "mysite/__init__.py": "",
                "mysite/settings/__init__.py": "from .a import *\n",
                "mysite/settings/a.py": "from .b import *\nA = 1\n",
                "mysite/settings/b.py": "from .a import *\nB = 2\n",
            }
        )
    )
    assert index.settings_modules["mysite.settings"].get("A") == 1
    assert index.settings_modules["mysite.settings"].get("B") == 2


def test_tuple_assignment_is_unknown_not_unset(make_project):
    index = build_index(
        make_project(
            {
                "mysite/__init__.py": "",
                "mysite/settings.py": """
                    from .secrets import load

                    DEBUG = True
                    SECRET_KEY, DEBUG = load()
                    ALLOWED_HOSTS: list
                """,
            }
        )
    )
    values = index.settings.values
    assert values["SECRET_KEY"].value is UNKNOWN and values["SECRET_KEY"].line == 4
    assert values["DEBUG"].value is UNKNOWN
    # an annotation alone assigns nothing
    assert "ALLOWED_HOSTS" not in values


def test_item_assignment_changes_a_setting(make_project):
    index = build_index(
        make_project(
            {
                "mysite/__init__.py": "",
                "mysite/settings/__init__.py": "",
                "mysite/settings/base.py": """
                    REST_FRAMEWORK = {"DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"]}
                    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3"}}
                    CACHES = {"default": {}}
                    LOGGING = {"version": 1}
                """,
                "mysite/settings/prod.py": """
                    from .base import *

                    REST_FRAMEWORK["DEFAULT_PERMISSION_CLASSES"] = ["rest_framework.permissions.IsAuthenticated"]
                    DATABASES["default"]["CONN_MAX_AGE"] = 60
                    CACHES["default"] = load()
                    LOGGING["handlers"] += ["x"]
                """,
            }
        )
    )
    settings = index.settings_modules["mysite.settings.prod"]
    assert settings.get("REST_FRAMEWORK") == {"DEFAULT_PERMISSION_CLASSES": ("rest_framework.permissions.IsAuthenticated",)}
    assert settings.values["REST_FRAMEWORK"].line == 3
    # deeper changes are not followed: the setting becomes unknown rather than stale
    assert settings.get("DATABASES") is UNKNOWN
    assert settings.get("CACHES") == {"default": UNKNOWN}
    assert settings.get("LOGGING") == {"version": 1, "handlers": UNKNOWN}
    assert index.settings_modules["mysite.settings.base"].get("REST_FRAMEWORK") == {
        "DEFAULT_PERMISSION_CLASSES": ("rest_framework.permissions.AllowAny",)
    }


def test_django_environ_reader(make_project):
    index = build_index(
        make_project(
            {
                "mysite/__init__.py": "",
                "mysite/settings.py": """
                    import environ

                    env = environ.Env()
                    environ.Env.read_env()

                    DEBUG = env.bool("DEBUG", default=False)
                    SECRET_KEY = env("SECRET_KEY")
                    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost"])
                    DATABASES = {"default": env.db("DATABASE_URL")}
                """,
            }
        )
    )
    values = index.settings.values
    path = "mysite/settings.py"
    assert values["DEBUG"] == SettingValue(False, path, 6, from_env=True, env_var="DEBUG")
    assert values["SECRET_KEY"] == SettingValue(UNKNOWN, path, 7, from_env=True, env_var="SECRET_KEY")
    assert values["ALLOWED_HOSTS"] == SettingValue(("localhost",), path, 8, from_env=True, env_var="ALLOWED_HOSTS")
    assert values["DATABASES"].value == {"default": UNKNOWN}
    assert "env" not in values


def test_environment_reader_from_a_star_imported_base(make_project):
    index = build_index(
        make_project(
            {
                "manage.py": _manage_py("mysite.settings.prod"),
                "mysite/__init__.py": "",
                "mysite/settings/__init__.py": "",
                "mysite/settings/base.py": "import environ\nenv = environ.Env()\nDEBUG = True\n",
                "mysite/settings/prod.py": 'from .base import *\nDEBUG = env.bool("DJANGO_DEBUG", default=False)\n',
            }
        )
    )
    assert index.settings.values["DEBUG"] == SettingValue(
        False, "mysite/settings/prod.py", 2, from_env=True, env_var="DJANGO_DEBUG"
    )
