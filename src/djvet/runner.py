"""Check paths: group files by project root, build each project's index once, run the engine.

With the cache (`.djvet_cache/`), a run first compares the project's files with the last run's
record (one read, no index, no astroid: the warm path); a file whose own text and whose recorded
index reads are unchanged reuses its findings (index.deps); `jobs` > 1 checks the rest in worker
processes. astroid, the rules and the index are imported only when a file has to be checked."""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from djvet.cache import Cache, code_stamp, digest, fingerprint, sha256_bytes
from djvet.config import Config, enabled_codes, ignored_for_path, load_config, validate_selectors
from djvet.finding import FileError, Finding
from djvet.index.discover import (
    DEFAULT_EXCLUDES,
    file_kinds,
    find_root,
    is_pruned,
    matches_any,
    module_name,
    python_file_names,
    relpath,
    requirement_files,
)
from djvet.index.source import SourceError, parse_source, read_source_bytes, syntax_message

if TYPE_CHECKING:
    import ast

    from astroid import nodes

    from djvet.catalog import RuleMeta
    from djvet.engine import ModuleContext
    from djvet.index.deps import Digests
    from djvet.index.facts import ProjectIndex
    from djvet.rule import Rule


class UsageError(Exception):
    """Bad command-line input (a path that does not exist, say)."""


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)
    files: int = 0
    seconds: float = 0.0
    fail_on: str = "warning"
    # a run over several projects (pre-commit in a monorepo): each file keeps its project's fail-on
    fail_on_by_path: dict[str, str] = field(default_factory=dict)


def display_path(path: Path) -> str:
    """Paths in output are relative to the current directory, with forward slashes."""
    try:
        return Path(os.path.relpath(path)).as_posix()
    except ValueError:  # another drive on Windows
        return path.as_posix()


def display_paths(root: Path, paths: list[Path]) -> list[str]:
    """display_path of many files below `root`, without one os.path.relpath each."""
    prefix = os.path.relpath(root)
    if prefix.startswith(".."):
        return [display_path(p) for p in paths]  # the current folder is inside the root
    top = str(root)
    cut = len(top) + (0 if top.endswith(os.sep) else 1)
    base = "" if prefix == "." else Path(prefix).as_posix() + "/"
    return [base + str(p)[cut:].replace(os.sep, "/") if str(p).startswith(top) else display_path(p) for p in paths]


def make_rules(config: Config, catalog: Mapping[str, RuleMeta]) -> list[Rule]:
    from djvet.rule import load_rule_classes

    classes = load_rule_classes()
    return [classes[code](catalog[code]) for code in enabled_codes(config, catalog) if code in classes]


def build_tree(
    text: str, module: str, path: str, index: ProjectIndex | None = None, parsed: ast.Module | None = None
) -> nodes.Module:
    """An astroid tree from text, built without leaving the project (`djvet.astro.build`), from
    `parsed` when given (the `ast` tree of that same text); raises SourceError with a message for the user."""
    from astroid.exceptions import AstroidBuildingError, AstroidSyntaxError

    from djvet.astro.build import build_module

    try:
        return build_module(text, module, path, index, parsed)
    except AstroidSyntaxError as exc:
        cause = exc.error if isinstance(getattr(exc, "error", None), BaseException) else exc
        raise SourceError(syntax_message(cause)) from None
    except (AstroidBuildingError, RecursionError, MemoryError, ValueError) as exc:
        raise SourceError(syntax_message(exc)) from None


def catalog_fingerprint() -> str:
    """The rule YAML files' bytes: a changed message or severity must not be served from the cache."""
    from djvet.catalog import catalog_dir

    try:
        return fingerprint((p.name, sha256_bytes(p.read_bytes())) for p in catalog_dir().glob("*.yaml"))
    except OSError:
        return "unreadable"


def _hash_file(name: str) -> str:
    try:
        with open(name, "rb") as handle:
            return sha256_bytes(handle.read())
    except OSError:
        return "unreadable"


