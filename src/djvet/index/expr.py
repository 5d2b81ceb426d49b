"""A small static picture of Python expressions, the values facts hold instead of syntax trees."""

from __future__ import annotations

import ast
from dataclasses import dataclass, fields, is_dataclass
from typing import Union

MAX_DEPTH = 40
MAX_ITEMS = 2000


class _Unknown:
    """A value djvet cannot know statically; rules stay silent on it."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __reduce__(self) -> str:
        return "UNKNOWN"

    def __bool__(self) -> bool:
        return False


UNKNOWN = _Unknown()


@dataclass(frozen=True, slots=True)
class Const:
    value: object
    line: int = 0


@dataclass(frozen=True, slots=True)
class Seq:
    kind: str  # list | tuple | set
    items: tuple[Expr, ...]
    line: int = 0


@dataclass(frozen=True, slots=True)
class Map:
    items: tuple[tuple[Expr, Expr], ...]
    line: int = 0


@dataclass(frozen=True, slots=True)
class Name:
    """A dotted name as written (`serializers.ModelSerializer`), resolved later through imports."""

    dotted: str
    line: int = 0


@dataclass(frozen=True, slots=True)
class Attr:
    """An attribute of something that is not a plain dotted name (`qs.filter(...).select_related`)."""

    obj: Expr
    name: str
    line: int = 0


@dataclass(frozen=True, slots=True)
class Call:
    func: Expr
    args: tuple[Expr, ...]
    kwargs: tuple[tuple[str, Expr], ...]
    line: int = 0

    def kwarg(self, name: str) -> Expr | None:
        for key, value in self.kwargs:
            if key == name:
                return value
        return None

    def arg(self, index: int, name: str | None = None) -> Expr | None:
        """The positional argument at `index`, or the keyword `name`."""
        if index < len(self.args) and not isinstance(self.args[index], Starred):
            return self.args[index]
        return self.kwarg(name) if name else None


@dataclass(frozen=True, slots=True)
class Starred:
    value: Expr | None = None
    line: int = 0


@dataclass(frozen=True, slots=True)
class Bin:
    op: str  # Add | Sub | Mult | BitOr ...
    left: Expr
    right: Expr
    line: int = 0


@dataclass(frozen=True, slots=True)
class Opaque:
    """Any other expression: kept only as its kind and line."""

    kind: str
    line: int = 0
    calls: tuple[str, ...] = ()  # dotted names of the calls inside it (settings read env from them)


Expr = Union[Const, Seq, Map, Name, Attr, Call, Starred, Bin, Opaque]


def dotted_name(node: ast.AST) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def to_expr(node: ast.AST, depth: int = 0) -> Expr:
    line = getattr(node, "lineno", 0)
    if depth > MAX_DEPTH:
        return Opaque("deep", line)
    if isinstance(node, ast.Constant):
        return Const(node.value, line)
    if isinstance(node, (ast.Name, ast.Attribute)):
        dotted = dotted_name(node)
        if dotted is not None:
            return Name(dotted, line)
        assert isinstance(node, ast.Attribute)
        return Attr(to_expr(node.value, depth + 1), node.attr, line)
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        kind = {ast.List: "list", ast.Tuple: "tuple", ast.Set: "set"}[type(node)]
        return Seq(kind, tuple(to_expr(e, depth + 1) for e in node.elts[:MAX_ITEMS]), line)
    if isinstance(node, ast.Dict):
        pairs = []
        for key, value in zip(node.keys[:MAX_ITEMS], node.values[:MAX_ITEMS]):
            key_expr = Starred(None, line) if key is None else to_expr(key, depth + 1)
            pairs.append((key_expr, to_expr(value, depth + 1)))
        return Map(tuple(pairs), line)
    if isinstance(node, ast.Call):
        args = tuple(to_expr(a, depth + 1) for a in node.args[:MAX_ITEMS])
        kwargs = tuple((k.arg or "**", to_expr(k.value, depth + 1)) for k in node.keywords)
        return Call(to_expr(node.func, depth + 1), args, kwargs, line)
    if isinstance(node, ast.Starred):
        return Starred(to_expr(node.value, depth + 1), line)
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str):
        owner = dotted_name(node.value)
        if owner is not None:  # `os.environ["X"]` is a call of os.environ.__getitem__("X")
            return Call(Name(f"{owner}.__getitem__", line), (Const(node.slice.value, line),), (), line)
    if isinstance(node, ast.BinOp):
        return Bin(type(node.op).__name__, to_expr(node.left, depth + 1), to_expr(node.right, depth + 1), line)
    return Opaque(type(node).__name__, line, _call_names(node))


def _call_names(node: ast.AST) -> tuple[str, ...]:
    names = []
    for child in ast.walk(node):
        dotted = None
        if isinstance(child, ast.Call):
            dotted = dotted_name(child.func)
        elif isinstance(child, ast.Subscript):  # `os.environ["X"]` calls os.environ.__getitem__
            owner = dotted_name(child.value)
            dotted = f"{owner}.__getitem__" if owner else None
        if dotted:
            names.append(dotted)
            if len(names) >= 8:
                break
    return tuple(names)


def literal(expr: Expr | None) -> object:
    """The Python value of a literal expression (strings, numbers, lists of them), else UNKNOWN."""
    if isinstance(expr, Const):
        return expr.value
    if isinstance(expr, Seq):
        values = [literal(item) for item in expr.items]
        if any(v is UNKNOWN for v in values):
            return UNKNOWN
        return tuple(values)
    if isinstance(expr, Map):
        result = {}
        for key, value in expr.items:
            k, v = literal(key), literal(value)
            if k is UNKNOWN or v is UNKNOWN:
                return UNKNOWN
            try:
                result[k] = v
            except TypeError:
                return UNKNOWN
        return result
    return UNKNOWN


def string_items(expr: Expr | None) -> tuple[str, ...] | None:
    """The strings of a literal list/tuple of strings, else None."""
    value = literal(expr)
    if isinstance(value, tuple) and all(isinstance(v, str) for v in value):
        return value
    return None


def pickle_by_fields(namespace: dict[str, object]) -> None:
    """Pickle each frozen dataclass defined in a module (its `globals()`) as (class, field values):
    loading calls the constructor instead of the generic slots `__setstate__`, which took most of
    a warm index load."""
    module = namespace["__name__"]
    for value in list(namespace.values()):
        if isinstance(value, type) and value.__module__ == module and is_dataclass(value):
            names = tuple(f.name for f in fields(value))

            def reduce(self: object, names: tuple[str, ...] = names) -> tuple[object, tuple[object, ...]]:
                return (type(self), tuple(getattr(self, n) for n in names))

            value.__reduce__ = reduce  # type: ignore[method-assign]


pickle_by_fields(globals())
