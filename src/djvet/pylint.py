"""The pylint plugin: djvet's findings as pylint messages, computed by the same engine as `djvet check`.

Load it with `pylint --load-plugins=djvet.pylint` (also the `pylint.plugins` entry point `djvet`).
Which rules run is decided by `[tool.djvet]`, exactly as for `djvet check`; pylint's own
enable/disable options and pragmas then hide messages like any other pylint message."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from astroid import nodes
from pylint.checkers import BaseChecker
from pylint.constants import WarningScope
from pylint.interfaces import HIGH, INFERENCE, UNDEFINED

from djvet.catalog import RuleMeta, default_catalog
from djvet.config import ConfigError
from djvet.finding import FileError, Finding
from djvet.index.discover import find_root, relpath
from djvet.index.source import SourceError, decode_source, read_source
from djvet.rule import Rule
from djvet.runner import Project, build_tree, display_path, open_project, scan_project

if TYPE_CHECKING:
    from pylint.lint import PyLinter

# Every checker is named "djvet" (pylint allows several checkers to share a name), so
# `--disable=djvet` / `--enable=djvet` switch all of djvet's messages at once.
CHECKER_NAME = "djvet"

# pylint's "I" (info) category suits djvet's info severity: its messages are shown by default
# (pylint hides only its own I messages, each marked default_enabled=False), and like
# `djvet check --fail-on warning` (the default) they do not change pylint's exit status or score.
SEVERITY_LETTERS = {"error": "E", "warning": "W", "info": "I"}
CONFIDENCES = {"high": HIGH, "inference": INFERENCE}

# djvet's own trouble gets checker id 69: family digits are 1-8, and pylint's optional
# extensions already use 60-63 (typing, code_style, set_membership, no_self_use).
INTERNAL_ERROR = "djvet-internal-error"
CONFIG_ERROR = "djvet-config-error"
INTERNAL_MSGS = {
    "F6901": (
        "%s",
        INTERNAL_ERROR,
        "djvet could not finish checking this module: a rule failed on it (the other rules' "
        "messages are still reported; `djvet check` lists the same failure under errors), or djvet "
        "itself failed.",
        {"scope": WarningScope.LINE},
    ),
    "F6902": (
        "%s",
        CONFIG_ERROR,
        "The project's `[tool.djvet]` configuration is invalid, so djvet did not check this module.",
        {"scope": WarningScope.LINE},
    ),
}


# A finding whose severity its rule lowered (`Hit.severity`: an insecure value that is only the
# default of an environment read) keeps the rule's message id, and so the category of the rule's
# YAML severity: pylint ties a message's category to its id, and one id per rule keeps both
# frontends naming a finding the same way. `djvet check` (JSON, SARIF, GitHub, --fail-on) reports
# the lowered severity; the message text says why ("defaults to `True` when `DEBUG` is not set").
def message_id(meta: RuleMeta) -> str:
    """Severity letter, 6, family digit, last two digits of the code: DJV301 (warning) is W6301."""
    return f"{SEVERITY_LETTERS[meta.severity]}6{meta.family}{meta.code[-2:]}"


def family_msgs(metas: Sequence[RuleMeta]) -> dict[str, tuple[str, str, str, dict[str, object]]]:
    return {
        message_id(meta): (
            "%s",  # the finding's message, already formatted by the engine
            meta.name,
            f"{meta.summary} ({meta.code}). {meta.docs.what}",
            {"scope": WarningScope.LINE},
        )
        for meta in sorted(metas, key=lambda m: m.code)
    }


@dataclass
class ModuleResult:
    findings: list[Finding] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)
    config_error: str | None = None


class Analysis:
    """Runs djvet once per module for all of the plugin's checkers; one Project per root per run."""

    def __init__(self, linter: PyLinter, catalog: Mapping[str, RuleMeta]) -> None:
        self.linter = linter
        self.msgids = {code: message_id(meta) for code, meta in catalog.items()}
        self.projects: dict[Path, Project | ConfigError] = {}
        self.module: nodes.Module | None = None
        self.result = ModuleResult()

    def results_for(self, module: nodes.Module) -> ModuleResult:
        # Checkers visit the same module one after another; only the first one runs the engine.
        if module is not self.module:
            self.module = module
            try:
                self.result = self.analyze(module)
            except Exception as exc:  # a djvet bug must not abort pylint's other checkers on this module
                shown = display_path(Path(module.file)) if module.file else module.name
                message = f"internal error in djvet: {type(exc).__name__}: {exc}"
                self.result = ModuleResult(errors=[FileError(shown, message, internal=True)])
        return self.result

    def project(self, root: Path) -> Project | ConfigError:
        if root not in self.projects:
            try:
                # The same .djvet_cache/ as `djvet check`: the last whole-project run's linked index
                # is reused while the files' facts are what it was built from (else it is linked
                # again from cached per-file facts), so linting one file of a large project does
                # not re-read the whole project.
                self.projects[root] = open_project(root, {}, cache=True, hashes=scan_project(root))
            except ConfigError as exc:
                self.projects[root] = exc
        return self.projects[root]

    def analyze(self, module: nodes.Module) -> ModuleResult:
        if not module.file:
            return ModuleResult()
        path = Path(module.file).resolve()
        shown = display_path(path)
        try:
            text = module_text(module)
        except SourceError as exc:
            return ModuleResult(errors=[FileError(shown, str(exc))])
        root = find_root(path)
        project = self.project(root)
        if isinstance(project, ConfigError):
            return ModuleResult(config_error=str(project))
        if project.is_excluded(path):
            return ModuleResult()
        if module.file_bytes is not None and not is_on_disk(path, text):
            # An editor's unsaved buffer (--from-stdin): the index must see it instead of the file.
            project = open_project(root, {}, overrides={relpath(path, root): text})
        elif project.cache is not None and module.name == project.index.paths.get(relpath(path, root), module.name):
            cached = project.cached_result(path)  # what `djvet check` found for these bytes, still valid
            if cached is not None:
                wanted = {r.meta.code for r in project.rules if self.is_wanted(r)}
                return ModuleResult(findings=[f for f in cached[0] if f.code in wanted], errors=cached[1])
        ctx = project.context(path, text, shown)
        rules = [r for r in project.rules if self.is_wanted(r) and r.applies_to(ctx)]
        if not rules:
            return ModuleResult()
        tree = module
        if module.name != ctx.module:
            # pylint named the module differently (another sys.path root); build the tree
            # `djvet check` would, so inference resolves relative imports the same way.
            try:
                tree = build_tree(text, ctx.module, str(path), ctx.index)
            except SourceError as exc:
                return ModuleResult(errors=[FileError(shown, str(exc))])
        findings, errors = project.check_tree(tree, ctx, rules if len(rules) < len(project.rules) else None)
        return ModuleResult(findings=findings, errors=errors)

    def is_wanted(self, rule: Rule) -> bool:
        """Skip rules whose message is disabled for the whole run (pragmas are applied later)."""
        return self.linter.is_message_enabled(self.msgids[rule.meta.code])


