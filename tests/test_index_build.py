"""build_index as a whole: it never raises on odd files, never imports the project, and its facts
pickle (for jobs and the disk cache)."""

from __future__ import annotations

import pickle
import shutil
import sys
import textwrap
import time
from pathlib import Path

import pytest

from djvet.index import UNKNOWN, ProjectIndex, build_index

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "projects"

GOOD_MODELS = """
    from django.db import models

    class Product(models.Model):
        name = models.CharField(max_length=20)
"""


def _write_bytes(root: Path, rel: str, data: bytes) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"class Broken(:\n    pass\n", id="syntax-error"),
        pytest.param(b"X = 1\n\x00\nY = 2\n", id="nul-byte"),
        pytest.param(b"def f(:\n\tif x:\n  return\n", id="bad-indentation"),
        pytest.param(b"# -*- coding: no-such-codec -*-\nX = 1\n", id="unknown-coding"),
        pytest.param(b"X = '\xff\xfe'\n", id="invalid-utf8"),
        pytest.param(b"X = (" * 300 + b"1" + b")" * 300 + b"\n", id="too-nested"),
    ],
)
def test_unparsable_file_is_left_out_and_the_rest_indexed(make_project, data):
    root = make_project({"shop/__init__.py": "", "shop/models.py": GOOD_MODELS})
    _write_bytes(root, "shop/broken.py", data)
    index = build_index(root)
    assert "shop/broken.py" not in index.paths
    assert "shop.broken" not in index.modules
    assert set(index.models) == {"shop.models.Product"}


def test_latin1_coding_cookie_and_bom(make_project):
    root = make_project({"shop/__init__.py": ""})
    _write_bytes(root, "shop/settings.py", "# -*- coding: latin-1 -*-\nSITE_NAME = 'Café'\n".encode("latin-1"))
    _write_bytes(root, "shop/models.py", b"\xef\xbb\xbf" + textwrap.dedent(GOOD_MODELS).encode())
    index = build_index(root)
    assert index.settings.get("SITE_NAME") == "Café"
    assert index.models["shop.models.Product"].line == 4


def test_empty_files(make_project):
    index = build_index(make_project({"shop/__init__.py": "", "shop/models.py": "", "shop/settings.py": "\n\n"}))
    assert set(index.paths) == {"shop/__init__.py", "shop/models.py", "shop/settings.py"}
    assert index.models == {}
    assert index.settings.values == {}


def test_class_naming_itself_or_a_cycle_as_base(make_project):
    index = build_index(
        make_project(
            {
                "shop/__init__.py": "",
                "shop/models.py": """
                    from django.db import models

                    class Loop(Loop):
                        pass

                    class A(B):
                        pass

                    class B(A):
                        name = models.CharField(max_length=10)

                    class Model(models.Model):
                        pass

                    class Product(Model):
                        pass
                """,
                "shop/serializers.py": """
                    from rest_framework import serializers

                    class S(S, serializers.Serializer):
                        class Meta(Meta):
                            fields = "__all__"
                """,
            }
        )
    )
    assert index.mros["shop.models.Loop"] == ("shop.models.Loop",)
    assert index.mros["shop.models.A"][0] == "shop.models.A"
    assert "shop.models.Product" in index.models


def test_import_cycle_between_two_modules(make_project):
    index = build_index(
        make_project(
            {
                "shop/__init__.py": "",
                "shop/a.py": """
                    from shop.b import Thing, Other
                    from django.db import models

                    class Product(models.Model):
                        thing = models.ForeignKey(Thing, on_delete=models.CASCADE)

                    class Special(Other):
                        pass
                """,
                "shop/b.py": """
                    from shop.a import Thing, Product as Other
                """,
            }
        )
    )
    product = index.models["shop.a.Product"]
    assert product.fields["thing"].relation == "fk"
    assert product.fields["thing"].target is None
    # `Other` is Product, re-exported by the other module of the cycle
    assert index.models["shop.a.Special"].bases == ("shop.a.Product",)


def test_star_import_cycle_between_many_modules_is_fast(make_project):
    files = {"pkg/__init__.py": "from .m0 import *\n"}
    for i in range(8):
        stars = "".join(f"from .m{j} import *\n" for j in range(8) if j != i)
        files[f"pkg/m{i}.py"] = stars + f"\nclass C{i}(Missing{i}):\n    pass\n"
    files["pkg/m7.py"] += "\nfrom rest_framework import serializers\n\nclass Found(serializers.Serializer):\n    pass\n"
    files["pkg/use.py"] = "from pkg import *\n\nclass Child(Found):\n    pass\n"
    root = make_project(files)
    start = time.perf_counter()
    index = build_index(root)
    assert time.perf_counter() - start < 5
    assert index.mros["pkg.use.Child"][:2] == ("pkg.use.Child", "pkg.m7.Found")
    assert "pkg.use.Child" in index.serializers


