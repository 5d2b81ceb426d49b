"""Check paths: group files by project root, build each project's index once, run the engine."""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from astroid import nodes
from astroid.builder import AstroidBuilder
from astroid.exceptions import AstroidBuildingError, AstroidSyntaxError
from astroid.manager import AstroidManager

from djvet.cache import Cache, code_stamp, digest, fingerprint, sha256_bytes
from djvet.catalog import RuleMeta, catalog_dir, default_catalog
from djvet.config import Config, enabled_codes, ignored_for_path, load_config, validate_selectors
from djvet.engine import Dispatcher, ModuleContext
from djvet.finding import FileError, Finding
from djvet.index import ProjectIndex, build_index
from djvet.index.discover import (
    DEFAULT_EXCLUDES,
    file_kinds,
    find_root,
    is_pruned,
    iter_python_files,
    matches_any,
    module_name,
    relpath,
)
from djvet.index.source import SourceError, parse_source, read_source, syntax_message
from djvet.rule import Rule, load_rule_classes


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


def make_rules(config: Config, catalog: Mapping[str, RuleMeta]) -> list[Rule]:
    classes = load_rule_classes()
    return [classes[code](catalog[code]) for code in enabled_codes(config, catalog) if code in classes]


def build_tree(text: str, module: str, path: str) -> nodes.Module:
    """An astroid tree from text; raises SourceError with a message for the user."""
    try:
        return AstroidBuilder(AstroidManager()).string_build(text, module, path)
    except AstroidSyntaxError as exc:
        cause = exc.error if isinstance(getattr(exc, "error", None), BaseException) else exc
        raise SourceError(syntax_message(cause)) from None
    except (AstroidBuildingError, RecursionError, MemoryError, ValueError) as exc:
        raise SourceError(syntax_message(exc)) from None


class Project:
    """One project root: its configuration, its index and the enabled rules."""

    def __init__(
        self, root: Path, config: Config, overrides: Mapping[str, str] | None = None, cache: Cache | None = None
    ) -> None:
        self.root = root
        self.config = config
        self.catalog = default_catalog()
        # Unsaved text (the editor) is never cached: cache only the project's own files.
        self.cache = cache if not overrides else None
        hashes: dict[str, str] = {}
        self.index: ProjectIndex = build_index(root, config.settings_module, overrides, self.cache, hashes)
        self.rules = make_rules(config, self.catalog)
        self.dispatcher = Dispatcher(self.rules)
        self.findings_key = self._findings_key(hashes) if self.cache is not None else ""

    def _findings_key(self, hashes: Mapping[str, str]) -> str:
        """What every file's findings depend on besides its own text. Coarse on purpose: the project
        fingerprint covers every Python file and every template the rules may read, so any change
        anywhere re-checks everything and an entry can never be stale. (Finer invalidation, by the
        facts each file actually depends on, is later work.)"""
        codes = tuple(sorted(enabled_codes(self.config, self.catalog)))
        try:
            catalog = fingerprint((p.name, sha256_bytes(p.read_bytes())) for p in catalog_dir().glob("*.yaml"))
        except OSError:
            catalog = "unreadable"
        project = fingerprint([*hashes.items(), *self._template_hashes()])
        return digest("findings", code_stamp(), codes, repr(self.config), catalog, project)

    def _template_hashes(self) -> list[tuple[str, str]]:
        """(path, content hash) of every file in the folders templates are looked up in."""
        from djvet.index.templates import _search_dirs

        out: dict[str, str] = {}
        for directory in _search_dirs(self.index)[0]:
            out[f"dir:{directory}"] = "exists" if directory.is_dir() else "missing"
            for dirpath, dirnames, filenames in os.walk(directory):
                folder = Path(dirpath)
                dirnames[:] = sorted(d for d in dirnames if not is_pruned(d, folder / d))
                for filename in filenames:
                    path = folder / filename
                    try:
                        out[str(path)] = sha256_bytes(path.read_bytes())
                    except OSError:
                        out[str(path)] = "unreadable"
        return sorted(out.items())

    def is_excluded(self, path: Path) -> bool:
        rel = relpath(path, self.root)
        return matches_any(rel, DEFAULT_EXCLUDES + self.config.exclude)

    def context(self, path: Path, text: str, shown: str) -> ModuleContext:
        rel = relpath(path, self.root)
        module = self.index.paths.get(rel) or module_name(path, self.root)[0]
        return ModuleContext(
            path=shown,
            relpath=rel,
            module=module,
            text=text,
            index=self.index,
            kinds=file_kinds(rel),
            sensitive_fields=self.config.sensitive_fields,
            not_sensitive_fields=self.config.not_sensitive_fields,
            settings_module=self.config.settings_module,
        )

    def check_tree(self, tree: nodes.Module, ctx: ModuleContext, rules: list[Rule] | None = None) -> tuple[list[Finding], list[FileError]]:
        dispatcher = self.dispatcher if rules is None else Dispatcher(rules)
        findings, errors = dispatcher.run(tree, ctx, ctx.path)
        findings = [f for f in findings if not ignored_for_path(self.config, ctx.relpath, f.code)]
        return findings, errors

    def check_file(self, path: Path) -> tuple[list[Finding], list[FileError]]:
        if self.cache is None:
            return self._check_file(path)
        shown = display_path(path)
        try:
            rel = relpath(path, self.root)
            content = sha256_bytes(path.read_bytes())
        except (OSError, ValueError):
            return self._check_file(path)
        slot = f"{rel}\0{shown}"
        key = digest(self.findings_key, content, rel, shown)
        hit, value = self.cache.get("findings", slot, key)
        if hit and _is_result(value):
            findings, errors = value  # type: ignore[misc]
            return list(findings), list(errors)
        findings, errors = self._check_file(path)
        if not any(e.internal for e in errors):  # a djvet bug is reported afresh, never remembered
            self.cache.put("findings", slot, key, (tuple(findings), tuple(errors)))
        return findings, errors

    def _check_file(self, path: Path) -> tuple[list[Finding], list[FileError]]:
        shown = display_path(path)
        try:
            text = read_source(path)
            ctx = self.context(path, text, shown)
            applicable = [r for r in self.rules if r.applies_to(ctx)]
            if not applicable:
                # Nothing can fire: skip the astroid build, but a file that does not parse is still reported.
                if ctx.relpath not in self.index.paths:
                    parse_source(text, shown)
                return [], []
            tree = build_tree(text, ctx.module, str(path))
        except SourceError as exc:
            return [], [FileError(shown, str(exc))]
        return self.check_tree(tree, ctx, applicable if len(applicable) < len(self.rules) else None)


