"""Append `.select_related("a")` / `.prefetch_related("b")` to a queryset expression.

Edits are grouped by the expression they touch; an expression that already ends with the same
method gets the new arguments added to that call, so a second run has nothing left to add."""

from __future__ import annotations

import ast
from collections.abc import Iterable, Sequence

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from djvet.finding import Edit

Span = tuple[int, int, int, int]  # start line, start column, end line, end column (libcst style)


class FixError(Exception):
    """A fix that cannot be applied safely; the file is left untouched."""


def _span(edit: Edit) -> Span:
    # Edits use 1-based columns with an exclusive end; libcst uses 0-based columns.
    return (edit.line, edit.column - 1, edit.end_line, edit.end_column - 1)


def _quoted(value: str) -> cst.SimpleString:
    return cst.SimpleString(repr(value) if '"' in value else f'"{value}"')


def _existing(node: cst.BaseExpression) -> set[str]:
    if not isinstance(node, cst.Call):
        return set()
    values = set()
    for arg in node.args:
        if isinstance(arg.value, cst.SimpleString):
            values.add(arg.value.evaluated_value)  # type: ignore[arg-type]
    return values


class _AppendCalls(cst.CSTTransformer):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, wanted: dict[Span, dict[str, list[str]]]) -> None:
        super().__init__()
        self.wanted = wanted
        self.done: set[Span] = set()

    def on_leave(self, original: cst.CSTNode, updated: cst.CSTNode) -> cst.CSTNode:  # type: ignore[override]
        if not isinstance(updated, cst.BaseExpression):
            return updated
        position: CodeRange = self.get_metadata(PositionProvider, original)
        span = (position.start.line, position.start.column, position.end.line, position.end.column)
        methods = self.wanted.get(span)
        if methods is None or span in self.done:
            return updated
        self.done.add(span)
        for method, arguments in methods.items():
            updated = _append(updated, method, arguments)
        return updated


def _append(expr: cst.BaseExpression, method: str, arguments: Sequence[str]) -> cst.BaseExpression:
    if (
        isinstance(expr, cst.Call)
        and isinstance(expr.func, cst.Attribute)
        and expr.func.attr.value == method
        and not any(a.star for a in expr.args)
    ):
        present = _existing(expr)
        extra = [a for a in arguments if not _covered(a, present)]
        if not extra:
            return expr
        args = list(expr.args)
        trailing = args[-1].comma if args else cst.MaybeSentinel.DEFAULT
        if args:
            args[-1] = args[-1].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
        added = [cst.Arg(_quoted(a), comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))) for a in extra]
        added[-1] = added[-1].with_changes(comma=trailing)  # a trailing comma and line break stay last
        return expr.with_changes(args=args + added)
    call_args = [cst.Arg(_quoted(a)) for a in arguments]
    for i in range(len(call_args) - 1):
        call_args[i] = call_args[i].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
    return cst.Call(func=cst.Attribute(value=expr, attr=cst.Name(method)), args=call_args)


def _covered(path: str, others: Iterable[str]) -> bool:
    """`author` is loaded by `author` and by `author__publisher` alike."""
    return any(o == path or o.startswith(path + "__") for o in others)


def group_edits(edits: Iterable[Edit]) -> dict[Span, dict[str, list[str]]]:
    wanted: dict[Span, dict[str, list[str]]] = {}
    for edit in sorted(edits, key=lambda e: (_span(e), e.method, e.argument)):
        arguments = wanted.setdefault(_span(edit), {}).setdefault(edit.method, [])
        if edit.argument not in arguments:
            arguments.append(edit.argument)
    for methods in wanted.values():
        for method, arguments in methods.items():
            methods[method] = [a for a in arguments if not _covered(a, [o for o in arguments if o != a])]
    return wanted


def apply_edits(text: str, edits: Iterable[Edit]) -> str:
    """The text with every edit applied; raises FixError when it cannot be done safely."""
    wanted = group_edits(e for e in edits if e.kind == "append-call")
    if not wanted:
        return text
    transformer = _AppendCalls(wanted)
    result = run_codemod(text, transformer)
    missing = set(wanted) - transformer.done
    if missing:
        line = min(missing)[0]
        raise FixError(f"line {line}: the expression to fix is no longer where it was found")
    return result


def run_codemod(text: str, transformer: cst.CSTTransformer) -> str:
    """Parse, transform (with positions available), and refuse a result that no longer parses."""
    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError as exc:
        raise FixError(f"cannot parse for fixing: {exc.message}") from None
    result = MetadataWrapper(module).visit(transformer).code
    try:
        ast.parse(result)
    except SyntaxError as exc:  # never write a file that no longer parses
        raise FixError(f"the fixed code does not parse: {exc.msg}") from None
    return result
