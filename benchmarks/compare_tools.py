"""Count what bandit and ruff's S and DJ rules report on the corpus, next to djvet's counterparts.

    python benchmarks/compare_tools.py CORPUS_DIR [--project NAME ...] [--skip-djvet]
                                       [--write-doc] [--label pre-merge]
                                       [--hits hits.tsv]

CORPUS_DIR holds src/<project>/ (what fetch-corpus.sh filled). In each project it runs
  bandit -r . -f json                       (bandit's defaults; `# nosec` comments apply)
  ruff check . --select S,DJ --output-format json --no-cache --isolated
                                            (--isolated: the project's own ruff configuration,
                                             its excludes and per-file ignores, do not change the
                                             result; `# noqa` comments still apply)
  djvet check . --format json --no-cache --select <the counterpart rules that exist>
and counts each foreign check's findings (also how many are in tests and in migrations) next to
the findings of the djvet rules that `docs/comparison.md`'s table names for it. That table is the
one mapping: the doc says which rule covers which check, this script only reads it. A counterpart
rule that does not exist yet counts 0. `--write-doc` puts the totals into the doc, between the
`compare_tools` markers.
"""

from __future__ import annotations

import argparse
import datetime
import json
import re
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

DOC = Path(__file__).resolve().parents[1] / "docs" / "comparison.md"
BEGIN, END = "<!-- compare_tools: begin -->", "<!-- compare_tools: end -->"
FOREIGN = ("ruff", "bandit")
OTHER = {"ruff": "other S and DJ rules", "bandit": "other tests"}
CELL_SPLIT = re.compile(r"(?<!\\)\|")
CHECK_ID = re.compile(r"`([^`]+)`")
# "DJV511+ (pending)" is a code not allocated yet: it names no rule to count
DJV_CODE = re.compile(r"\bDJV\d{3}\b(?!\+)")
TEST_DIRS = {"tests", "test", "testing"}

