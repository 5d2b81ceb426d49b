"""The base of the settings and deployment rules (DJV5xx): each rule judges the production settings
(index.deployment) and reports in the file that writes the value, on its assignment, or on the
settings module's first statement (or its `MIDDLEWARE`) when the module leaves the setting out."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from astroid import nodes

from djvet.engine import ModuleContext
from djvet.index.deployment import (
    Deployment,
    Reading,
    SettingsTarget,
    default_deployment,
    find_deployment,
)
from djvet.index.deps import shared
from djvet.rule import Hit, Rule

LOWER = {"error": "warning", "warning": "info", "info": "info"}
_DEPLOYMENT: dict[tuple[int, str | None], tuple[object, Deployment]] = {}


@dataclass(frozen=True, slots=True)
class Issue:
    """A finding about a setting: where (a Reading's place), message values, and its severity
    (None: the rule's; an insecure value that is only an environment default is one step lower)."""

    path: str
    line: int  # 0: the target module's first statement
    args: dict[str, object] = field(default_factory=dict)
    severity: str | None = None


def deployment(ctx: ModuleContext) -> Deployment:
    """The production settings of the project, computed once per index. Without a configured
    settings module it is a shared result (index.deps): a file depends on the answer, not on every
    file read to find it; a configured one is read through the file's own (recorded) index."""
    if ctx.settings_module is None:
        return shared("production settings", ctx.index, default_deployment)
    key = (id(ctx.index), ctx.settings_module)
    cached = _DEPLOYMENT.get(key)
    if cached is None or cached[0] is not ctx.index:
        _DEPLOYMENT.clear()
        cached = (ctx.index, find_deployment(ctx.index, ctx.settings_module))
        _DEPLOYMENT[key] = cached
    return cached[1]


def issue_at(reading: Reading, severity: str, **args: object) -> Issue:
    """An Issue on the reading's line, one step lower when the value is an environment default."""
    return Issue(reading.path, reading.line, dict(args), LOWER[severity] if reading.source == "env-default" else severity)


def describe(reading: Reading) -> str:
    """How the value came to be, for messages: "is `False`", "is not set (Django's default:
    `False`)", "defaults to `False` when `DEBUG` is not set"."""
    value = f"`{python_literal(reading.value)}`"
    if reading.source == "django-default":
        return f"is not set (Django's default: {value})"
    if reading.source == "env-default":
        return f"defaults to {value} when `{reading.env_var or 'the variable'}` is not set"
    return f"is {value}"


def named_few(names: list[str], shown: int = 3) -> str:
    """The first `shown` names in backticks, then how many more: `A`, `B`, `C` and 4 more."""
    text = ", ".join(f"`{n}`" for n in names[:shown])
    return text + (f" and {len(names) - shown} more" if len(names) > shown else "")


def python_literal(value: object) -> str:
    if isinstance(value, tuple):
        return "[" + ", ".join(python_literal(v) for v in value) + "]"
    return repr(value)


def statement_at(tree: nodes.Module, line: int) -> nodes.NodeNG | None:
    """The innermost module-level statement (inside if / try / with blocks) starting on `line`,
    or the one spanning it."""
    body: list[nodes.NodeNG] = list(tree.body)
    found: nodes.NodeNG | None = None
    while body:
        node = body.pop(0)
        start, end = node.fromlineno, node.tolineno
        if start is None or end is None or not start <= line <= end:
            continue
        found = node
        if node.lineno == line and not isinstance(node, (nodes.If, nodes.Try, nodes.With, nodes.For, nodes.While)):
            return node
        body = [c for c in node.get_children() if c.is_statement]
    return found


class SettingsRule(Rule):
    """Subclasses implement `inspect(target)`; the base places each Issue in the file it names."""

    def applies_to(self, ctx: ModuleContext) -> bool:
        if not super().applies_to(ctx):
            return False
        return ctx.relpath in deployment(ctx).paths

    def check_module(self, node: nodes.Module, ctx: ModuleContext) -> Iterator[Hit]:
        seen: set[tuple[int, str]] = set()
        for target in deployment(ctx).targets:
            for issue in self.inspect(target, ctx):
                if issue.path != ctx.relpath:
                    continue
                at = statement_at(node, issue.line) if issue.line else _first_statement(node)
                # a base module's line reached through two production modules is reported once
                key = (issue.line, repr(sorted((k, v) for k, v in issue.args.items() if k != "module")))
                if at is None or key in seen:
                    continue
                seen.add(key)
                yield Hit(at, issue.args, severity=issue.severity)

    def inspect(self, target: SettingsTarget, ctx: ModuleContext) -> Iterator[Issue]:
        raise NotImplementedError


def _first_statement(tree: nodes.Module) -> nodes.NodeNG | None:
    """Where a setting the module leaves out is reported: its docstring, else its first statement."""
    return tree.doc_node or (tree.body[0] if tree.body else None)