def module_text(module: nodes.Module) -> str:
    """The exact text pylint parsed: the file's bytes, or the --from-stdin buffer."""
    with module.stream() as stream:
        data = stream.read()
    if module.file_bytes is not None:
        # astroid's string_build stores the buffer encoded as UTF-8, whatever its coding cookie says.
        text = data.decode("utf-8")
        return text[1:] if text.startswith("\ufeff") else text
    return decode_source(data)


def is_on_disk(path: Path, text: str) -> bool:
    try:
        return read_source(path) == text
    except SourceError:
        return False


class DjvetChecker(BaseChecker):
    """Reports one djvet rule family's findings (or, for family None, djvet's own errors)."""

    name = CHECKER_NAME

    def __init__(
        self,
        linter: PyLinter,
        analysis: Analysis,
        family: str | None,
        msgs: dict[str, tuple[str, str, str, dict[str, object]]],
    ) -> None:
        self.msgs = msgs  # type: ignore[assignment]  # per instance: one checker id per family
        super().__init__(linter)
        self.analysis = analysis
        self.family = family

    def visit_module(self, node: nodes.Module) -> None:
        result = self.analysis.results_for(node)
        if self.family is None:
            self.report_errors(result)
            return
        for finding in result.findings:
            if finding.code[3] == self.family:
                self.add_message(
                    finding.name,
                    line=finding.line,
                    col_offset=finding.column - 1,  # djvet columns are 1-based, pylint's 0-based
                    end_lineno=finding.end_line,
                    end_col_offset=finding.end_column - 1,
                    args=(finding.message,),
                    confidence=CONFIDENCES.get(finding.confidence, UNDEFINED),
                )

    def report_errors(self, result: ModuleResult) -> None:
        if result.config_error is not None:
            self.add_message(CONFIG_ERROR, line=1, col_offset=0, args=(result.config_error,))
        for error in result.errors:
            self.add_message(INTERNAL_ERROR, line=1, col_offset=0, args=(error.message,))


def register(linter: PyLinter) -> None:
    """pylint's plugin hook: one checker per rule family (pylint wants one checker id per checker)."""
    catalog = default_catalog()
    analysis = Analysis(linter, catalog)
    by_family: dict[str, list[RuleMeta]] = {}
    for meta in catalog.values():
        by_family.setdefault(meta.family, []).append(meta)
    for family, metas in sorted(by_family.items()):
        linter.register_checker(DjvetChecker(linter, analysis, family, family_msgs(metas)))
    linter.register_checker(DjvetChecker(linter, analysis, None, dict(INTERNAL_MSGS)))
