"""Shared pytest fixtures."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest


@pytest.fixture
def make_project(tmp_path: Path) -> Callable[[dict[str, str]], Path]:
    """Write a small project below tmp_path: {relative path: source}; sources are dedented.

    A `pyproject.toml` root marker is added unless the files bring `manage.py` or their own."""

    def make(files: dict[str, str]) -> Path:
        root = tmp_path / "project"
        root.mkdir(exist_ok=True)
        if "manage.py" not in files and "pyproject.toml" not in files:
            (root / "pyproject.toml").write_text("[tool.djvet]\n")
        for rel, text in files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return root

    return make
