"""The generated rule pages match the catalog."""

from __future__ import annotations

from pathlib import Path

from djvet.docgen import expected_pages

DOCS = Path(__file__).resolve().parents[1] / "docs" / "rules"


def test_rule_pages_are_generated_from_the_catalog() -> None:
    written = {p.name: p.read_text(encoding="utf-8") for p in DOCS.glob("*.md")}
    stale = sorted(name for name, text in expected_pages().items() if written.get(name) != text)
    extra = sorted(set(written) - set(expected_pages()))
    assert (stale, extra) == ([], []), "run: python -m djvet.docgen docs/rules"