def test_overrides_replace_file_text(make_project):
    root = make_project({"shop/__init__.py": "", "shop/models.py": GOOD_MODELS})
    edited = GOOD_MODELS.replace("name = models.CharField(max_length=20)", "price = models.IntegerField()")
    index = build_index(root, overrides={"shop/models.py": textwrap.dedent(edited)})
    assert list(index.models["shop.models.Product"].fields) == ["price"]
    broken = build_index(root, overrides={"shop/models.py": "class (:\n"})
    assert broken.models == {}


def _explosive_module(name: str, sentinel: Path, body: str) -> str:
    return f'import pathlib; pathlib.Path({str(sentinel)!r}).write_text({name!r})\nraise SystemExit("imported")\n' + textwrap.dedent(body)


def test_never_imports_the_project(tmp_path):
    sentinel = tmp_path / "IMPORTED"
    root = tmp_path / "proj"
    files = {
        "manage.py": 'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "proj.settings")\n',
        "proj/__init__.py": "",
        "proj/settings.py": "DEBUG = False\nINSTALLED_APPS = ['shop']\n",
        "shop/__init__.py": "",
        "shop/apps.py": """
            from django.apps import AppConfig

            class ShopConfig(AppConfig):
                name = "shop"
        """,
        "shop/models.py": GOOD_MODELS,
        "shop/views.py": """
            from rest_framework import viewsets
            from shop.models import Product

            class ProductViewSet(viewsets.ModelViewSet):
                queryset = Product.objects.all()
        """,
        "shop/urls.py": """
            from rest_framework.routers import DefaultRouter
            from shop.views import ProductViewSet

            router = DefaultRouter()
            router.register("products", ProductViewSet)
            urlpatterns = router.urls
        """,
    }
    for rel, body in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_explosive_module(rel, sentinel, body))
    before = set(sys.modules)
    index = build_index(root)
    assert not sentinel.exists()
    assert {m for m in set(sys.modules) - before if m.split(".")[0] in ("shop", "proj", "manage")} == set()
    assert index.settings.module == "proj.settings"
    assert index.settings.get("DEBUG") is False
    assert set(index.models) == {"shop.models.Product"}
    assert index.views["shop.views.ProductViewSet"].queryset.model == "shop.models.Product"
    assert [(r.kind, r.pattern, r.view) for r in index.routes] == [
        ("router", "products", "shop.views.ProductViewSet"),
        ("include", None, None),
    ]


def test_explosive_fixture_project(tmp_path):
    root = tmp_path / "explosive"
    shutil.copytree(FIXTURES / "explosive", root)
    index = build_index(root)
    assert list(root.rglob("IMPORTED")) == []
    assert index.settings.module == "explosive.settings"
    assert index.settings.values["SECRET_KEY"].from_env
    assert index.settings.get("SECRET_KEY") is UNKNOWN
    assert index.settings.get("REST_FRAMEWORK") == {
        "DEFAULT_PERMISSION_CLASSES": ("rest_framework.permissions.IsAuthenticated",)
    }
    assert list(index.models["boom.models.Detonator"].fields) == ["label", "armed"]
    serializer = index.serializers["boom.serializers.DetonatorSerializer"]
    assert (serializer.model, serializer.fields) == ("boom.models.Detonator", "__all__")
    view = index.views["boom.views.DetonatorViewSet"]
    assert (view.kind, view.serializer_class) == ("drf-viewset", "boom.serializers.DetonatorSerializer")
    assert [(r.module, r.kind, r.pattern, r.view, r.include) for r in index.routes] == [
        ("boom.urls", "router", "detonators", "boom.views.DetonatorViewSet", "boom.urls:router"),
        ("boom.urls", "include", "", None, "boom.urls:router"),
        ("explosive.urls", "include", "api/", None, "boom.urls"),
    ]


PICKLED = {
    "manage.py": 'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "conf.settings")\n',
    "conf/__init__.py": "",
    "conf/settings.py": """
        import os
        import environ
        ENV = environ.Env()
        SECRET_KEY = os.environ["SECRET_KEY"]
        DEBUG = os.environ.get("DEBUG", "0") == "1"
        INSTALLED_APPS = ["shop"]
    """,
    "shop/__init__.py": "",
    "shop/models.py": """
        from django.db import models

        class Product(models.Model):
            name = models.CharField(max_length=20)
            parent = models.ForeignKey("self", null=True, on_delete=models.CASCADE)
    """,
    "shop/serializers.py": """
        from rest_framework import serializers
        from shop.models import Product
        from shop.constants import FIELDS

        class ProductSerializer(serializers.ModelSerializer):
            class Meta:
                model = Product
                fields = FIELDS
    """,
    "shop/views.py": """
        from rest_framework import viewsets
        from shop.models import Product
        from shop.serializers import ProductSerializer

        class ProductViewSet(viewsets.ModelViewSet):
            queryset = Product.objects.select_related("parent")
            serializer_class = ProductSerializer
            permission_classes = compute()
    """,
    "shop/urls.py": """
        from rest_framework.routers import DefaultRouter
        from shop.views import ProductViewSet

        router = DefaultRouter()
        router.register("products", ProductViewSet)
        urlpatterns = router.urls
    """,
}