Mapping = dict[tuple[str, str], tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class Hit:
    tool: str
    check: str
    path: str  # relative to the project, posix
    line: int


@dataclass(frozen=True, slots=True)
class Row:
    tool: str
    check: str
    findings: int
    in_tests: int
    in_migrations: int
    counterpart: tuple[str, ...]
    djvet: int | None  # None: djvet was not run


def load_mapping(markdown: str) -> Mapping:
    """(tool, check id) -> djvet codes, from the doc's `| tool | check | ... | djvet | ...` table."""
    mapping: Mapping = {}
    columns: list[str] | None = None
    for line in markdown.splitlines():
        if not line.startswith("|"):
            columns = None
            continue
        cells = [c.strip() for c in CELL_SPLIT.split(line.strip())[1:-1]]
        if columns is None:
            if cells[:2] == ["tool", "check"] and "djvet" in cells:
                columns = cells
            continue
        if set("".join(cells)) <= set("-: "):
            continue
        row = dict(zip(columns, cells))
        codes = tuple(dict.fromkeys(DJV_CODE.findall(row.get("djvet", ""))))
        for check in CHECK_ID.findall(row.get("check", "")):
            mapping[(row["tool"], check)] = codes
    return mapping


def relative(filename: str, root: Path) -> str:
    path = Path(filename)
    if path.is_absolute():
        try:
            path = path.relative_to(root)
        except ValueError:
            pass
    return PurePosixPath(path.as_posix()).as_posix().removeprefix("./")


def parse_bandit(report: dict[str, object], root: Path) -> list[Hit]:
    results = report.get("results", [])
    assert isinstance(results, list)
    return [Hit("bandit", r["test_id"], relative(r["filename"], root), int(r["line_number"])) for r in results]


def parse_ruff(report: list[dict[str, object]], root: Path) -> list[Hit]:
    # a file ruff cannot parse is reported with code None: not a check's finding
    return [
        Hit("ruff", str(r["code"]), relative(str(r["filename"]), root), int(r["location"]["row"]))  # type: ignore[index]
        for r in report
        if r.get("code")
    ]


def parse_djvet(report: dict[str, object]) -> Counter[str]:
    findings = report.get("findings", [])
    assert isinstance(findings, list)
    return Counter(str(f["code"]) for f in findings)


def is_test_path(path: str) -> bool:
    parts = PurePosixPath(path).parts
    name = parts[-1] if parts else ""
    return (
        any(p in TEST_DIRS for p in parts[:-1])
        or name in {"tests.py", "conftest.py"}
        or name.startswith("test_")
        or name.endswith(("_tests.py", "_test.py"))
    )


def is_migration_path(path: str) -> bool:
    return "migrations" in PurePosixPath(path).parts[:-1]


def count_rows(hits: list[Hit], djvet: Counter[str] | None, mapping: Mapping) -> list[Row]:
    """One row per overlapping check (listed even at 0), then one `other` row per tool."""
    rows = []
    for tool in FOREIGN:
        overlapping = sorted((check, codes) for (t, check), codes in mapping.items() if t == tool and codes)
        for check, codes in overlapping:
            mine = [h for h in hits if (h.tool, h.check) == (tool, check)]
            rows.append(_row(tool, check, mine, codes, None if djvet is None else sum(djvet[c] for c in codes)))
        checks = {check for check, _ in overlapping}
        rest = [h for h in hits if h.tool == tool and h.check not in checks]
        rows.append(_row(tool, OTHER[tool], rest, (), None))
    return rows


def _row(tool: str, check: str, hits: list[Hit], codes: tuple[str, ...], djvet: int | None) -> Row:
    tests = sum(is_test_path(h.path) for h in hits)
    migrations = sum(is_migration_path(h.path) for h in hits)
    return Row(tool, check, len(hits), tests, migrations, codes, djvet)


def sum_rows(tables: list[list[Row]]) -> list[Row]:
    total: list[Row] = []
    for same in zip(*tables):
        first = same[0]
        djvet = None if any(r.djvet is None for r in same) else sum(r.djvet or 0 for r in same)
        total.append(
            Row(first.tool, first.check, sum(r.findings for r in same), sum(r.in_tests for r in same),
                sum(r.in_migrations for r in same), first.counterpart, djvet)
        )
    return total


def render_rows(rows: list[Row]) -> str:
    lines = [
        "| tool | check | findings | in tests | in migrations | djvet counterpart | djvet findings |",
        "|---|---|---:|---:|---:|---|---:|",
    ]
    for r in rows:
        counterpart = ", ".join(r.counterpart) or "—"
        djvet = "—" if r.djvet is None else str(r.djvet)
        lines.append(
            f"| {r.tool} | {r.check} | {r.findings} | {r.in_tests} | {r.in_migrations} | {counterpart} | {djvet} |"
        )
    return "\n".join(lines) + "\n"


def render_summary(per_project: dict[str, list[Row]], djvet: dict[str, Counter[str] | None]) -> str:
    lines = [
        "| project | ruff, overlapping | bandit, overlapping | djvet counterparts | ruff, other | bandit, other |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, rows in per_project.items():
        codes = {c for r in rows for c in r.counterpart}
        counts = djvet[name]
        mine = "—" if counts is None else str(sum(counts[c] for c in codes))
        lines.append(
            f"| {name} | {_total(rows, 'ruff', True)} | {_total(rows, 'bandit', True)} | {mine} | "
            f"{_total(rows, 'ruff', False)} | {_total(rows, 'bandit', False)} |"
        )
    return "\n".join(lines) + "\n"


def _total(rows: list[Row], tool: str, overlapping: bool) -> int:
    return sum(r.findings for r in rows if r.tool == tool and bool(r.counterpart) == overlapping)


def run_json(cmd: list[str], cwd: Path, ok: tuple[int, ...]) -> object:
    process = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    if process.returncode not in ok:
        last = (process.stderr.strip().splitlines() or ["no output"])[-1]
        raise SystemExit(f"{cwd}: {cmd[0]} {cmd[1]} exited {process.returncode}: {last}")
    return json.loads(process.stdout)


def run_bandit(project: Path) -> list[Hit]:
    report = run_json(["bandit", "-r", ".", "-f", "json", "-q"], project, (0, 1))
    assert isinstance(report, dict)
    return parse_bandit(report, project)


def run_ruff(project: Path) -> list[Hit]:
    cmd = ["ruff", "check", ".", "--select", "S,DJ", "--output-format", "json", "--no-cache", "--isolated",
           "--exit-zero"]
    report = run_json(cmd, project, (0,))
    assert isinstance(report, list)
    return parse_ruff(report, project)


def existing_rules() -> set[str]:
    out = subprocess.run([sys.executable, "-m", "djvet", "rules"], capture_output=True, text=True, check=True)
    return set(re.findall(r"^(DJV\d{3})\s", out.stdout, re.MULTILINE))


def run_djvet(project: Path, codes: list[str]) -> Counter[str]:
    if not codes:
        return Counter()
    cmd = [sys.executable, "-m", "djvet", "check", ".", "--format", "json", "--no-cache", "--no-timing",
           "--fail-on", "never", "--select", ",".join(codes)]
    report = run_json(cmd, project, (0, 1))
    assert isinstance(report, dict)
    return parse_djvet(report)


def tool_version(cmd: list[str]) -> str:
    out = subprocess.run(cmd, capture_output=True, text=True, check=False).stdout
    return out.splitlines()[0].strip() if out else "unknown"


def write_doc(block: str, doc: Path = DOC) -> None:
    text = doc.read_text(encoding="utf-8")
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    doc.write_text(text[:start] + "\n" + block + text[end:], encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--project", action="append", default=None)
    parser.add_argument("--skip-djvet", action="store_true")
    parser.add_argument("--write-doc", action="store_true", help="write the totals into docs/comparison.md")
    parser.add_argument("--label", default="", help="e.g. pre-merge: printed in the doc's heading line")
    parser.add_argument("--hits", type=Path, default=None, help="also write every foreign finding here (TSV)")
    args = parser.parse_args()
    src = args.corpus / "src"
    if not src.is_dir():
        print(f"{src}: no such folder; expected the output of fetch-corpus.sh", file=sys.stderr)
        return 2
    for tool in FOREIGN:
        if shutil.which(tool) is None:
            print(f"{tool}: not found on PATH; install it (pip install {tool})", file=sys.stderr)
            return 2
    mapping = load_mapping(DOC.read_text(encoding="utf-8"))
    wanted = sorted({c for (tool, _), codes in mapping.items() if tool in FOREIGN for c in codes})
    selected = [] if args.skip_djvet else sorted(set(wanted) & existing_rules())
    names = args.project or sorted(p.name for p in src.iterdir() if p.is_dir())
    per_project: dict[str, list[Row]] = {}
    djvet: dict[str, Counter[str] | None] = {}
    listing: list[str] = []
    for name in names:
        project = src / name
        hits = run_bandit(project) + run_ruff(project)
        listing += [f"{h.tool}\t{h.check}\t{name}\t{h.path}\t{h.line}" for h in hits]
        djvet[name] = None if args.skip_djvet else run_djvet(project, selected)
        per_project[name] = count_rows(hits, djvet[name], mapping)
        print(f"### {name}\n\n{render_rows(per_project[name])}", flush=True)
    total = render_rows(sum_rows(list(per_project.values())))
    print(f"### total\n\n{total}")
    summary = render_summary(per_project, djvet)
    print(summary)
    if args.hits:
        args.hits.write_text("".join(line + "\n" for line in listing), encoding="utf-8")
    if args.write_doc:
        label = f" ({args.label})" if args.label else ""
        missing = ", ".join(c for c in wanted if c not in selected) or "none"
        ran = (
            "djvet was not run (`--skip-djvet`)"
            if args.skip_djvet
            else f"djvet ran `--select {','.join(selected) or '(nothing)'}`; "
            f"counterpart rules not in this build (counted 0): {missing}"
        )
        block = (
            f"Counts{label} from `python benchmarks/compare_tools.py CORPUS_DIR --write-doc`, "
            f"{datetime.date.today().isoformat()}: {tool_version(['ruff', '--version'])}, "
            f"{tool_version(['bandit', '--version'])}; {ran}.\n\n{total}\n{summary}"
        )
        write_doc(block)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
