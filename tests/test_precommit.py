"""The `djvet` hook of .pre-commit-hooks.yaml, run by the real pre-commit against a git repository.

pre-commit passes only the staged files; the hook must still see the whole project index. The
proof: a serializer whose `Meta` inherits `fields = "__all__"` from a base serializer in another
app is reported (DJV301 on its `class Meta(...)` line) although the base's file is not passed,
and the base's own finding is not reported, because that file was not passed.

The djvet checkout is snapshotted into a temporary git repository (the working tree as it would
be committed: tracked and untracked files, minus ignored ones) and handed to pre-commit as
`repo: <snapshot>` / `rev: <its commit>`. Neither `pre-commit try-repo <checkout>` nor
`repo: <checkout>` / `rev: HEAD` works here: both see only committed work (try-repo adds staged
and modified tracked files, never untracked ones), so a new hook file or module under
development would be missing or stale.

pre-commit pip-installs the snapshot and its dependencies from the package index into its own
virtualenv under a temporary PRE_COMMIT_HOME, once per module (shared by both cases).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path

import pytest
import yaml

from djvet.catalog import default_catalog
from djvet.runner import check_paths

REPO = Path(__file__).resolve().parents[1]
GIT = shutil.which("git")
PRE_COMMIT = shutil.which("pre-commit")

needs_tools = pytest.mark.skipif(
    GIT is None or PRE_COMMIT is None,
    reason="needs `git` and `pre-commit` on PATH (pre-commit is in djvet's `test` extra)",
)

FINDING_RE = re.compile(r"^(?P<path>[^\s:][^:]*):(?P<line>\d+):(?P<col>\d+): (?P<code>DJV\d{3}) (?P<message>.*)$")
# Installing djvet and its dependencies from the package index dominates the first run.
TIMEOUT = 900

MANAGE_PY = """\
#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
"""

PYPROJECT = """\
[project]
name = "shop"
version = "0"

[tool.djvet]
fail-on = "warning"
"""

CATALOG_MODELS = """\
from django.db import models


class Product(models.Model):
    name = models.CharField(max_length=200)
    cost_price = models.DecimalField(max_digits=8, decimal_places=2)
"""

# Would fire DJV301 on line 9 if this file were checked: it is never passed to the hook.
CATALOG_SERIALIZERS = """\
from rest_framework import serializers

from catalog.models import Product


class BaseSerializer(serializers.ModelSerializer):
    class Meta:
        model = Product
        fields = "__all__"
"""

ORDERS_MODELS = """\
from django.db import models


class Order(models.Model):
    total = models.DecimalField(max_digits=8, decimal_places=2)
    internal_note = models.TextField(blank=True)
"""

# `fields = "__all__"` comes from catalog/serializers.py: only the project index knows it.
ORDERS_SERIALIZERS = """\
from catalog.serializers import BaseSerializer
from orders.models import Order


class OrderSerializer(BaseSerializer):
    class Meta(BaseSerializer.Meta):
        model = Order
"""

# A migration holding a pattern DJV301 reports anywhere else (see test_migration_control).
MIGRATION = """\
from django.db import migrations, models
from rest_framework import serializers


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [
        migrations.CreateModel(
            name="Order",
            fields=[("id", models.BigAutoField(primary_key=True, serialize=False))],
        ),
    ]


class FrozenOrderSerializer(serializers.ModelSerializer):
    class Meta:
        model = models.Model
        fields = "__all__"
