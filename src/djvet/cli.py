"""The `djvet` command: check, fix, review, rules, explain."""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from typing import NoReturn
from pathlib import Path

from djvet import __version__
from djvet.catalog import CatalogError, RuleMeta, default_catalog
from djvet.config import FAIL_ON, ConfigError
from djvet.finding import SEVERITIES, Finding
from djvet.runner import Report, UsageError, check_paths

MAX_FIX_PASSES = 10
RANK = {"info": 1, "warning": 2, "error": 3, "never": 99}


def _codes(value: str) -> list[str]:
    return [v.strip().upper() for v in value.split(",") if v.strip()]


class _Parser(argparse.ArgumentParser):
    """Usage errors in one line, like every other djvet error (argparse prints usage first)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _jobs(value: str) -> str:
    if value == "auto" or (value.isdigit() and int(value) >= 1):
        return value
    raise argparse.ArgumentTypeError(f"expected a number of processes (1 or more) or 'auto'; got {value!r}")


def _parser(review_arguments: bool = True) -> argparse.ArgumentParser:
    """`review_arguments=False` leaves out `djvet review`'s own options (importing the review
    package costs more than a warm `djvet check`)."""
    parser = _Parser(prog="djvet", description="Static analysis for Django and DRF projects.")
    parser.add_argument("--version", action="version", version=f"djvet {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    check = sub.add_parser("check", help="check files and folders (default: the current folder)")
    check.add_argument("paths", nargs="*", type=Path, default=[Path(".")])
    check.add_argument("--format", choices=("text", "json", "sarif", "github"), default="text")
    check.add_argument("--fail-on", choices=FAIL_ON, default=None, help="lowest severity that fails (default: warning)")
    check.add_argument("--select", type=_codes, action="extend", default=None, help="codes or prefixes, e.g. DJV3")
    check.add_argument("--ignore", type=_codes, action="extend", default=None)
    check.add_argument("--exclude", action="append", default=None, help="glob relative to the project root")
    check.add_argument("--settings", dest="settings_module", default=None, help="settings module to read, e.g. mysite.settings.production")
    check.add_argument("--baseline", type=Path, default=None, help="ignore findings recorded in this file")
    check.add_argument("--write-baseline", type=Path, default=None, help="record today's findings in this file")
    check.add_argument("--no-timing", action="store_true", help="write 0 as summary.seconds, for byte-identical output")
    check.add_argument("--no-cache", action="store_true", help="neither read nor write .djvet_cache/ (also: DJVET_NO_CACHE=1)")
    check.add_argument("-j", "--jobs", type=_jobs, default=None, help="worker processes: a number or 'auto' (default: [tool.djvet] jobs, else 1)")

    fix = sub.add_parser("fix", help="apply the fixes of fixable findings")
    fix.add_argument("paths", nargs="*", type=Path, default=[Path(".")])
    fix.add_argument("--unsafe-fixes", action="store_true", help="also apply fixes marked unsafe")
    fix.add_argument("--diff", action="store_true", help="print the changes instead of writing them")
    fix.add_argument("--select", type=_codes, action="extend", default=None)
    fix.add_argument("--ignore", type=_codes, action="extend", default=None)
    fix.add_argument("--exclude", action="append", default=None)
    fix.add_argument("--settings", dest="settings_module", default=None)
    fix.add_argument("--no-cache", action="store_true", help="neither read nor write .djvet_cache/ (also: DJVET_NO_CACHE=1)")

    review = sub.add_parser("review", help="review a project: scope, memory, context, analysis, guidance, report")
    if review_arguments:
        from djvet.review.command import add_arguments as add_review_arguments

        add_review_arguments(review)

    endpoints = sub.add_parser("endpoints", help="list every route with its methods, authentication and permissions")
    endpoints.add_argument("path", nargs="?", type=Path, default=Path("."), help="a folder or file of the project")
    endpoints.add_argument("--format", choices=("text", "json", "markdown"), default="text")
    endpoints.add_argument("--settings", dest="settings_module", default=None, help="settings module to read")
    endpoints.add_argument("--unrouted", action="store_true", help="also list views no route reaches (checked by their class)")

    rules = sub.add_parser("rules", help="list the rules")
    rules.add_argument("--format", choices=("text", "json"), default="text")

    explain = sub.add_parser("explain", help="print a rule's documentation")
    explain.add_argument("rule", help="a code (DJV301) or a name (serializer-fields-all)")
    return parser


def run() -> NoReturn:
    """The console script and `python -m djvet`: `main()`, then exit. Before the interpreter shuts
    down, everything left is moved out of the cyclic collector's view (`gc.freeze`): its final
    collection otherwise traversed every object of the run (the index, astroid trees), 0.6 s of a
    pre-commit run on netbox, to free memory the exiting process gives back anyway."""
    code = main()
    gc.freeze()
    raise SystemExit(code)


def _fail(message: str) -> int:
    print(f"djvet: {message}", file=sys.stderr)
    return 2


# The cyclic garbage collector's thresholds for a djvet command (Python's default is 700, 10, 10).
# A run allocates millions of long-lived objects (the index, `ast` and astroid trees) and little
# garbage in cycles: with the default, collections that find nothing took a third of a cold netbox
# run (25.1 s of CPU; 15.2 s with these, same findings, same peak memory).
GC_THRESHOLDS = (50_000, 20, 100)


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = _parser(review_arguments=not argv or argv[0] not in ("check", "rules", "explain", "endpoints", "fix")).parse_args(argv)
    before = gc.get_threshold()
    gc.set_threshold(*GC_THRESHOLDS)
    try:
        return _run(args)
    finally:
        gc.set_threshold(*before)  # a caller in the same process (tests, a wrapper) keeps its own


def _run(args: argparse.Namespace) -> int:
    try:
        if args.command == "check":
            return _check(args)
        if args.command == "fix":
            return _fix(args)
        if args.command == "review":
            from djvet.review.command import run_command

            return run_command(args)
        if args.command == "endpoints":
            return _endpoints(args)
        if args.command == "rules":
            return _rules(args)
        return _explain(args)
    except (ConfigError, UsageError, CatalogError) as exc:
        return _fail(str(exc))
    except BrokenPipeError:
        return 0
    except Exception as exc:  # a bug in djvet: one line for the user, the traceback on request
        if os.environ.get("DJVET_DEBUG"):
            raise
        return _fail(f"internal error: {type(exc).__name__}: {exc} (set DJVET_DEBUG=1 for a traceback)")


def _write(text: str, utf8: bool = False) -> None:
    """JSON and SARIF are UTF-8 whatever the console's encoding (RFC 8259); other output the console
    cannot encode (cp1252 on Windows, say) is backslash-escaped rather than lost to an exception."""
    stream = sys.stdout
    if utf8 and hasattr(stream, "buffer"):
        stream.flush()
        stream.buffer.write(text.encode("utf-8"))
        stream.buffer.flush()
        return
    try:
        stream.write(text)
    except UnicodeEncodeError:  # TextIOWrapper encodes the whole text before writing any of it
        encoding = stream.encoding or "utf-8"
        stream.write(text.encode(encoding, "backslashreplace").decode(encoding))


def exit_code(report: Report, fail_on: str) -> int:
    if any(e.internal for e in report.errors):
        return 2

    def fail_on_for(path: str) -> str:
        return report.fail_on_by_path.get(path, fail_on)

    if any(RANK[f.severity] >= RANK[fail_on_for(f.path)] for f in report.findings):
        return 1
    if any(fail_on_for(e.path) != "never" for e in report.errors):
        return 1
    return 0


def _check(args: argparse.Namespace) -> int:
    from djvet.baseline import apply_baseline, write_baseline
    from djvet.output import FORMATS
    from djvet.output.text import render_summary

    options = {
        "select": args.select,
        "ignore": args.ignore,
        "exclude": args.exclude,
        "fail_on": args.fail_on,
        "settings_module": args.settings_module,
    }
    report = check_paths(args.paths, options, cache=not args.no_cache, jobs=args.jobs)
    if args.write_baseline is not None:
        write_baseline(args.write_baseline, report.findings)
    if args.baseline is not None:
        report.findings = apply_baseline(args.baseline, report.findings)
    if args.no_timing:
        report.seconds = 0.0
    _write(FORMATS[args.format](report, LazyCatalog()), utf8=args.format in ("json", "sarif"))
    for error in report.errors:
        print(f"{error.path}: {error.message}", file=sys.stderr)
    if args.format == "text":
        print(render_summary(report), file=sys.stderr)
    return exit_code(report, report.fail_on)


class LazyCatalog(Mapping[str, RuleMeta]):
    """The catalog, parsed only when a renderer reads it (SARIF does; text and JSON do not)."""

    def __getitem__(self, code: str) -> RuleMeta:
        return default_catalog()[code]

    def __iter__(self) -> Iterator[str]:
        return iter(default_catalog())

    def __len__(self) -> int:
        return len(default_catalog())


def _fix(args: argparse.Namespace) -> int:
    from djvet.fixes.apply import apply_fixes, fixable

    options = {
        "select": args.select,
        "ignore": args.ignore,
        "exclude": args.exclude,
        "settings_module": args.settings_module,
    }
    catalog = default_catalog()
    # A fix can expose the next one (a nested serializer's relation shows once its parent is
    # loaded): like ruff, apply and re-check until nothing changes, so a second run has no work.
    fixed: dict[str, list[Finding]] = {}
    for _ in range(MAX_FIX_PASSES):
        report = check_paths(args.paths, options, cache=not args.no_cache)
        result = apply_fixes(fixable(report.findings, catalog, args.unsafe_fixes), write=not args.diff)
        for path, findings in result.fixed.items():
            fixed.setdefault(path, []).extend(findings)
        if args.diff or not result.fixed or result.errors:
            break
    if args.diff:
        sys.stdout.write("".join(result.diffs))
    for path, findings in fixed.items():
        codes = ", ".join(sorted({f.code for f in findings}))
        verb = "would fix" if args.diff else "fixed"
        print(f"{path}: {verb} {len(findings)} finding{'s' if len(findings) != 1 else ''} ({codes})", file=sys.stderr)
    for error in report.errors + result.errors:
        print(f"{error.path}: {error.message}", file=sys.stderr)
    if result.errors or any(e.internal for e in report.errors):
        return 2 if any(e.internal for e in report.errors) else 1
    return 0


def _endpoints(args: argparse.Namespace) -> int:
    from djvet.index.discover import find_root
    from djvet.output.endpoints import FORMATS, describe_endpoints, render_summary
    from djvet.runner import display_path, open_project

    if not args.path.exists():
        raise UsageError(f"{args.path}: no such file or directory")
    root = find_root(args.path)
    project = open_project(root, {"settings_module": args.settings_module})
    rows = describe_endpoints(project.index, unrouted=args.unrouted)
    _write(FORMATS[args.format](project.index, rows, display_path(root)), utf8=args.format == "json")
    if args.format == "text":
        print(render_summary(rows), file=sys.stderr)
    return 0


def _rules(args: argparse.Namespace) -> int:
    catalog = default_catalog()
    if args.format == "json":
        rows = [
            {"code": m.code, "name": m.name, "severity": m.severity, "default": m.default, "summary": m.summary}
            for m in catalog.values()
        ]
        print(json.dumps(rows, indent=2))
        return 0
    width = max((len(m.name) for m in catalog.values()), default=4)
    for meta in catalog.values():
        flag = "" if meta.default else " (off by default)"
        print(f"{meta.code}  {meta.name:<{width}}  {meta.severity:<7}  {meta.summary}{flag}")
    return 0


def find_rule(catalog: dict[str, RuleMeta], key: str) -> RuleMeta | None:
    return catalog.get(key.upper()) or next((m for m in catalog.values() if m.name == key), None)


def render_explain(meta: RuleMeta) -> str:
    docs = meta.docs
    parts = [
        f"{meta.code} {meta.name}",
        "",
        meta.summary,
        "",
        f"Severity: {meta.severity}. Confidence: {meta.confidence}. Category: {meta.category}. "
        f"{'On' if meta.default else 'Off'} by default.",
        "",
        "What it does",
        docs.what.rstrip(),
        "",
        "Why is this bad?",
        docs.why.rstrip(),
        "",
        "Example",
        _indent(docs.example),
        "",
        "Use instead",
        _indent(docs.use_instead),
    ]
    if meta.fix is not None:
        parts += ["", f"Fix ({meta.fix.safety}): {meta.fix.title}"]
    if docs.references:
        parts += ["", "References", *(f"- {r}" for r in docs.references)]
    return "\n".join(parts) + "\n"


def _indent(code: str) -> str:
    return "\n".join(f"    {line}" if line else "" for line in code.rstrip().splitlines())


def _explain(args: argparse.Namespace) -> int:
    catalog = default_catalog()
    meta = find_rule(catalog, args.rule)
    if meta is None:
        known = ", ".join(catalog)
        raise UsageError(f"explain: no rule '{args.rule}'; expected a code or name, one of: {known}")
    _write(render_explain(meta))
    return 0


assert set(SEVERITIES) <= set(RANK)
