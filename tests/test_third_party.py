"""djvet's cost and findings do not depend on what is installed: its astroid trees are built
without following imports out of the project (issue 7: Django on the path made runs 3x slower)."""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from astroid.manager import AstroidManager

from djvet.astro.build import build_module
from djvet.index.build import build_index

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "projects"
SRC = Path(__file__).resolve().parents[1] / "src"
THIRD_PARTY = ("django", "rest_framework")

RUN = """
import contextlib, io, json, runpy, sys
sys.argv = ["djvet", "check", ".", "--format", "json", "--no-timing", "--no-cache", "--fail-on", "never"]
out = io.StringIO()
with contextlib.redirect_stdout(out):
    try:
        runpy.run_module("djvet", run_name="__main__")
    except SystemExit:
        pass
from astroid.manager import AstroidManager
built = sorted(m for m in AstroidManager().astroid_cache if m.split(".")[0] in ("django", "rest_framework"))
print(json.dumps({"built": built, "imported": sorted(m for m in sys.modules if m.split(".")[0] in ("django", "rest_framework")), "out": out.getvalue()}))
"""


def fake_site(project: Path, site: Path) -> list[str]:
    """Stand-ins for every Django and DRF module the project imports (and every name it imports
    from them, as a submodule), each a package whose code astroid can build and Python could not
    import (so neither djvet nor astroid may execute it)."""
    modules: set[str] = set()
    for path in project.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in THIRD_PARTY:
                modules.add(node.module)
                modules.update(f"{node.module}.{a.name}" for a in node.names if a.name != "*")
            elif isinstance(node, ast.Import):
                modules.update(a.name for a in node.names if a.name.split(".")[0] in THIRD_PARTY)
    for name in sorted(modules):
        parts = name.split(".")
        for cut in range(1, len(parts) + 1):
            init = site.joinpath(*parts[:cut], "__init__.py")
            init.parent.mkdir(parents=True, exist_ok=True)
            init.write_text('raise ImportError("a fake package: never import it")\n\nclass Model:\n    pass\n', encoding="utf-8")
    return sorted(modules)


def run(project: Path, *path: Path) -> dict:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(map(str, (SRC, *path))))
    done = subprocess.run([sys.executable, "-c", RUN], cwd=project, env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def test_installed_django_and_drf_are_never_built_and_change_no_finding(tmp_path):
    project = tmp_path / "bookshop"
    shutil.copytree(FIXTURES / "bookshop", project, ignore=shutil.ignore_patterns(".djvet_cache", "__pycache__"))
    site = tmp_path / "site"
    modules = fake_site(project, site)
    assert "django.db.models" in modules and "rest_framework.serializers" in modules
    # the stand-ins are where astroid looks: its own import machinery finds and builds them
    probe = subprocess.run(
        [sys.executable, "-c", "from astroid.manager import AstroidManager; print(AstroidManager().ast_from_module_name('django.db.models').name)"],
        env=dict(os.environ, PYTHONPATH=str(site)), capture_output=True, text=True, check=True,
    )
    assert probe.stdout.strip() == "django.db.models"

    alone = run(project)
    installed = run(project, site)
    assert installed["built"] == [] and installed["imported"] == []
    assert installed["out"] == alone["out"]
    assert json.loads(alone["out"])["summary"]["findings"] == 38


def _index(tmp_path: Path, files: dict[str, str]):  # type: ignore[no-untyped-def]
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text, encoding="utf-8")
    return build_index(tmp_path)


def test_star_imports_bind_project_names_only(tmp_path):
    index = _index(tmp_path, {
        "shop/__init__.py": "",
        "shop/base.py": "from .more import *\nTEMPLATE = 'a.html'\n_hidden = 1\n\ndef helper():\n    pass\n",
        "shop/more.py": "from .views import *\nEXTRA = 2\n",  # a cycle back to views
        "shop/views.py": "from .base import *\nfrom os.path import *\nfrom django.db.models import *\nOWN = 3\n",
    })
    text = (tmp_path / "shop/views.py").read_text(encoding="utf-8")
    tree = build_module(text, "shop.views", str(tmp_path / "shop/views.py"), index)
    bound = {name: [n.lineno for n in nodes] for name, nodes in tree.locals.items()}
    # as astroid binds them: base's names and, through the cycle, what views held when base was built
    assert bound == {"OWN": [1, 4], "TEMPLATE": [1], "helper": [1], "EXTRA": [1]}
    assert "join" not in tree.locals  # os.path is not the project's: binds nothing, installed or not
    assert not {"shop.views", "shop.base", "shop.more"} & set(AstroidManager().astroid_cache)


@pytest.mark.parametrize("source", ["from .... import *\n", "from .broken import *\n"])
def test_a_star_import_that_cannot_be_resolved_binds_nothing(tmp_path, source):
    index = _index(tmp_path, {"shop/__init__.py": "", "shop/broken.py": "def (:\n", "shop/views.py": source})
    tree = build_module(source, "shop.views", str(tmp_path / "shop/views.py"), index)
    assert sorted(tree.locals) == []


def test_the_catalog_comes_from_the_cache_only_for_the_same_yaml_and_code(tmp_path, monkeypatch):
    from djvet import catalog, runner
    from djvet.cache import Cache

    parsed = catalog.load_catalog()
    calls: list[int] = []

    def counting_load(directory=None):  # type: ignore[no-untyped-def]
        calls.append(1)
        return parsed

    monkeypatch.setattr(catalog, "load_catalog", counting_load)
    cache = Cache.open(tmp_path)
    assert cache is not None
    for fingerprint, parses in [("yaml-1", 1), ("yaml-1", 0), ("yaml-2", 1), ("yaml-2", 0)]:
        monkeypatch.setattr(catalog, "_LOADED", [])
        monkeypatch.setattr(runner, "catalog_fingerprint", lambda f=fingerprint: f)
        calls.clear()
        assert catalog.cached_catalog(cache) == parsed
        assert len(calls) == parses, fingerprint
    # a corrupt entry is a miss: parsed again, never trusted
    for entry in (tmp_path / ".djvet_cache").glob("catalog-*.pickle"):
        entry.write_bytes(entry.read_bytes()[:-20])
    monkeypatch.setattr(catalog, "_LOADED", [])
    calls.clear()
    assert catalog.cached_catalog(cache) == parsed and calls == [1]


def test_a_star_import_makes_the_importer_depend_on_the_imported_text_every_time(tmp_path):
    """The memo of star-imported modules replays their reads, so a cached file that star-imports
    a changed module is checked again (the second build is answered from the memo)."""
    from djvet.index.deps import Recording, track

    index = _index(tmp_path, {
        "shop/__init__.py": "",
        "shop/base.py": "from .more import *\nTEMPLATE = 'a.html'\n",
        "shop/more.py": "EXTRA = 2\n",
        "shop/views.py": "from .base import *\n",
        "shop/admin.py": "from .base import *\n",
    })
    for module in ("shop.views", "shop.admin"):
        text = (tmp_path / (module.replace(".", "/") + ".py")).read_text(encoding="utf-8")
        with Recording() as reads:
            tree = build_module(text, module, str(tmp_path / "x.py"), track(index))
        assert sorted(tree.locals) == ["EXTRA", "TEMPLATE"]
        assert {("text", "shop.base"), ("text", "shop.more")} <= reads, module
