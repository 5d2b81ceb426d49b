"""One astroid walk per module, dispatching each node to the enabled rules that subscribe to it."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from astroid import nodes

from djvet.catalog import RuleMeta
from djvet.finding import FileError, Finding, disambiguate_fingerprints, make_fingerprint
from djvet.index.facts import ProjectIndex
from djvet.rule import Hit, Rule
from djvet.suppress import collect_noqa, is_suppressed

Handler = Callable[[nodes.NodeNG, "ModuleContext"], Iterable[Hit]]
_DEF_NODES = (nodes.ClassDef, nodes.FunctionDef, nodes.AsyncFunctionDef)


@dataclass
class ModuleContext:
    """What a rule may know while checking one module."""

    path: str  # as shown to the user (relative to the current directory)
    relpath: str  # relative to the project root: the index's key
    module: str  # the module's dotted name in the index
    text: str
    index: ProjectIndex
    kinds: frozenset[str] = frozenset()
    lines: list[str] = field(default_factory=list)
    # `[tool.djvet] sensitive-fields` / `not-sensitive-fields` (DJV3xx): names or fnmatch patterns
    sensitive_fields: tuple[str, ...] = ()
    not_sensitive_fields: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.lines:
            self.lines = self.text.splitlines()

    def qualname(self, node: nodes.NodeNG) -> str:
        """The index's qualified name of a class or function node (or the module's, for others)."""
        names = []
        current: nodes.NodeNG | None = node
        while current is not None and not isinstance(current, nodes.Module):
            if isinstance(current, _DEF_NODES):
                names.append(current.name)
            current = current.parent
        return ".".join([self.module, *reversed(names)])

    def scope_name(self, node: nodes.NodeNG) -> str:
        """The enclosing qualified name within the module, for fingerprints."""
        target = node if isinstance(node, _DEF_NODES) else node.frame()
        qualname = self.qualname(target)
        return qualname[len(self.module) + 1 :]

    def char_column(self, line: int, byte_offset: int) -> int:
        """astroid columns are UTF-8 byte offsets; findings count characters."""
        if not 0 < line <= len(self.lines):
            return byte_offset
        text = self.lines[line - 1]
        if text.isascii():
            return byte_offset
        return len(text.encode("utf-8")[:byte_offset].decode("utf-8", errors="ignore"))


def _span(node: nodes.NodeNG, ctx: ModuleContext) -> tuple[int, int, int, int]:
    line = node.lineno or 1
    column = ctx.char_column(line, node.col_offset or 0)
    if isinstance(node, _DEF_NODES):
        # A class or function is reported on its header line, not over its whole body.
        header = ctx.lines[line - 1] if 0 < line <= len(ctx.lines) else ""
        return line, column, line, len(header.rstrip())
    end_line = node.end_lineno or line
    end_column = ctx.char_column(end_line, node.end_col_offset if node.end_col_offset is not None else 0)
    return line, column, end_line, end_column


class Dispatcher:
    def __init__(self, rules: Sequence[Rule]) -> None:
        self.table: dict[type[nodes.NodeNG], list[tuple[Rule, Handler]]] = {}
        for rule in rules:
            for node_type, attr in rule.handlers():
                self.table.setdefault(node_type, []).append((rule, getattr(rule, attr)))

    def run(self, tree: nodes.Module, ctx: ModuleContext, display_path: str) -> tuple[list[Finding], list[FileError]]:
        findings: list[Finding] = []
        errors: list[FileError] = []
        broken: set[str] = set()
        noqa = collect_noqa(ctx.text)
        stack: list[nodes.NodeNG] = [tree]
        while stack:  # iterative: deep nesting must not exhaust the interpreter's stack
            node = stack.pop()
            for rule, handler in self.table.get(type(node), ()):
                if rule.meta.code in broken:
                    continue
                try:
                    for hit in handler(node, ctx):
                        finding = _finding(rule, hit, ctx, display_path)
                        if not is_suppressed(noqa, finding.line, finding.code):
                            findings.append(finding)
                except Exception as exc:  # one rule failing on one file must not stop the others
                    broken.add(rule.meta.code)
                    where = f"line {node.lineno}" if node.lineno else "module"
                    errors.append(
                        FileError(
                            display_path,
                            f"internal error in {rule.meta.code} ({rule.meta.name}) at {where}: "
                            f"{type(exc).__name__}: {exc}",
                            internal=True,
                        )
                    )
            stack.extend(reversed(list(node.get_children())))
        return disambiguate_fingerprints(findings), errors


def _finding(rule: Rule, hit: Hit, ctx: ModuleContext, display_path: str) -> Finding:
    meta = rule.meta
    line, column, end_line, end_column = _span(hit.node, ctx)
    source = "\n".join(ctx.lines[line - 1 : min(end_line, line + 4)])
    return Finding(
        code=meta.code,
        name=meta.name,
        severity=hit.severity or meta.severity,
        confidence=hit.confidence or meta.confidence,
        path=display_path,
        line=line,
        column=column + 1,
        end_line=end_line,
        end_column=end_column + 1,
        message=meta.message.format(**hit.args),
        fingerprint=make_fingerprint(meta.code, ctx.relpath, ctx.scope_name(hit.node), source),
        fixable=meta.fix is not None and hit.edit is not None if _needs_edit(meta) else meta.fix is not None,
        fix_title=meta.fix.title.format(**hit.args) if meta.fix is not None else None,
        edit=hit.edit,
    )


def _needs_edit(meta: RuleMeta) -> bool:
    """Rules whose fix title has placeholders fix through an Edit the rule computed."""
    return meta.fix is not None and "{" in meta.fix.title