"""

PROJECT = {
    "manage.py": MANAGE_PY,
    "pyproject.toml": PYPROJECT,
    "catalog/__init__.py": "",
    "catalog/models.py": CATALOG_MODELS,
    "catalog/serializers.py": CATALOG_SERIALIZERS,
    "orders/__init__.py": "",
    "orders/models.py": ORDERS_MODELS,
    "orders/serializers.py": ORDERS_SERIALIZERS,
    "orders/migrations/__init__.py": "",
}


def clean_env(pre_commit_home: Path | None = None) -> dict[str, str]:
    """The caller's environment without what would leak into the temporary repositories: GIT_*
    (set when pytest itself runs from a git hook), the user's global and system git config
    (signing, hooks paths, templates), and pre-commit's own variables (SKIP could skip the hook).
    Package index settings (PIP_*) stay, so a mirror configured by the user still applies."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PRE_COMMIT")) and k != "SKIP"}
    env["GIT_CONFIG_GLOBAL"] = os.devnull
    env["GIT_CONFIG_NOSYSTEM"] = "1"
    env["GIT_TERMINAL_PROMPT"] = "0"
    if pre_commit_home is not None:
        env["PRE_COMMIT_HOME"] = str(pre_commit_home)
    return env


def run(args: list[str], cwd: Path, env: Mapping[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args,
        cwd=cwd,
        env=dict(env) if env is not None else clean_env(),
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        timeout=timeout,
    )


def git(cwd: Path, *args: str) -> str:
    result = run([GIT, *args], cwd)  # type: ignore[list-item]
    assert result.returncode == 0, f"git {' '.join(args)} failed in {cwd}:\n{result.stdout}{result.stderr}"
    return result.stdout


def init_repo(path: Path) -> None:
    git(path, "init", "-q")
    git(path, "config", "user.name", "djvet tests")
    git(path, "config", "user.email", "djvet-tests@example.invalid")
    git(path, "config", "commit.gpgsign", "false")
    git(path, "config", "core.autocrlf", "false")


def commit_all(path: Path, message: str) -> str:
    git(path, "add", "-A")
    git(path, "commit", "-q", "--no-verify", "-m", message)
    return git(path, "rev-parse", "HEAD").strip()


def checkout_files(root: Path) -> list[str]:
    """The djvet checkout's files as they would be committed: tracked and untracked, not ignored."""
    # The caller's own environment: the checkout may rely on the user's git config (safe.directory).
    inside = subprocess.run([GIT, "rev-parse", "--is-inside-work-tree"], cwd=root, capture_output=True, text=True)  # type: ignore[list-item]
    if inside.returncode != 0 or inside.stdout.strip() != "true":
        # Not a git checkout (an unpacked sdist, say): everything but caches and build output.
        skip = {".git", "__pycache__", ".pytest_cache", ".djvet_cache", "build", "dist", ".venv", ".tox"}
        return sorted(
            p.relative_to(root).as_posix()
            for p in root.rglob("*")
            if p.is_file() and not skip & set(p.relative_to(root).parts) and not p.name.endswith(".egg-info")
        )
    listed = subprocess.run(
        [GIT, "ls-files", "-z", "--cached", "--others", "--exclude-standard"],  # type: ignore[list-item]
        cwd=root,
        capture_output=True,
        check=True,
    ).stdout.decode("utf-8")
    return sorted(name for name in set(listed.split("\0")) if name and (root / name).is_file())  # deleted files drop out


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A committed snapshot of the djvet checkout: (path, commit) for `repo:` and `rev:`."""
    assert (REPO / ".pre-commit-hooks.yaml").is_file(), f"{REPO}: no .pre-commit-hooks.yaml"
    snapshot = tmp_path_factory.mktemp("djvet-hook-repo")
    for name in checkout_files(REPO):
        target = snapshot / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, target)
    init_repo(snapshot)
    return snapshot, commit_all(snapshot, "djvet snapshot")


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """pre-commit's cache (cloned hook repos and their virtualenvs), private to this module."""
    return tmp_path_factory.mktemp("pre-commit-home")


def make_project(path: Path, hook_repo: tuple[Path, str]) -> Path:
    """The Django project as a git repository, everything committed, config included (pre-commit
    refuses to run with an unstaged config)."""
    repo, rev = hook_repo
    for name, text in PROJECT.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(text, encoding="utf-8", newline="\n")
    # JSON strings are YAML strings: a Windows path's backslashes survive.
    (path / ".pre-commit-config.yaml").write_text(
        "repos:\n"
        f"  - repo: {json.dumps(repo.as_posix())}\n"
        f"    rev: {json.dumps(rev)}\n"
        "    hooks:\n"
        "      - id: djvet\n",
        encoding="utf-8",
    )
    init_repo(path)
    commit_all(path, "shop")
    return path


def run_hook(project: Path, home: Path) -> tuple[int, str, list[str]]:
    """`pre-commit run djvet` on the staged files: (exit code, output, finding lines)."""
    started = time.perf_counter()
    result = run(
        [PRE_COMMIT, "run", "djvet", "--color", "never", "--verbose"],  # type: ignore[list-item]
        project,
        clean_env(home),
        timeout=TIMEOUT,
    )
    output = result.stdout + result.stderr
    print(f"pre-commit run took {time.perf_counter() - started:.1f}s\n{output}")
    findings = [line for line in output.splitlines() if FINDING_RE.match(line)]
    return result.returncode, output, findings


def hook_status(output: str) -> str | None:
    match = re.search(r"^djvet\.+(?:\([^)]*\))?(Passed|Failed|Skipped)$", output, re.MULTILINE)
    return match.group(1) if match else None


@needs_tools
def test_hook_sees_the_whole_project_index(tmp_path: Path, hook_repo: tuple[Path, str], pre_commit_home: Path) -> None:
    project = make_project(tmp_path / "shop", hook_repo)
    changed = project / "orders" / "serializers.py"
    text = "# Order API: inherits the catalog's base serializer.\n" + ORDERS_SERIALIZERS
    changed.write_text(text, encoding="utf-8", newline="\n")
    git(project, "add", "orders/serializers.py")
    assert git(project, "diff", "--cached", "--name-only").split() == ["orders/serializers.py"]

    code, output, findings = run_hook(project, pre_commit_home)

    meta_line = text.splitlines().index("    class Meta(BaseSerializer.Meta):") + 1
    message = default_catalog()["DJV301"].message.format(
        serializer="OrderSerializer", model="Order", meta="BaseSerializer.Meta"
    )
    assert findings == [f"orders/serializers.py:{meta_line}:5: DJV301 {message}"], output
    assert "catalog/serializers.py" not in output, output
    assert hook_status(output) == "Failed", output
    assert "- exit code: 1" in output, output
    assert code == 1, output


@needs_tools
def test_migration_is_excluded(tmp_path: Path, hook_repo: tuple[Path, str], pre_commit_home: Path) -> None:
    project = make_project(tmp_path / "shop", hook_repo)
    migration = project / "orders" / "migrations" / "0001_initial.py"
    migration.write_text(MIGRATION, encoding="utf-8", newline="\n")
    git(project, "add", "orders/migrations/0001_initial.py")
    assert git(project, "diff", "--cached", "--name-only").split() == ["orders/migrations/0001_initial.py"]

    code, output, findings = run_hook(project, pre_commit_home)

    assert findings == [], output
    # Passed, not Skipped: pre-commit did hand the migration to djvet, which excluded it.
    assert hook_status(output) == "Passed", output
    assert code == 0, output


def test_migration_control(tmp_path: Path) -> None:
    """The migration's text is reported outside migrations/: the case above is not vacuous."""
    for name, text in PROJECT.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    elsewhere = tmp_path / "orders" / "legacy_serializers.py"
    elsewhere.write_text(MIGRATION, encoding="utf-8")
    report = check_paths([elsewhere])
    assert [(f.code, f.line) for f in report.findings] == [("DJV301", 19)]


def test_manifest() -> None:
    """One hook, run once per commit over all passed files: the index is built once per run, so
    pre-commit must not split the file list across parallel processes (require_serial)."""
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert [hook["id"] for hook in hooks] == ["djvet"]
    hook = hooks[0]
    assert hook["entry"] == "djvet check"
    assert hook["language"] == "python"
    assert hook["types"] == ["python"]
    assert hook["require_serial"] is True
