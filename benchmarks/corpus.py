"""Run djvet over the shared corpus and compare with the floor: `ast.parse` of the same files.

    python benchmarks/corpus.py CORPUS_DIR [--runs 3] [--project netbox ...] [--out results.md]

CORPUS_DIR is what `fetch-corpus.sh` filled (it holds src/<project>/). Each measurement runs in a
fresh subprocess; times are medians, reported as a ratio to the floor measured in the same run
(the machine is shared and noisy; ratios travel, absolute seconds do not). Peak memory is the
child's maximum resident set size. A run with a traceback or an internal error is a failure.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from djvet.index.discover import DEFAULT_EXCLUDES, iter_python_files, matches_any

FLOOR = "import ast, sys, warnings\nwarnings.simplefilter('ignore')\n" + (
    "for name in open(sys.argv[1]).read().splitlines():\n"
    "    try:\n        ast.parse(open(name, 'rb').read(), name)\n"
    "    except (SyntaxError, ValueError):\n        pass\n"
)


def measure(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[float, int, int, str, str]:
    """Wall seconds, peak RSS in KiB, exit code, stdout, stderr of one child process."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return seconds, usage.ru_maxrss, process.returncode, out.read().decode(errors="replace"), err.read().decode(errors="replace")


def checked_files(project: Path) -> list[Path]:
    return [p for p in iter_python_files(project) if not matches_any(p.relative_to(project).as_posix(), DEFAULT_EXCLUDES)]


def run_project(project: Path, runs: int) -> dict[str, object]:
    files = checked_files(project)
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as listing:
        listing.write("\n".join(str(f) for f in files))
    floor_cmd = [sys.executable, "-c", FLOOR, listing.name]
    djvet_cmd = [sys.executable, "-m", "djvet", "check", ".", "--format", "json", "--no-timing", "--fail-on", "never", "--no-cache"]
    floor_times, djvet_times, peaks = [], [], []
    result: dict[str, object] = {}
    for _ in range(runs):  # interleaved, so drift hits both alike
        floor_times.append(measure(floor_cmd, project)[0])
        seconds, peak, code, out, err = measure(djvet_cmd, project)
        djvet_times.append(seconds)
        peaks.append(peak)
        report = json.loads(out) if out.strip() else {"findings": [], "errors": [], "summary": {}}
        result = {
            "exit": code,
            "tracebacks": err.count("Traceback"),
            "files": report["summary"].get("files"),
            "findings": len(report["findings"]),
            "errors": len(report["errors"]),
            "internal": sum("internal error" in e["message"] for e in report["errors"]),
            "by_code": _by_code(report["findings"]),
        }
    os.unlink(listing.name)
    floor = statistics.median(floor_times)
    djvet = statistics.median(djvet_times)
    result.update(
        {
            "py_files": len(files),
            "floor_s": round(floor, 2),
            "djvet_s": round(djvet, 2),
            "ratio": round(djvet / floor, 2) if floor else None,
            "peak_mb": round(max(peaks) / 1024),
        }
    )
    return result


def _by_code(findings: list[dict[str, object]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for finding in findings:
        counts[str(finding["code"])] = counts.get(str(finding["code"]), 0) + 1
    return dict(sorted(counts.items()))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--project", action="append", default=None)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    src = args.corpus / "src"
    if not src.is_dir():
        print(f"{src}: no such folder; expected the output of fetch-corpus.sh", file=sys.stderr)
        return 2
    names = args.project or sorted(p.name for p in src.iterdir() if p.is_dir())
    header = "| project | files | ast.parse s | djvet s | ratio | peak MB | findings | errors | exit | tracebacks |"
    lines = [header, "|---|---:|---:|---:|---:|---:|---|---:|---:|---:|"]
    failed = False
    for name in names:
        r = run_project(src / name, args.runs)
        codes = ", ".join(f"{c} {n}" for c, n in r["by_code"].items()) or "0"  # type: ignore[union-attr]
        lines.append(
            f"| {name} | {r['files']} | {r['floor_s']} | {r['djvet_s']} | {r['ratio']}x | {r['peak_mb']} | "
            f"{codes} | {r['errors']} | {r['exit']} | {r['tracebacks']} |"
        )
        print(lines[-1], flush=True)
        failed |= bool(r["tracebacks"] or r["internal"] or r["exit"] == 2 or r["files"] != r["py_files"])
    text = "\n".join(lines) + "\n"
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
