"""`djvet review`: the command-line frontend of the review pipeline."""

from __future__ import annotations

import argparse
import datetime
import json
import sys
from pathlib import Path

from djvet.review.base import GOALS, ReviewOptions, ReviewStepError
from djvet.review.markdown import plural
from djvet.runner import UsageError, display_path


def _codes(value: str) -> list[str]:
    return [v.strip().upper() for v in value.split(",") if v.strip()]


def _day(value: str) -> str:
    try:
        return datetime.date.fromisoformat(value).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD; got {value!r}") from None


def _budget(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = -1
    if number < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number, 0 or more; got {value!r}")
    return number


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", nargs="?", type=Path, default=Path("."), help="the project (default: the current folder)")
    parser.add_argument("--goal", choices=GOALS, default=None, help="what the review is for; orders the report (remembered for later reviews)")
    parser.add_argument("--settings", dest="settings_module", default=None, help="the production settings module, e.g. mysite.settings.production (remembered)")
    parser.add_argument("--entry-point", choices=("wsgi", "asgi"), default=None, help="which entry point serves production (remembered)")
    parser.add_argument("--output-dir", type=Path, default=None, help="folder for the report (default: ./claudedocs)")
    parser.add_argument("--memory-dir", type=Path, default=None, help="memory root (default: <project root>/.djvet/memory)")
    parser.add_argument("--context-dir", type=Path, action="append", default=None, help="a folder of your own guidance documents (repeatable; default: <project root>/.djvet/context)")
    parser.add_argument("--context-budget", type=_budget, default=5, help="most guidance documents to load (default: 5)")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="text: a summary and the report's path; json: the whole review on stdout")
    parser.add_argument("--no-write", action="store_true", help="write neither the report nor the memory (a dry run)")
    parser.add_argument("--accept", action="append", default=None, metavar="FINGERPRINT", help="record a finding as an accepted risk (repeatable; needs --reason)")
    parser.add_argument("--reason", default=None, help="why the --accept findings are acceptable")
    parser.add_argument("--expires", type=_day, default=None, metavar="YYYY-MM-DD", help="last day the --accept acceptance holds")
    parser.add_argument("--select", type=_codes, action="extend", default=None, help="codes or prefixes, e.g. DJV3")
    parser.add_argument("--ignore", type=_codes, action="extend", default=None)
    parser.add_argument("--exclude", action="append", default=None, help="glob relative to the project root")


def options_from(args: argparse.Namespace) -> ReviewOptions:
    if args.accept and not (args.reason and args.reason.strip()):
        raise UsageError("review: --accept needs --reason \"why this risk is acceptable\"")
    if (args.reason or args.expires) and not args.accept:
        raise UsageError("review: --reason and --expires go with --accept FINGERPRINT")
    return ReviewOptions(
        path=args.path,
        goal=args.goal,
        settings_module=args.settings_module,
        entry_point=args.entry_point,
        output_dir=args.output_dir,
        memory_dir=args.memory_dir,
        context_dirs=tuple(args.context_dir or ()),
        context_budget=args.context_budget,
        select=tuple(args.select) if args.select is not None else None,
        ignore=tuple(args.ignore or ()),
        exclude=tuple(args.exclude or ()),
        accept=tuple(args.accept or ()),
        reason=args.reason.strip() if args.reason else None,
        expires=args.expires,
        write=not args.no_write,
    )


def run_command(args: argparse.Namespace) -> int:
    # imported here: `djvet check` parses the same command line and must not pay for the review
    from djvet.review.output import memory_folder
    from djvet.review.pipeline import run_review

    options = options_from(args)
    try:
        state = run_review(options)
    except ReviewStepError as exc:
        print(f"djvet: {exc}", file=sys.stderr)
        return 2
    output, scope, analysis = state.output, state.scope, state.analysis
    assert output is not None and scope is not None and analysis is not None
    if args.format == "json":
        sys.stdout.write(json.dumps(output.document, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
        return 0
    if output.report is None:
        sys.stdout.write(output.markdown)
        return 0
    changes = analysis.changes
    counts = {s: sum(1 for f in changes.open if f.severity == s) for s in ("error", "warning", "info")}
    drf = f"DRF {scope.drf.display}" if scope.drf_used else "no DRF"
    topics = ", ".join(q.topic for q in state.questions)
    print(f"djvet review: {scope.project} (Django {scope.django.display}, {drf}, {scope.project_type})")
    print(
        f"  {len(changes.open)} open findings ({counts['error']} error, {counts['warning']} warning, {counts['info']} info), "
        f"{len(changes.accepted)} accepted; since the last review: {len(changes.new)} new, {len(changes.fixed)} fixed, {len(changes.still_open)} still open"
    )
    print(f"  {plural(len(state.questions), 'open question')}" + (f": {topics}" if topics else ""))
    print(f"report: {display_path(output.report)}")
    print(f"memory: {display_path(memory_folder(state))}")
    return 0
