"""`--jobs N`: check files in worker processes. Workers are forked after the index is built, so
they share it instead of rebuilding it; results come back in file order, so the output is the
same for any N. Where fork is not available (Windows, macOS's default), files are checked here."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from djvet.finding import FileError, Finding
    from djvet.runner import FileResult, Project, Stamp

# Fewer files than this per worker is not worth a process.
MIN_FILES_PER_JOB = 8

_PROJECT: Project | None = None


def resolve_jobs(value: str | int | None) -> int:
    """`auto` is every core; a number is used as given (at least 1)."""
    if value is None:
        return 1
    if value == "auto":
        return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))
    return max(1, int(value))


def _check(path: Path) -> tuple[list[Finding], list[FileError], Stamp | None]:
    assert _PROJECT is not None
    return _PROJECT.check_recorded(path)


def check_files(project: Project, paths: list[Path], jobs: int) -> Iterator[FileResult]:
    """Each file's (findings, errors), in the order of `paths`; cached results are reused."""
    global _PROJECT
    results: dict[Path, FileResult] = {}
    todo = []
    for path in paths:
        cached = project.cached_result(path)
        if cached is not None:
            results[path] = cached
        else:
            todo.append(path)
    workers = min(jobs, len(todo) // MIN_FILES_PER_JOB)
    if workers > 1 and "fork" in multiprocessing.get_all_start_methods():
        _PROJECT = project
        try:
            context = multiprocessing.get_context("fork")
            with context.Pool(workers) as pool:
                checked = pool.map(_check, todo, chunksize=max(1, len(todo) // (workers * 4)))
        finally:
            _PROJECT = None
    else:
        checked = [project.check_recorded(path) for path in todo]
    for path, (findings, errors, stamped) in zip(todo, checked):
        project.store_result(path, findings, errors, stamped)
        results[path] = (findings, errors)
    for path in paths:
        yield results[path]
