"""How long djvet makes people wait where it runs: cold, warm, after an edit, in pre-commit, in pylint.

    python benchmarks/scenarios.py CORPUS_DIR --project netbox [--project django-oscar] [--runs 3]
        [--jobs N|auto] [--no-pylint] [--django-path DIR] [--out results.md]
    python benchmarks/scenarios.py path/to/one/project [--runs 1]

CORPUS_DIR holds one folder per project (`/work/corpus/src`, or the folder `fetch-corpus.sh`
filled, with its projects under `src/`); a folder that is itself a project (it holds a
`pyproject.toml`, `manage.py` or `.git`, Python files or a package) is measured on its own. Each project is first copied to a temporary folder, so its files
can be edited and its cache emptied without touching the original. Then, `--runs` times, in
rounds (every scenario once per round, so the machine's drift hits them all alike), each in a
fresh process:

  floor            `ast.parse` of every file djvet checks (no migrations, no virtualenvs)
  cold             `djvet check .` with `.djvet_cache/` emptied first
  warm             `djvet check .` again, nothing changed
  model touched    `djvet check .` after appending a comment to the project's largest models file
  pre-commit view  `djvet check VIEWS.py` after appending a comment to its largest views file,
                   as pre-commit calls it (only the changed file, warm cache)
  pre-commit view  the same after appending a function instead: the file's facts change, as
   (function)      in most real edits, and the project index is linked again
  pylint           `pylint --load-plugins=pylint_django FILES` (the same files as the floor)
  pylint + djvet   `pylint --load-plugins=pylint_django,djvet.pylint FILES`
  pylint view      both pylint commands on the views file alone (the editor's path)

Times are medians; each is also given as a ratio to the floor of the same run (the machine is
shared and noisy; ratios travel, absolute seconds do not), and the pylint + djvet rows as the
share they add to pylint with pylint_django. Peak MB is the largest resident set size of the
measured process over the runs. `--jobs` is passed to djvet only when `djvet check --help` lists
it. Children run with DJANGO_SETTINGS_MODULE unset, so pylint_django never imports the project.
Progress goes to stderr, one line per measured run. A traceback, an internal error or a djvet
exit code of 2 in any run makes the exit code 1.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import djvet
from djvet.index.discover import ROOT_MARKERS, file_kinds, find_root

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import FLOOR, checked_files, measure  # noqa: E402

DJVET_SRC = Path(djvet.__file__).resolve().parents[1]
# pylint's words for a plugin it could not load, and for djvet's own failure
PYLINT_TROUBLE = ("(bad-plugin-value)", "(djvet-internal-error)", "(djvet-config-error)")
TRACEBACK = "Traceback (most recent call last)"
COPY_IGNORE = shutil.ignore_patterns(".git", ".hg", "node_modules", "__pycache__", ".djvet_cache", "*.pyc")


@dataclass
class Scenario:
    name: str
    command: list[str]
    before: Callable[[int], None] | None = None
    djvet_json: bool = False  # stdout is djvet's JSON report, checked for internal errors
    seconds: list[float] = field(default_factory=list)
    peaks: list[int] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: set[str] = field(default_factory=set)

    def median(self) -> float:
        return statistics.median(self.seconds)


def child_env(pylint_home: Path, django_path: list[Path]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DJVET_NO_CACHE")}
    paths = [str(DJVET_SRC), *filter(None, [os.environ.get("PYTHONPATH")]), *(str(p.resolve()) for p in django_path)]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env["PYLINTHOME"] = str(pylint_home)
    return env


def compile_djvet() -> None:
    """Byte-compile djvet's modules, as `pip install` does: run from a checkout with
    PYTHONDONTWRITEBYTECODE set (or a read-only tree), every child would otherwise compile
    about 250 modules again, 0.3 s that an installed djvet never spends."""
    compileall.compile_dir(str(DJVET_SRC / "djvet"), quiet=1)


def django_importable(env: dict[str, str]) -> bool:
    """pylint_django without Django says F5101 and skips its work: a pylint baseline far too cheap."""
    probe = subprocess.run([sys.executable, "-c", "import django.conf, django.utils.deprecation"], capture_output=True, env=env, check=False)
    return probe.returncode == 0


def djvet_supports(option: str, env: dict[str, str]) -> bool:
    help_text = subprocess.run(
        [sys.executable, "-m", "djvet", "check", "--help"], capture_output=True, text=True, env=env, check=False
    ).stdout
    return option in help_text.split()


def largest(files: list[Path], root: Path, kind: str) -> Path | None:
    """The project's largest `models.py` (or module of a `models/` package; then any file of that
    kind, like managers.py), tests left out: the edit that reaches the most."""
    candidates = [f for f in files if kind in (kinds := file_kinds(f.relative_to(root).as_posix())) and "tests" not in kinds]
    named = [f for f in candidates if f.stem == kind or f.parent.name == kind]
    return max(named or candidates, key=lambda f: (f.stat().st_size, f.as_posix()), default=None)


def appender(path: Path) -> Callable[[int], None]:
    def edit(run: int) -> None:
        with path.open("ab") as handle:
            handle.write(f"\n# edited by benchmarks/scenarios.py, run {run}\n".encode())

    return edit


def function_adder(path: Path) -> Callable[[int], None]:
    """An edit that changes the file's facts (a comment leaves them as they were, and djvet then
    reuses the last whole-project run's linked index): most real edits are of this kind."""

    def edit(run: int) -> None:
        with path.open("ab") as handle:
            handle.write(f"\n\ndef added_by_scenarios_{run}(request):\n    return None\n".encode())

    return edit