def hash_tree(directories: Iterable[Path]) -> str:
    """A fingerprint of every file below the folders (and of which folders exist)."""
    out: dict[str, str] = {}
    for directory in map(str, directories):
        out[f"dir:{directory}"] = "exists" if os.path.isdir(directory) else "missing"
        for dirpath, dirnames, filenames in os.walk(directory):
            dirnames[:] = sorted(d for d in dirnames if not is_pruned(d, Path(dirpath, d)))
            for filename in filenames:
                name = os.path.join(dirpath, filename)
                out[name] = _hash_file(name)
    return fingerprint(out.items())


def requirements_digest(root: Path) -> str:
    """A fingerprint of the requirement and lock files the index reads versions from."""
    return fingerprint((str(path), _hash_file(str(path))) for path in requirement_files(root))


def scan_project(root: Path) -> dict[str, str]:
    """The content hash of every Python file below the root (migrations included), by relative path."""
    top = str(root)
    cut = len(top) + (0 if top.endswith(os.sep) else 1)
    return {name[cut:].replace(os.sep, "/"): _hash_file(name) for name in python_file_names(top)}


FileResult = tuple[list[Finding], list[FileError]]
Stamp = tuple[str, tuple[tuple[str, object, str], ...]]


class Project:
    """One project root: its configuration, its index and the enabled rules."""

    def __init__(
        self,
        root: Path,
        config: Config,
        overrides: Mapping[str, str] | None = None,
        cache: Cache | None = None,
        hashes: Mapping[str, str] | None = None,
        targets: Iterable[Path] | None = None,
        keep_index: bool = False,
    ) -> None:
        from djvet.catalog import default_catalog
        from djvet.engine import Dispatcher
        from djvet.index.build import Trees, build_index

        self.root = root
        self.config = config
        self.catalog = default_catalog()
        # Unsaved text (the editor) is never cached: cache only the project's own files.
        self.cache = cache if not overrides else None
        self.hashes: dict[str, str] = dict(hashes or {})
        # the `ast` trees the index parses for the files about to be checked (`targets`): each
        # file's astroid tree is built from it instead of parsing the file a second time
        self.trees = Trees(relpath(p, root) for p in targets) if targets is not None else None
        if self.cache is not None and hashes:
            # `hashes` is the run's scan of every Python file: the last whole-project run's
            # linked index is reused while every file has the facts it was linked from
            from djvet.index.linked import linked_index

            self.index: ProjectIndex = linked_index(root, config.settings_module, self.cache, self.hashes, keep_index, self.trees)
        else:
            self.index = build_index(root, config.settings_module, overrides, self.cache, self.hashes, self.trees)
        self.rules = make_rules(config, self.catalog)
        self.dispatcher = Dispatcher(self.rules)
        self.base_key = self._base_key() if self.cache is not None else ""
        self._digests: Digests | None = None
        if self.cache is not None:
            from djvet.astro.stars import star_names

            star_names(self.index).attach(self.cache, self.digests)

    def save_memos(self) -> None:
        """Write what this run computed that a later run can reuse when still valid (with the cache)."""
        if self.cache is not None:
            from djvet.astro.stars import star_names

            star_names(self.index).save()

    def _base_key(self) -> str:
        """What every file's findings depend on besides its own text and its recorded index reads."""
        codes = tuple(sorted(enabled_codes(self.config, self.catalog)))
        return digest("findings", code_stamp(), codes, repr(self.config), catalog_fingerprint())

    @property
    def digests(self) -> Digests:
        if self._digests is None:
            from djvet.index.deps import Digests

            self._digests = Digests(self.index, self._module_hash, self._project_digest, self._template_digest)
        return self._digests

    def _module_hash(self, module: str) -> str:
        info = self.index.modules.get(module)
        if info is None:
            return "missing"
        if info.path not in self.hashes:
            try:
                self.hashes[info.path] = sha256_bytes((self.root / info.path).read_bytes())
            except OSError:
                self.hashes[info.path] = "unreadable"
        return self.hashes[info.path]

    def template_dirs(self) -> tuple[Path, ...]:
        from djvet.index.templates import template_dirs

        return template_dirs(self.index)

    def _template_digest(self) -> str:
        return hash_tree(self.template_dirs())

    def _project_digest(self) -> str:
        return digest(fingerprint(scan_project(self.root).items()), self._template_digest())

    def is_excluded(self, path: Path) -> bool:
        rel = relpath(path, self.root)
        return matches_any(rel, DEFAULT_EXCLUDES + self.config.exclude)

    def context(self, path: Path, text: str, shown: str, index: ProjectIndex | None = None) -> ModuleContext:
        from djvet.engine import ModuleContext

        index = self.index if index is None else index
        rel = relpath(path, self.root)
        module = index.paths.get(rel) or module_name(path, self.root)[0]
        return ModuleContext(
            path=shown,
            relpath=rel,
            module=module,
            text=text,
            index=index,
            kinds=file_kinds(rel),
            sensitive_fields=self.config.sensitive_fields,
            not_sensitive_fields=self.config.not_sensitive_fields,
            settings_module=self.config.settings_module,
        )

    def check_tree(self, tree: nodes.Module, ctx: ModuleContext, rules: list[Rule] | None = None) -> FileResult:
        from djvet.engine import Dispatcher

        dispatcher = self.dispatcher if rules is None else Dispatcher(rules)
        findings, errors = dispatcher.run(tree, ctx, ctx.path)
        findings = [f for f in findings if not ignored_for_path(self.config, ctx.relpath, f.code)]
        return findings, errors

    def check_file(self, path: Path) -> FileResult:
        cached = self.cached_result(path)
        if cached is not None:
            return cached
        findings, errors, stamped = self.check_recorded(path)
        self.store_result(path, findings, errors, stamped)
        return findings, errors

    def _entry_address(self, path: Path, content: str | None = None) -> tuple[str, str] | None:
        try:
            rel = relpath(path, self.root)
            content = content or self.hashes.get(rel) or sha256_bytes(path.read_bytes())
        except (OSError, ValueError):
            return None
        shown = display_path(path)
        return f"{rel}\0{shown}", digest(self.base_key, content, rel, shown)

    def cached_result(self, path: Path) -> FileResult | None:
        """The file's findings from the cache, when its text and every index read it made match."""
        if self.cache is None:
            return None
        address = self._entry_address(path)
        if address is None:
            return None
        hit, value = self.cache.get("findings", *address)
        if not (hit and _is_entry(value)):
            return None
        assert isinstance(value, tuple)  # checked by _is_entry
        if not self.digests.still_valid(value[0]):
            return None
        return list(value[1]), list(value[2])

    def store_result(self, path: Path, findings: list[Finding], errors: list[FileError], stamp: Stamp | None) -> None:
        if self.cache is None or stamp is None or any(e.internal for e in errors):
            return  # a djvet bug is reported afresh, never remembered
        content, stamped = stamp
        address = self._entry_address(path, content)  # the bytes the check read, not the earlier scan's
        if address is not None:
            self.cache.put("findings", *address, (stamped, tuple(findings), tuple(errors)))

    def check_recorded(self, path: Path) -> tuple[list[Finding], list[FileError], Stamp | None]:
        """Check a file, recording the index reads its findings depend on (with the cache on):
        (findings, errors, (content hash of the bytes checked, the reads with their digests))."""
        if self.cache is None:
            return (*self._check_file(path), None)
        from djvet.index.deps import Recording, track

        with Recording() as reads:
            findings, errors = self._check_file(path, track(self.index))
        content = self.hashes.get(relpath(path, self.root), "unreadable")
        return findings, errors, (content, self.digests.stamp(reads))

    def _check_file(self, path: Path, index: ProjectIndex | None = None) -> FileResult:
        shown = display_path(path)
        try:
            try:
                data, text = read_source_bytes(path)
            finally:
                if self.cache is not None:
                    self.hashes.pop(relpath(path, self.root), None)
            if self.cache is not None:
                self.hashes[relpath(path, self.root)] = sha256_bytes(data)
            ctx = self.context(path, text, shown, index)
            parsed = self.trees.take(ctx.relpath, text) if self.trees is not None else None
            applicable = [r for r in self.rules if r.applies_to(ctx)]
            if not applicable:
                # Nothing can fire: skip the astroid build, but a file that does not parse is still reported.
                if ctx.relpath not in ctx.index.paths:
                    parse_source(text, shown)
                return [], []
            tree = build_tree(text, ctx.module, str(path), ctx.index, parsed)
        except SourceError as exc:
            return [], [FileError(shown, str(exc))]
        return self.check_tree(tree, ctx, applicable if len(applicable) < len(self.rules) else None)


