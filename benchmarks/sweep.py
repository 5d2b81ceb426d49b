"""Run `djvet check --format json --no-cache` with the default rules on every project of a corpus.

    python benchmarks/sweep.py CORPUS_DIR [--project NAME ...] [--out sweep.md]

CORPUS_DIR holds one folder per project (`/work/corpus/src`); the folder `fetch-corpus.sh` filled
(with its projects under `src/`) works too. Each project runs in its own process, from inside the
project (`djvet check .`), and is counted: files, findings per code, `errors` entries, internal
errors among them, the exit code and tracebacks on stderr. The exit code is 1 when any project
had a traceback, an internal error, exit 2 or output that is not djvet's JSON; 0 otherwise.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import _by_code, measure  # noqa: E402


def project_dirs(corpus: Path) -> list[Path]:
    if (corpus / "src").is_dir() and not any((corpus / marker).exists() for marker in ("manage.py", "pyproject.toml", "setup.py")):
        corpus = corpus / "src"
    return sorted(p for p in corpus.iterdir() if p.is_dir() and not p.name.startswith("."))


def sweep_project(project: Path) -> dict[str, object]:
    cmd = [sys.executable, "-m", "djvet", "check", ".", "--format", "json", "--no-cache", "--no-timing", "--fail-on", "never"]
    seconds, peak, code, out, err = measure(cmd, project)
    result: dict[str, object] = {
        "seconds": round(seconds, 1),
        "peak_mb": round(peak / 1024),
        "exit": code,
        "tracebacks": err.count("Traceback (most recent call last)"),
        "stderr": err.strip().splitlines()[-1:] if err.strip() else [],
    }
    try:
        report = json.loads(out)
        files = report["summary"]["files"]
        findings, errors = report["findings"], report["errors"]
    except (ValueError, KeyError, TypeError):
        result.update({"files": None, "findings": 0, "by_code": {}, "errors": 0, "internal": 0, "bad_output": True})
        return result
    internal = [e for e in errors if "internal error" in e["message"]]
    result.update(
        {
            "files": files,
            "findings": len(findings),
            "by_code": _by_code(findings),
            "errors": len(errors),
            "internal": len(internal),
            "internal_messages": [f"{e['path']}: {e['message']}" for e in internal],
            "bad_output": False,
        }
    )
    return result


def is_failure(result: dict[str, object]) -> bool:
    return bool(result["tracebacks"] or result["internal"] or result["exit"] == 2 or result["bad_output"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--project", action="append", default=None, help="only this project (repeatable)")
    parser.add_argument("--out", type=Path, default=None, help="also write the table here")
    args = parser.parse_args(argv)
    if not args.corpus.is_dir():
        print(f"{args.corpus}: no such folder", file=sys.stderr)
        return 2
    projects = project_dirs(args.corpus)
    if args.project:
        projects = [p for p in projects if p.name in args.project]
        missing = sorted(set(args.project) - {p.name for p in projects})
        if missing:
            print(f"{args.corpus}: no project named {', '.join(missing)}", file=sys.stderr)
            return 2
    lines = [
        "| project | files | findings | by code | errors | internal errors | tracebacks | exit | s | peak MB |",
        "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    print(" ".join(["python", "benchmarks/sweep.py", *(argv if argv is not None else sys.argv[1:])]), flush=True)
    print(lines[0] + "\n" + lines[1], flush=True)
    totals = {"files": 0, "findings": 0, "errors": 0, "internal": 0, "tracebacks": 0}
    problems: list[str] = []
    for project in projects:
        r = sweep_project(project)
        codes = ", ".join(f"{c} {n}" for c, n in r["by_code"].items()) or "-"  # type: ignore[attr-defined]
        lines.append(
            f"| {project.name} | {r['files']} | {r['findings']} | {codes} | {r['errors']} | {r['internal']} | "
            f"{r['tracebacks']} | {r['exit']} | {r['seconds']} | {r['peak_mb']} |"
        )
        print(lines[-1], flush=True)
        for key in totals:
            totals[key] += int(r[key] or 0)  # type: ignore[call-overload]
        if is_failure(r):
            detail = "; ".join([*r.get("internal_messages", []), *r["stderr"]])  # type: ignore[list-item]
            problems.append(f"{project.name}: exit {r['exit']}, {r['tracebacks']} tracebacks, {r['internal']} internal errors: {detail}")
    lines.append(
        f"| **total** | {totals['files']} | {totals['findings']} | | {totals['errors']} | {totals['internal']} | "
        f"{totals['tracebacks']} | | | |"
    )
    print(lines[-1], flush=True)
    for problem in problems:
        print(problem, file=sys.stderr)
    if args.out:
        args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
