"""Edit a serializer's or form's `Meta` (and the fields declared next to it):

- replace `fields = "__all__"` / `exclude = [...]` with an explicit `fields = [...]`;
- add a name to `read_only_fields` (the tuple is created when the Meta has none);
- set `extra_kwargs[name]["write_only"] = True` (the dict is created when the Meta has none);
- add `write_only=True` to a declared field.

Edits find their node by where it starts; a node already in the wanted shape is left as it is,
so a second run changes nothing. Quotes follow the strings already written there."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, cast

import libcst as cst
from libcst.metadata import CodeRange, PositionProvider

from djvet.finding import Edit
from djvet.fixes.queryset import FixError, run_codemod

META_KINDS = frozenset({"replace-assignment", "meta-add-name", "meta-set-option", "add-keyword"})
MAX_LINE = 99
Start = tuple[int, int]  # line, 0-based column (libcst style)


def _start(edit: Edit) -> Start:
    return (edit.line, edit.column - 1)


def _quote_of(node: cst.CSTNode | None) -> str:
    """The quote character of the first string literal inside `node` (double by default)."""
    if node is None:
        return '"'
    found: list[str] = []

    class _Find(cst.CSTVisitor):
        def visit_SimpleString(self, string: cst.SimpleString) -> bool:
            if not found:
                found.append(string.value.lstrip("rRbBuU")[0])
            return False

    node.visit(_Find())
    return found[0] if found else '"'


def _string(value: str, quote: str) -> str:
    if quote == "'" and "'" not in value:
        return f"'{value}'"
    return f'"{value}"' if '"' not in value else repr(value)


def names_list(values: Sequence[str], quote: str, indent: int, prefix: int) -> cst.BaseExpression:
    """`["a", "b"]` on one line when it fits after `prefix` characters, else one name a line."""
    items = [_string(v, quote) for v in values]
    one_line = "[" + ", ".join(items) + "]"
    if indent + prefix + len(one_line) <= MAX_LINE:
        return cst.parse_expression(one_line)
    # the line breaks are indented relative to the statement's block (libcst adds the block's indent)
    return cst.parse_expression("[\n" + "".join(f"    {item},\n" for item in items) + "]")


def _strings_in(node: cst.BaseExpression) -> list[str] | None:
    if not isinstance(node, (cst.List, cst.Tuple, cst.Set)):
        return None
    values = []
    for element in node.elements:
        if not isinstance(element, cst.Element) or not isinstance(element.value, cst.SimpleString):
            return None
        values.append(str(element.value.evaluated_value))
    return values


def _opening_whitespace(sequence: cst.BaseExpression) -> cst.BaseParenthesizableWhitespace | None:
    if isinstance(sequence, cst.List):
        return sequence.lbracket.whitespace_after
    if isinstance(sequence, (cst.Dict, cst.Set)):
        return sequence.lbrace.whitespace_after
    if isinstance(sequence, cst.Tuple) and sequence.lpar:
        return sequence.lpar[0].whitespace_after
    return None


def _closing_whitespace(sequence: cst.BaseExpression) -> cst.BaseParenthesizableWhitespace | None:
    if isinstance(sequence, cst.List):
        return sequence.rbracket.whitespace_before
    if isinstance(sequence, (cst.Dict, cst.Set)):
        return sequence.rbrace.whitespace_before
    if isinstance(sequence, cst.Tuple) and sequence.rpar:
        return sequence.rpar[0].whitespace_before
    return None


def _one_per_line(before: object, closing: object) -> bool:
    return isinstance(before, cst.ParenthesizedWhitespace) and isinstance(closing, cst.ParenthesizedWhitespace)


SequenceNode = cst.List | cst.Tuple | cst.Set | cst.Dict


def _with_element(sequence: SequenceNode, element: cst.BaseElement | cst.BaseDictElement) -> SequenceNode:
    """The list, tuple, set or dict with `element` appended, keeping its layout: one element a
    line stays one a line (with its trailing comma), one line stays one line."""
    elements: list[Any] = list(sequence.elements)
    if not elements:
        comma = cst.Comma() if isinstance(sequence, cst.Tuple) else cst.MaybeSentinel.DEFAULT
        return sequence.with_changes(elements=[element.with_changes(comma=comma)])
    last = elements[-1]
    previous = elements[-2].comma if len(elements) > 1 else None
    before = previous.whitespace_after if isinstance(previous, cst.Comma) else _opening_whitespace(sequence)
    if isinstance(last.comma, cst.Comma) and before is not None and _one_per_line(before, _closing_whitespace(sequence)):
        elements[-1] = last.with_changes(comma=cst.Comma(whitespace_after=before))
        elements.append(element.with_changes(comma=last.comma))
    else:
        elements[-1] = last.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
        elements.append(element.with_changes(comma=cst.MaybeSentinel.DEFAULT))
    return sequence.with_changes(elements=elements)


def _assignment(statement: cst.BaseStatement, name: str) -> cst.Assign | None:
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return None
    small = statement.body[0]
    if isinstance(small, cst.Assign) and len(small.targets) == 1:
        target = small.targets[0].target
        if isinstance(target, cst.Name) and target.value == name:
            return small
    return None


class _MetaEdits(cst.CSTTransformer):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, edits: Iterable[Edit]) -> None:
        super().__init__()
        self.wanted: dict[tuple[str, Start], list[Edit]] = {}
        for edit in edits:
            self.wanted.setdefault((edit.kind, _start(edit)), []).append(edit)
        self.done: set[tuple[str, Start]] = set()

    def _take(self, kind: str, node: cst.CSTNode) -> tuple[list[Edit], CodeRange]:
        position: CodeRange = self.get_metadata(PositionProvider, node)
        key = (kind, (position.start.line, position.start.column))
        edits = self.wanted.get(key, [])
        if edits:
            self.done.add(key)
        return edits, position

    # -- fields = [...] ---------------------------------------------------------------------------

    def leave_Assign(self, original: cst.Assign, updated: cst.Assign) -> cst.Assign:
        edits, position = self._take("replace-assignment", original)
        if not edits:
            return updated
        if len(updated.targets) != 1 or not isinstance(updated.targets[0].target, cst.Name):
            raise FixError(f"line {edits[0].line}: not a single assignment")
        edit = edits[0]
        if updated.targets[0].target.value == edit.method and _strings_in(updated.value) == list(edit.values):
            return updated
        value = names_list(edit.values, _quote_of(updated.value), position.start.column, len(edit.method) + 3)
        return updated.with_changes(targets=[updated.targets[0].with_changes(target=cst.Name(edit.method))], value=value)

    # -- read_only_fields / extra_kwargs in a Meta -----------------------------------------------

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
        add_names, _ = self._take("meta-add-name", original)
        set_options, _ = self._take("meta-set-option", original)
        if not (add_names or set_options):
            return updated
        if not isinstance(updated.body, cst.IndentedBlock):
            raise FixError(f"line {(add_names or set_options)[0].line}: a one-line `class Meta: ...` is not edited")
        body = list(updated.body.body)
        quote = _quote_of(updated.body)
        for edit in sorted(add_names, key=lambda e: (e.method, e.argument)):
            body = _add_name(body, edit.method, edit.argument, quote)
        by_option: dict[str, list[Edit]] = {}
        for edit in sorted(set_options, key=lambda e: (e.method, e.argument)):
            by_option.setdefault(edit.method, []).append(edit)
        position: CodeRange = self.get_metadata(PositionProvider, original)
        indent = position.start.column + 4
        for option, edits in by_option.items():
            body = _set_options(body, option, [(e.argument, e.values) for e in edits], quote, indent)
        return updated.with_changes(body=updated.body.with_changes(body=body))

    # -- write_only=True on a declared field ----------------------------------------------------

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        edits, _ = self._take("add-keyword", original)
        for edit in edits:
            updated = _add_keyword(updated, edit.method, edit.argument)
        return updated


def _add_name(body: list[cst.BaseStatement], option: str, name: str, quote: str) -> list[cst.BaseStatement]:
    for index, statement in enumerate(body):
        assignment = _assignment(statement, option)
        if assignment is None:
            continue
        present = _strings_in(assignment.value)
        if present is None or not isinstance(assignment.value, (cst.List, cst.Tuple, cst.Set)):
            raise FixError(f"`{option}` is not a literal list of names")
        if name in present:
            return body
        element = cst.Element(cst.SimpleString(_string(name, quote)))
        value = _with_element(assignment.value, element)
        body[index] = statement.with_changes(body=[assignment.with_changes(value=value)])
        return body
    return [*body, cst.parse_statement(f"{option} = ({_string(name, quote)},)\n")]


def _set_options(
    body: list[cst.BaseStatement], option: str, entries: Sequence[tuple[str, Sequence[str]]], quote: str, indent: int
) -> list[cst.BaseStatement]:
    """Set `name: {key: True ...}` in the dict the Meta assigns to `option`, for each entry;
    a Meta without one gets a new dict with every entry (one a line when one line is too long)."""
    texts = [(name, "{" + ", ".join(f"{_string(k, quote)}: True" for k in keys) + "}") for name, keys in entries]
    for index, statement in enumerate(body):
        assignment = _assignment(statement, option)
        if assignment is None:
            continue
        if not isinstance(assignment.value, cst.Dict):
            raise FixError(f"`{option}` is not a literal dict")
        value = assignment.value
        for (name, keys), (_, entry) in zip(entries, texts):
            value = _set_entry(value, name, keys, entry, quote)
        body[index] = statement.with_changes(body=[assignment.with_changes(value=value)])
        return body
    items = [f"{_string(name, quote)}: {entry}" for name, entry in texts]
    one_line = f"{option} = {{{', '.join(items)}}}\n"
    if indent + len(one_line) - 1 <= MAX_LINE:
        return [*body, cst.parse_statement(one_line)]
    return [*body, cst.parse_statement(f"{option} = {{\n" + "".join(f"    {item},\n" for item in items) + "}\n")]


def _key(element: cst.BaseDictElement) -> str | None:
    if isinstance(element, cst.DictElement) and isinstance(element.key, cst.SimpleString):
        return str(element.key.evaluated_value)
    return None


def _set_entry(mapping: cst.Dict, name: str, keys: Sequence[str], entry: str, quote: str) -> cst.Dict:
    elements = list(mapping.elements)
    for index, element in enumerate(elements):
        if _key(element) != name:
            continue
        assert isinstance(element, cst.DictElement)
        inner = element.value
        if not isinstance(inner, cst.Dict):
            raise FixError(f"the options of `{name}` are not a literal dict")
        for key in keys:
            inner = _set_true(inner, key, quote)
        elements[index] = element.with_changes(value=inner)
        return mapping.with_changes(elements=elements)
    new = cst.DictElement(cst.SimpleString(_string(name, quote)), cst.parse_expression(entry))
    return cast(cst.Dict, _with_element(mapping, new))


def _set_true(mapping: cst.Dict, key: str, quote: str) -> cst.Dict:
    elements = list(mapping.elements)
    for index, element in enumerate(elements):
        if _key(element) == key:
            assert isinstance(element, cst.DictElement)
            if isinstance(element.value, cst.Name) and element.value.value == "True":
                return mapping
            elements[index] = element.with_changes(value=cst.Name("True"))
            return mapping.with_changes(elements=elements)
    return cast(cst.Dict, _with_element(mapping, cst.DictElement(cst.SimpleString(_string(key, quote)), cst.Name("True"))))


def _add_keyword(call: cst.Call, keyword: str, source: str) -> cst.Call:
    value = cst.parse_expression(source)
    args = list(call.args)
    for index, arg in enumerate(args):
        if arg.keyword is not None and arg.keyword.value == keyword:
            if arg.value.deep_equals(value):
                return call
            args[index] = arg.with_changes(value=value)
            return call.with_changes(args=args)
    if any(arg.star == "**" for arg in args):
        raise FixError(f"the call passes **kwargs: `{keyword}` cannot be added safely")
    new = cst.Arg(value=value, keyword=cst.Name(keyword), equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")))
    if not args:
        return call.with_changes(args=[new])
    last = args[-1]
    trailing = last.comma
    before = args[-2].comma.whitespace_after if len(args) > 1 and isinstance(args[-2].comma, cst.Comma) else call.whitespace_before_args
    if isinstance(trailing, cst.Comma) and _one_per_line(before, trailing.whitespace_after):
        args[-1] = last.with_changes(comma=cst.Comma(whitespace_after=before))
        args.append(new.with_changes(comma=trailing))
    else:
        args[-1] = last.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
        args.append(new)
    return call.with_changes(args=args)


def apply_meta_edits(text: str, edits: Iterable[Edit]) -> str:
    """The text with every Meta edit applied; raises FixError when it cannot be done safely."""
    wanted = [e for e in edits if e.kind in META_KINDS]
    if not wanted:
        return text
    transformer = _MetaEdits(wanted)
    result = run_codemod(text, transformer)
    missing = set(transformer.wanted) - transformer.done
    if missing:
        line = min(start for _, start in missing)[0]
        raise FixError(f"line {line}: the code to fix is no longer where it was found")
    return result