def _is_entry(value: object) -> bool:
    return (
        isinstance(value, tuple)
        and len(value) == 3
        and isinstance(value[0], tuple)
        and isinstance(value[1], tuple)
        and isinstance(value[2], tuple)
        and all(isinstance(f, Finding) for f in value[1])
        and all(isinstance(e, FileError) for e in value[2])
    )


def load_project_config(root: Path, options: Mapping[str, object]) -> Config:
    config = load_config(root, display_path(root / "pyproject.toml") if (root / "pyproject.toml").exists() else None)
    return config.merged(**options)


def open_project(
    root: Path,
    options: Mapping[str, object],
    overrides: Mapping[str, str] | None = None,
    cache: bool = False,
    hashes: Mapping[str, str] | None = None,
    targets: Iterable[Path] | None = None,
    keep_index: bool = False,
) -> Project:
    from djvet.catalog import cached_catalog

    config = load_config(root, display_path(root / "pyproject.toml") if (root / "pyproject.toml").exists() else None)
    store = Cache.open(root) if cache and not overrides else None
    catalog = cached_catalog(store)
    where = config.source or "pyproject.toml"
    validate_selectors(config.select or (), catalog, f"{where}: [tool.djvet] select")
    validate_selectors(config.ignore, catalog, f"{where}: [tool.djvet] ignore")
    for pattern, codes in config.per_file_ignores.items():
        validate_selectors(codes, catalog, f"{where}: [tool.djvet] per-file-ignores.{pattern}")
    config = config.merged(**options)
    validate_selectors(tuple(options.get("select") or ()), catalog, "--select")  # type: ignore[arg-type]
    validate_selectors(tuple(options.get("ignore") or ()), catalog, "--ignore")  # type: ignore[arg-type]
    return Project(root, config, overrides, store, hashes, targets, keep_index)