@pytest.mark.parametrize("protocol", [2, pickle.DEFAULT_PROTOCOL, pickle.HIGHEST_PROTOCOL])
def test_index_pickles_and_unknown_stays_the_singleton(make_project, protocol):
    index = build_index(make_project(PICKLED))
    restored = pickle.loads(pickle.dumps(index, protocol=protocol))
    assert isinstance(restored, ProjectIndex)
    assert restored == index
    assert restored.settings.get("SECRET_KEY") is UNKNOWN
    assert restored.settings.get("DEBUG") is UNKNOWN
    assert restored.settings.get("ENV") is UNKNOWN
    assert restored.serializers["shop.serializers.ProductSerializer"].fields is UNKNOWN
    assert restored.views["shop.views.ProductViewSet"].permission_classes is UNKNOWN
    assert pickle.loads(pickle.dumps(UNKNOWN, protocol=protocol)) is UNKNOWN
    assert restored.models["shop.models.Product"].reverse["product_set"].name == "parent"


def test_very_deep_class_hierarchy_does_not_overflow(make_project):
    # each class names the next one as its base, so the first MRO asked for is the deepest
    body = "from django.db import models\n"
    body += "".join(f"class C{i}(C{i + 1}):\n    pass\n" for i in range(1500))
    body += "class C1500(models.Model):\n    pass\n"
    index = build_index(make_project({"pkg/__init__.py": "", "pkg/models.py": body}))
    assert index.mros["pkg.models.C0"][:2] == ("pkg.models.C0", "pkg.models.C1")
    assert "pkg.models.C1499" in index.models


def test_unreadable_and_oversized_files_are_left_out(make_project):
    root = make_project({"shop/__init__.py": "", "shop/models.py": GOOD_MODELS})
    (root / "shop" / "dangling.py").symlink_to(root / "missing.py")
    _write_bytes(root, "shop/huge.py", b"X = 1\n" * 400_000)
    index = build_index(root)
    assert sorted(index.paths) == ["shop/__init__.py", "shop/models.py"]


def test_a_package_holding_manage_py_is_a_source_root(make_project) -> None:
    """label-studio's layout: manage.py inside a package; apps import each other without the prefix."""
    root = make_project(
        {
            "site/__init__.py": "",
            "site/manage.py": "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'core.settings')\n",
            "site/core/__init__.py": "",
            "site/core/settings.py": "AUTH_USER_MODEL = 'users.User'\n",
            "site/users/__init__.py": "",
            "site/users/models.py": "from django.contrib.auth.models import AbstractUser\nclass User(AbstractUser):\n    pass\n",
            "site/tasks/__init__.py": "",
            "site/tasks/models.py": (
                "from django.db import models\nfrom users.models import User\n"
                "class Task(models.Model):\n    owner = models.ForeignKey(User, on_delete=models.CASCADE)\n"
            ),
        }
    )
    index = build_index(root)
    assert index.source_roots == ("site",)
    assert index.settings is not None and index.settings.module == "site.core.settings"
    assert index.models["site.tasks.models.Task"].fields["owner"].target == "site.users.models.User"


def test_the_rules_resolve_with_the_resolver_the_index_was_linked_with(make_project, monkeypatch):
    """Name lookups are a function of the modules alone: the linking step, index_resolver and the
    policy book share one Resolver, and each (module, name) is resolved once."""
    from djvet.index.policy import policy_resolver
    from djvet.index.querysets import index_resolver
    from djvet.index.resolve import Resolver, resolver_for

    index = build_index(
        make_project(
            {
                "shop/__init__.py": "",
                "shop/models.py": "from django.db import models\n\nclass Book(models.Model):\n    pass\n",
                "shop/views.py": "from shop import models as m\n",
            }
        )
    )
    resolver = index_resolver(index)
    assert resolver is policy_resolver(index) is resolver_for(index.modules, index.source_roots)
    assert resolver.classes is index.classes
    assert resolver._mro["shop.models.Book"] == index.mros["shop.models.Book"]  # computed while linking
    assert resolver.resolve("shop.views", "m.Book") == resolver.canonical("shop.views.m.Book") == "shop.models.Book"
    with monkeypatch.context() as patched:
        patched.setattr(Resolver, "_resolve", lambda *a: pytest.fail("resolved twice"))
        patched.setattr(Resolver, "_follow", lambda *a: pytest.fail("followed twice"))
        assert resolver.resolve("shop.views", "m.Book") == resolver.canonical("shop.views.m.Book") == "shop.models.Book"
    # another mapping of modules (another index) gets its own
    other = build_index(Path(index.root))
    assert index_resolver(other) is not resolver and index_resolver(other).modules is other.modules