def is_project(folder: Path) -> bool:
    """A root marker, Python files at the top or a package right below: a project, not a corpus."""
    markers = any((folder / marker).exists() for marker in ROOT_MARKERS)
    return markers or any(folder.glob("*.py")) or any(folder.glob("*/__init__.py"))


def measure_project(source: Path, runs: int, jobs: str | None, pylint: bool, django_path: list[Path]) -> tuple[list[str], bool]:
    """The table rows for one project, and whether any run failed."""
    with tempfile.TemporaryDirectory(prefix="djvet-scenarios-") as temp:
        project = Path(temp) / source.name
        shutil.copytree(source, project, symlinks=True, ignore=COPY_IGNORE)
        if not any((project / marker).exists() for marker in ROOT_MARKERS):
            # the checkout's .git is not copied (and the corpus has none): without a marker,
            # `djvet check VIEWS.py` would take the file's own folder for the project, while
            # pre-commit always runs in a git checkout
            (project / ".git").mkdir()
        root = find_root(project)
        cache_dir = root / ".djvet_cache"
        env = child_env(Path(temp) / "pylint-home", django_path)
        files = checked_files(project)
        listing = Path(temp) / "files.txt"
        listing.write_text("\n".join(str(f) for f in files), encoding="utf-8")
        rel_files = [f.relative_to(project).as_posix() for f in files]
        jobs_args = ["--jobs", jobs] if jobs is not None and djvet_supports("--jobs", env) else []
        djvet_cmd = [sys.executable, "-m", "djvet", "check", *jobs_args]
        whole = [*djvet_cmd, ".", "--format", "json", "--no-timing", "--fail-on", "never"]
        models, view = largest(files, project, "models"), largest(files, project, "views")

        def empty_cache(_: int) -> None:
            shutil.rmtree(cache_dir, ignore_errors=True)

        scenarios = [
            Scenario("floor: ast.parse", [sys.executable, "-c", FLOOR, str(listing)]),
            Scenario("djvet cold", whole, before=empty_cache, djvet_json=True),
            Scenario("djvet warm, nothing changed", whole, djvet_json=True),
        ]
        if models is not None:
            scenarios.append(Scenario(f"djvet after editing {models.relative_to(project)}", whole, appender(models), True))
        if view is not None:
            rel_view = view.relative_to(project).as_posix()
            scenarios.append(Scenario(f"pre-commit: djvet check {rel_view} after editing it", [*djvet_cmd, rel_view], appender(view)))
            scenarios.append(
                Scenario(f"pre-commit: djvet check {rel_view} after adding a function to it", [*djvet_cmd, rel_view], function_adder(view))
            )
        if pylint:
            base = [sys.executable, "-m", "pylint", "--load-plugins=pylint_django"]
            plus = [sys.executable, "-m", "pylint", "--load-plugins=pylint_django,djvet.pylint"]
            scenarios += [Scenario("pylint + pylint_django", [*base, *rel_files]), Scenario("pylint + pylint_django + djvet", [*plus, *rel_files])]
            if view is not None:
                rel_view = view.relative_to(project).as_posix()
                scenarios += [
                    Scenario(f"pylint + pylint_django on {rel_view}", [*base, rel_view]),
                    Scenario(f"pylint + pylint_django + djvet on {rel_view}", [*plus, rel_view]),
                ]

        for run in range(runs):
            for scenario in scenarios:
                if scenario.before is not None:
                    scenario.before(run)
                seconds, peak, code, out, err = measure(scenario.command, project, env)
                scenario.seconds.append(seconds)
                scenario.peaks.append(peak)
                scenario.problems += run_problems(scenario, code, out, err, len(files))
                print(f"{source.name} run {run + 1}/{runs}: {scenario.name}: {seconds:.2f} s", file=sys.stderr, flush=True)
        return table_rows(source.name, scenarios, len(files)), any(s.problems for s in scenarios)