def collect_targets(paths: Iterable[Path], scans: dict[Path, dict[str, str]] | None = None) -> dict[Path, list[Path]]:
    """Files to check, grouped by project root, in a stable order. With `scans`, each root's
    `scan_project` is made once and reused when the root itself is a target."""
    groups: dict[Path, list[Path]] = {}
    for path in paths:
        if not path.exists():
            raise UsageError(f"{path}: no such file or directory")
        root = find_root(path)
        if not path.is_dir():
            files = [path.resolve()]
        elif scans is not None and path.resolve() == root:
            if root not in scans:
                scans[root] = scan_project(root)
            files = [root / rel for rel in scans[root]]
        else:
            files = [Path(p) for p in python_file_names(str(path.resolve()))]
        groups.setdefault(root, []).extend(files)
    return {root: sorted(set(files)) for root, files in sorted(groups.items())}


@dataclass
class RootResult:
    targets: list[str]  # display paths of the files checked
    findings: list[Finding]
    errors: list[FileError]
    fail_on: str


class RunRecord:
    """The warm path: the whole result of the last run over the same targets, valid while every
    Python file of the project, the template folders, djvet, its rules and the configuration are
    byte-for-byte what they were, and so are the requirement files (the Django version they state
    changes what some rules report). One cache read; no index, no astroid."""

    def __init__(self, cache: Cache, root: Path, config: Config, targets: list[str], hashes: Mapping[str, str]) -> None:
        self.cache = cache
        self.targets = targets
        self.slot = digest("run", str(root), os.getcwd(), tuple(targets), repr(config))
        self.key = digest(code_stamp(), catalog_fingerprint(), fingerprint(hashes.items()), requirements_digest(root))

    def load(self) -> tuple[list[Finding], list[FileError]] | None:
        hit, value = self.cache.get("run", self.slot, self.key)
        if not hit or not (isinstance(value, tuple) and len(value) == 3 and _is_entry((value[0], value[1], value[2]))):
            return None
        dirs, findings, errors = value
        if not (len(dirs) == 2 and isinstance(dirs[1], str) and all(isinstance(d, str) for d in dirs[0])):
            return None
        if hash_tree(Path(d) for d in dirs[0]) != dirs[1]:
            return None
        return list(findings), list(errors)

    def save(self, template_dirs: tuple[Path, ...], template_digest: str, findings: list[Finding], errors: list[FileError]) -> None:
        if any(e.internal for e in errors):
            return
        dirs = (tuple(str(d) for d in template_dirs), template_digest)
        self.cache.put("run", self.slot, self.key, (dirs, tuple(findings), tuple(errors)))