def _is_result(value: object) -> bool:
    return (
        isinstance(value, tuple)
        and len(value) == 2
        and isinstance(value[0], tuple)
        and isinstance(value[1], tuple)
        and all(isinstance(f, Finding) for f in value[0])
        and all(isinstance(e, FileError) for e in value[1])
    )


def open_project(
    root: Path, options: Mapping[str, object], overrides: Mapping[str, str] | None = None, cache: bool = False
) -> Project:
    config = load_config(root, display_path(root / "pyproject.toml") if (root / "pyproject.toml").exists() else None)
    catalog = default_catalog()
    where = config.source or "pyproject.toml"
    validate_selectors(config.select or (), catalog, f"{where}: [tool.djvet] select")
    validate_selectors(config.ignore, catalog, f"{where}: [tool.djvet] ignore")
    for pattern, codes in config.per_file_ignores.items():
        validate_selectors(codes, catalog, f"{where}: [tool.djvet] per-file-ignores.{pattern}")
    config = config.merged(**options)
    validate_selectors(tuple(options.get("select") or ()), catalog, "--select")  # type: ignore[arg-type]
    validate_selectors(tuple(options.get("ignore") or ()), catalog, "--ignore")  # type: ignore[arg-type]
    return Project(root, config, overrides, Cache.open(root) if cache and not overrides else None)


def collect_targets(paths: Iterable[Path]) -> dict[Path, list[Path]]:
    """Files to check, grouped by project root, in a stable order."""
    groups: dict[Path, list[Path]] = {}
    for path in paths:
        if not path.exists():
            raise UsageError(f"{path}: no such file or directory")
        root = find_root(path)
        files = list(iter_python_files(path.resolve())) if path.is_dir() else [path.resolve()]
        groups.setdefault(root, []).extend(files)
    return {root: sorted(set(files)) for root, files in sorted(groups.items())}


def check_paths(paths: Iterable[Path], options: Mapping[str, object] | None = None, cache: bool = True) -> Report:
    """`cache`: use `<root>/.djvet_cache/` (unless DJVET_NO_CACHE is set)."""
    started = time.perf_counter()
    options = options or {}
    report = Report()
    for root, files in collect_targets(paths).items():
        project = open_project(root, options, cache=cache)
        report.fail_on = project.config.fail_on
        for path in files:
            if project.is_excluded(path):
                continue
            report.files += 1
            report.fail_on_by_path[display_path(path)] = project.config.fail_on
            findings, errors = project.check_file(path)
            report.findings.extend(findings)
            report.errors.extend(errors)
    report.findings.sort(key=Finding.sort_key)
    report.errors.sort(key=lambda e: (e.path, e.message))
    report.seconds = round(time.perf_counter() - started, 2)
    return report