def run_problems(scenario: Scenario, code: int, out: str, err: str, files: int) -> list[str]:
    """What went wrong in one run; a crash of pylint or pylint_django without djvet in the
    traceback is pylint's (it happens without djvet too) and only noted."""
    problems = []
    is_pylint = scenario.command[1:3] == ["-m", "pylint"]
    for block in (out + "\n" + err).split(TRACEBACK)[1:]:
        last = next((line for line in reversed(block.strip().splitlines()) if line.strip() and not line.startswith(" ")), "")
        if is_pylint and "/djvet/" not in block:
            scenario.notes.add(f"pylint's own traceback, not djvet's: {last[:120]}")
        else:
            problems.append(f"{scenario.name}: traceback: {last[:200]}")
    for marker in PYLINT_TROUBLE:
        trouble = [line for line in out.splitlines() if marker in line]
        if trouble:
            problems.append(f"{scenario.name}: {trouble[0]}")
    if scenario.command[1:3] == ["-m", "djvet"] and code == 2:
        problems.append(f"{scenario.name}: exit 2: {err.strip()[-300:]}")
    if scenario.djvet_json:
        try:
            report = json.loads(out)
            internal = [e for e in report["errors"] if "internal error" in e["message"]]
            if internal:
                problems.append(f"{scenario.name}: {len(internal)} internal errors, first: {internal[0]['path']}: {internal[0]['message']}")
            if report["summary"]["files"] != files:
                problems.append(f"{scenario.name}: djvet checked {report['summary']['files']} files, the floor parsed {files}")
        except (ValueError, KeyError, TypeError):
            problems.append(f"{scenario.name}: output is not djvet's JSON: {out[:200]!r}")
    return problems


def table_rows(name: str, scenarios: list[Scenario], files: int) -> list[str]:
    floor = scenarios[0].median()
    pylint_base: dict[str, float] = {}
    rows = []
    for scenario in scenarios:
        median = scenario.median()
        ratio = f"{median / floor:.2f}x" if floor else "-"
        note = ""
        if scenario.name.startswith("pylint + pylint_django") and " + djvet" not in scenario.name:
            pylint_base[scenario.name.partition(" on ")[2]] = median
        elif " + djvet" in scenario.name:
            base = pylint_base.get(scenario.name.partition(" on ")[2])
            if base:
                note = f"{(median - base) / base:+.0%} on pylint"
        if scenario.notes:
            note = (note + "; " if note else "") + sorted(scenario.notes)[0]
        if scenario.problems:
            note = (note + "; " if note else "") + f"FAILED: {scenario.problems[0]}"
        rows.append(f"| {name} ({files} files) | {scenario.name} | {median:.2f} | {ratio} | {max(scenario.peaks) / 1024:.0f} | {note} |")
    return rows


def project_dirs(corpus: Path, names: list[str] | None) -> list[Path]:
    if names is None and is_project(corpus):
        return [corpus]
    if (corpus / "src").is_dir() and not is_project(corpus):
        corpus = corpus / "src"
    if names is None:
        return sorted(p for p in corpus.iterdir() if p.is_dir() and not p.name.startswith("."))
    return [corpus / name for name in names]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", type=Path, help="a corpus folder (one folder per project) or one project")
    parser.add_argument("--project", action="append", default=None, help="a project of the corpus (repeatable; default: all)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each scenario; the median is reported (default: 3)")
    parser.add_argument("--jobs", default=None, help="passed to djvet check as --jobs when it has that option")
    parser.add_argument("--no-pylint", action="store_true", help="leave out the pylint scenarios (the slowest)")
    parser.add_argument(
        "--django-path",
        type=Path,
        action="append",
        default=[],
        help="a folder with Django (and DRF) to add to the children's PYTHONPATH, for when Django is not installed: "
        "pylint_django without Django does next to nothing (e.g. pip install --target DIR django djangorestframework)",
    )
    parser.add_argument("--out", type=Path, default=None, help="also write the markdown here")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs: expected at least 1")
    if not args.corpus.is_dir():
        print(f"{args.corpus}: no such folder", file=sys.stderr)
        return 2
    projects = project_dirs(args.corpus, args.project)
    missing = [str(p) for p in projects if not p.is_dir()]
    if missing:
        print(f"no such project folder: {', '.join(missing)}", file=sys.stderr)
        return 2
    command = shlex.join(["python", "benchmarks/scenarios.py", *(sys.argv[1:] if argv is None else argv)])
    env = child_env(Path(tempfile.gettempdir()), args.django_path)
    compile_djvet()
    notes = []
    if args.jobs is not None and not djvet_supports("--jobs", env):
        notes.append(f"This djvet has no `--jobs`: `--jobs {args.jobs}` was not passed.")
    if not args.no_pylint and not django_importable(env):
        notes.append("Django is not importable: pylint_django skipped its work (F5101), so the pylint rows are too low; see --django-path.")
    lines = [
        f"Command: `{command}`",
        *notes,
        "",
        "| project | scenario | median s | ratio to floor | peak MB | note |",
        "|---|---|---:|---:|---:|---|",
    ]
    print("\n".join(lines), flush=True)
    failed = False
    for project in projects:
        rows, project_failed = measure_project(project, args.runs, args.jobs, not args.no_pylint, args.django_path)
        failed |= project_failed
        lines += rows
        print("\n".join(rows), flush=True)
    if args.out:
        args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
