"""Generate docs/rules/*.md from the rule catalog: `python -m djvet.docgen [DOCS_DIR]`.

A test fails when the committed pages differ from what this writes, so docs never drift."""

from __future__ import annotations

import sys
from pathlib import Path

from djvet.catalog import FAMILIES, RuleMeta, default_catalog


def render_rule_page(meta: RuleMeta) -> str:
    docs = meta.docs
    fix = f"{meta.fix.title} ({meta.fix.safety} fix: `djvet fix`)" if meta.fix else "none"
    lines = [
        f"# {meta.code} `{meta.name}`",
        "",
        meta.summary,
        "",
        f"- Family: {FAMILIES[meta.family]}",
        f"- Severity: {meta.severity}; confidence: {meta.confidence}; category: {meta.category}",
        f"- On by default: {'yes' if meta.default else 'no'}",
        f"- Fix: {fix}",
        "",
        "## What it does",
        "",
        docs.what.strip(),
        "",
        "## Why is this bad?",
        "",
        docs.why.strip(),
        "",
        "## Example",
        "",
        "```python",
        docs.example.rstrip(),
        "```",
        "",
        "## Use instead",
        "",
        "```python",
        docs.use_instead.rstrip(),
        "```",
    ]
    if docs.references:
        lines += ["", "## References", "", *(f"- <{ref}>" for ref in docs.references)]
    return "\n".join(lines) + "\n"


def render_index(catalog: dict[str, RuleMeta]) -> str:
    lines = ["# Rules", "", "| code | name | severity | summary |", "|---|---|---|---|"]
    for meta in catalog.values():
        lines.append(f"| [{meta.code}]({meta.code}.md) | `{meta.name}` | {meta.severity} | {meta.summary} |")
    return "\n".join(lines) + "\n"


def expected_pages() -> dict[str, str]:
    catalog = default_catalog()
    pages = {f"{code}.md": render_rule_page(meta) for code, meta in catalog.items()}
    pages["README.md"] = render_index(catalog)
    return pages


def main(argv: list[str]) -> int:
    target = Path(argv[0]) if argv else Path("docs/rules")
    target.mkdir(parents=True, exist_ok=True)
    for name, text in expected_pages().items():
        (target / name).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
