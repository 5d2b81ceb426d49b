"""Discovery: the project root, which files belong to the project, their module names and kinds."""

from __future__ import annotations

import pytest

from djvet.index import build_index
from djvet.index.discover import file_kinds, find_root, matches_any


def test_module_names_of_packages_and_plain_files(make_project):
    index = build_index(
        make_project(
            {
                "manage.py": "",
                "shop/__init__.py": "",
                "shop/models.py": "",
                "shop/api/__init__.py": "",
                "shop/api/views.py": "",
                "scripts/seed.py": "",
            }
        )
    )
    assert dict(index.paths) == {
        "manage.py": "manage",
        "shop/__init__.py": "shop",
        "shop/models.py": "shop.models",
        "shop/api/__init__.py": "shop.api",
        "shop/api/views.py": "shop.api.views",
        # a folder without __init__.py is not a package: the file is a top-level module
        "scripts/seed.py": "seed",
    }
    assert index.modules["shop"].is_package
    assert index.modules["shop.api"].is_package
    assert not index.modules["shop.models"].is_package
    assert index.module_for_path("shop/api/views.py") is index.modules["shop.api.views"]
    assert index.module_for_path("nope.py") is None


def test_src_layout(make_project):
    root = make_project(
        {
            "src/shop/__init__.py": "",
            "src/shop/models.py": """
                from django.db import models

                class Product(models.Model):
                    pass
            """,
            "src/shop/views.py": """
                from shop.models import Product
                from rest_framework import generics

                class ProductList(generics.ListAPIView):
                    queryset = Product.objects.all()
            """,
        }
    )
    index = build_index(root)
    assert index.paths["src/shop/models.py"] == "shop.models"
    assert index.models["shop.models.Product"].path == "src/shop/models.py"
    assert index.views["shop.views.ProductList"].queryset.model == "shop.models.Product"


def test_root_that_is_itself_a_package(make_project):
    index = build_index(make_project({"__init__.py": "", "models.py": "", "app/__init__.py": "", "app/urls.py": ""}))
    assert dict(index.paths) == {
        "__init__.py": "project",
        "app/__init__.py": "project.app",
        "app/urls.py": "project.app.urls",
        "models.py": "project.models",
    }


def test_migrations_and_pruned_folders_are_skipped(make_project):
    root = make_project(
        {
            "shop/__init__.py": "",
            "shop/models.py": "",
            "shop/migrations/__init__.py": "",
            "shop/migrations/0001_initial.py": "from django.db import migrations\n",
            "env/pyvenv.cfg": "home = /usr/bin\n",
            "env/lib/python3.11/site-packages/django/__init__.py": "",
            "venvs/x/pyvenv.cfg": "",
            "venvs/x/mod.py": "",
            "node_modules/pkg/build.py": "",
            ".tox/py311/lib/x.py": "",
            ".hidden/module.py": "",
            "shop/.backup.py": "",
            "shop/__pycache__/models.py": "",
        }
    )
    index = build_index(root)
    assert sorted(index.paths) == ["shop/__init__.py", "shop/models.py"]


@pytest.mark.parametrize(
    ("rel", "kinds"),
    [
        ("shop/models.py", {"models"}),
        ("shop/models/__init__.py", {"models"}),
        ("shop/models/book.py", {"models"}),
        ("shop/managers.py", {"models"}),
        ("shop/serializers.py", {"serializers"}),
        ("shop/views.py", {"views"}),
        ("shop/viewsets.py", {"views"}),
        ("shop/api/views.py", {"views"}),
        ("shop/urls.py", {"urls"}),
        ("config/settings.py", {"settings"}),
        ("config/settings/prod.py", {"settings"}),
        ("shop/admin.py", {"admin"}),
        ("shop/tasks.py", {"tasks"}),
        ("shop/forms.py", {"forms"}),
        ("shop/apps.py", {"apps"}),
        ("shop/migrations/0001_initial.py", {"migrations"}),
        ("shop/tests/test_models.py", {"tests"}),
        ("shop/tests.py", {"tests"}),
        ("tests/test_views.py", {"tests"}),
        ("shop/utils.py", set()),
        ("manage.py", set()),
    ],
)
def test_file_kinds(rel, kinds):
    assert file_kinds(rel) == frozenset(kinds)


def test_kinds_recorded_on_modules(make_project):
    files = {"shop/__init__.py": "", "shop/views.py": "", "shop/tests/__init__.py": "", "shop/tests/test_a.py": ""}
    index = build_index(make_project(files))
    assert index.modules["shop.views"].kinds == frozenset({"views"})
    assert index.modules["shop.tests.test_a"].kinds == frozenset({"tests"})
    assert index.modules["shop"].kinds == frozenset()


def test_find_root_is_the_nearest_marker(tmp_path):
    (tmp_path / "pyproject.toml").write_text("")
    app = tmp_path / "sub" / "app"
    app.mkdir(parents=True)
    (tmp_path / "sub" / "manage.py").write_text("")
    (app / "views.py").write_text("")
    assert find_root(app / "views.py") == (tmp_path / "sub").resolve()
    assert find_root(tmp_path) == tmp_path.resolve()


def test_exclude_patterns_match_at_any_depth():
    assert matches_any("shop/migrations/0001_initial.py", ["**/migrations/**"])
    assert matches_any("migrations/0001_initial.py", ["**/migrations/**"])
    assert not matches_any("shop/migrations_helper.py", ["**/migrations/**"])