@contextmanager
def _index_outside_gc() -> Iterator[Callable[[], None]]:
    """Build the index with Python's cyclic collector off, then (calling the function yielded)
    move it out of the collector's view until the block ends. The index is a few hundred
    thousand long-lived objects without reference cycles (facts, tuples, strings; freed by
    reference counting as usual): every full collection traversed all of them, which was 40%
    of a pre-commit run on netbox (the index loaded from the cache). Objects made after it,
    astroid trees with their parent links, are collected as before. Skipped when the caller
    froze objects itself (gc.freeze is process-wide)."""
    if gc.get_freeze_count():
        yield lambda: None
        return
    enabled = gc.isenabled()
    frozen = False

    def built() -> None:
        nonlocal frozen
        gc.freeze()
        frozen = True
        if enabled:
            gc.enable()

    gc.disable()
    try:
        yield built
    finally:
        if enabled:
            gc.enable()
        if frozen:
            gc.unfreeze()


def check_root(
    root: Path, files: list[Path], options: Mapping[str, object], cache: bool, jobs: int | str | None, scan: dict[str, str] | None = None
) -> RootResult:
    store = Cache.open(root) if cache else None
    record: RunRecord | None = None
    hashes: dict[str, str] | None = None
    if store is not None:
        config = load_project_config(root, options)
        excludes = DEFAULT_EXCLUDES + config.exclude
        targets = [p for p in files if not matches_any(relpath(p, root), excludes)]
        hashes = scan if scan is not None else scan_project(root)
        record = RunRecord(store, root, config, display_paths(root, targets), hashes)
        warm = record.load()
        if warm is not None:
            return RootResult(record.targets, warm[0], warm[1], config.fail_on)
    with _index_outside_gc() as built:
        # a run over the whole project (not pre-commit's few files) keeps its linked index for later runs
        project = open_project(root, options, cache=cache, hashes=hashes, targets=files, keep_index=scan is not None)
        built()
        targets = [p for p in files if not project.is_excluded(p)]
        findings: list[Finding] = []
        errors: list[FileError] = []
        from djvet.jobs import check_files, resolve_jobs

        for found, failed in check_files(project, targets, resolve_jobs(jobs if jobs is not None else project.config.jobs)):
            findings.extend(found)
            errors.extend(failed)
    project.save_memos()
    if record is not None:
        record.save(project.template_dirs(), project._template_digest(), findings, errors)
        store.prune(keep=len(hashes or ()) * 2 + 64)  # type: ignore[union-attr]
    return RootResult([display_path(p) for p in targets], findings, errors, project.config.fail_on)


def check_paths(
    paths: Iterable[Path], options: Mapping[str, object] | None = None, cache: bool = True, jobs: int | str | None = None
) -> Report:
    """`cache`: use `<root>/.djvet_cache/` (unless DJVET_NO_CACHE is set); `jobs`: worker processes
    for the files that must be checked, a number or "auto" (default: `[tool.djvet] jobs`, else 1; the
    output is the same for any number)."""
    started = time.perf_counter()
    options = options or {}
    report = Report()
    scans: dict[Path, dict[str, str]] | None = {} if cache else None
    for root, files in collect_targets(paths, scans).items():
        result = check_root(root, files, options, cache, jobs, (scans or {}).get(root))
        report.fail_on = result.fail_on
        report.files += len(result.targets)
        report.findings.extend(result.findings)
        report.errors.extend(result.errors)
        for shown in result.targets:
            report.fail_on_by_path[shown] = result.fail_on
    report.findings.sort(key=Finding.sort_key)
    report.errors.sort(key=lambda e: (e.path, e.message))
    report.seconds = round(time.perf_counter() - started, 2)
    return report
