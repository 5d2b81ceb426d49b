"""Strings built in a function body (f-strings, `%`, `str.format`, `+`, `sep.join`), and the parts
interpolated into them, followed through the function's local names. Shared by the rules about SQL
and HTML built from strings (DJV401-DJV403): each rule passes the predicate for the leaves it
trusts (a call, an attribute, a name that is not local)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from astroid import nodes

_NESTED = (nodes.FunctionDef, nodes.AsyncFunctionDef, nodes.ClassDef, nodes.Lambda)
# Translations of literals are the project's own text
GETTEXT = frozenset(
    {
        "_", "gettext", "gettext_lazy", "ugettext", "ugettext_lazy", "pgettext", "pgettext_lazy", "ngettext",
        "ngettext_lazy", "npgettext", "npgettext_lazy", "_lazy", "gettext_noop",
    }
)  # fmt: skip
# Builtins that hand back the items they are given, rearranged
CONTAINER_CALLS = frozenset({"enumerate", "zip", "sorted", "reversed", "list", "tuple", "set", "frozenset", "iter"})
_CONSTANT_NAME = re.compile(r"^_?[A-Z][A-Z0-9_]*$")
MAX_DEPTH = 10


@dataclass(frozen=True, slots=True)
class Interpolation:
    """A part written into a string that the rule does not trust."""

    how: str  # "an f-string" | "`%` formatting" | "`str.format()`" | "concatenation" | "`str.join()`"
    part: nodes.NodeNG

    @property
    def text(self) -> str:
        source = " ".join(self.part.as_string().split())
        return source if len(source) <= 60 else source[:57] + "..."


Trusts = Callable[[nodes.NodeNG, "Strings", int], bool]


class Strings:
    """How the strings of one function (or module) are built, under one rule's trust predicate."""

    def __init__(self, scope: nodes.NodeNG, trusts: Trusts, joins: bool = True) -> None:
        self.scope = scope
        self.trusts = trusts
        self.joins = joins  # `sep.join(items)` builds a string (False: it passes the items on)
        self._flows: dict[str, list[tuple[str, nodes.NodeNG]]] | None = None
        self._seen: set[str] = set()

    def flows(self, name: str) -> list[tuple[str, nodes.NodeNG]] | None:
        """(kind, value) for what flows into the local `name`: "assign", "augassign", "item"
        (`.append(x)`), "element" (a loop target: the iterable); None for a parameter or a name
        the scope does not bind."""
        if self._flows is None:
            self._flows = _collect(self.scope)
        if isinstance(self.scope, (nodes.FunctionDef, nodes.AsyncFunctionDef)) and name in self.scope.argnames():
            # a parameter is unknown, unless the body replaces it (`value = escape(value)`)
            local = self._flows.get(name)
            return [("param", self.scope.args), *local] if local else None
        return self._flows.get(name)

    def is_build(self, node: nodes.NodeNG) -> bool:
        """An f-string with a value, `%` / `+` on a string, `"...".format(...)` or `"sep".join(...)`."""
        if isinstance(node, nodes.JoinedStr):
            return any(isinstance(v, nodes.FormattedValue) for v in node.values)
        if isinstance(node, nodes.BinOp) and node.op in ("%", "+"):
            return any(_is_str(s) or self.is_build(s) for s in (node.left, node.right))
        if isinstance(node, nodes.Call) and isinstance(node.func, nodes.Attribute) and node.func.attrname in ("format", "join"):
            if node.func.attrname == "join" and not self.joins:
                return False
            return _is_str(node.func.expr) or (node.func.attrname == "format" and self._is_template(node.func.expr))
        return False

    def _is_template(self, node: nodes.NodeNG) -> bool:
        """`_("... {name} ...")` or a local holding only literal text: a format string to fill."""
        if isinstance(node, nodes.Call) and not node.keywords and len(node.args) == 1 and _is_str(node.args[0]):
            return callee_name(node) in GETTEXT
        if isinstance(node, nodes.Name) and not is_constant_name(node.name):
            flows = self.flows(node.name)
            return bool(flows) and all(k == "assign" and _is_str(v) and not self.is_build(v) for k, v in flows or ())
        return isinstance(node, nodes.Name) and is_constant_name(node.name)

    def is_built_here(self, node: nodes.NodeNG, depth: int = 0) -> bool:
        """`node` is a build, or a local that one is assigned or appended to (`sql += ...`)."""
        if self.is_build(node):
            return True
        if not isinstance(node, nodes.Name) or depth > MAX_DEPTH:
            return False
        return any(
            kind == "augassign" or self.is_build(value) or (kind == "assign" and self.is_built_here(value, depth + 1))
            for kind, value in self.flows(node.name) or ()
        )

    def blame_text(self, node: nodes.NodeNG, depth: int = 0) -> Interpolation | None:
        """The first untrusted part written into the string `node` holds. A local's plain
        assignment from elsewhere (`sql = base_query()`) is the text, not a part: only what is
        interpolated into it or added to it here is judged."""
        if depth > MAX_DEPTH:
            return None
        if isinstance(node, nodes.Name):
            for kind, value in self._live(node):
                if kind == "augassign":
                    found = self.blame(value, "concatenation", depth + 1)
                elif kind == "assign":
                    found = self.blame(value, "the value", depth + 1) if self.is_build(value) else self.blame_text(value, depth + 1)
                else:
                    found = None
                if found is not None:
                    return found
            return None
        return self.blame(node, "the value", depth) if self.is_build(node) else None

    def _live(self, name: nodes.Name) -> list[tuple[str, nodes.NodeNG]]:
        """The flows into `name` that can reach its use: none written after it (outside a loop), and
        none before the last plain `name = value` in the function body or in the use's own block
        (`html = clean_html(html)` replaces what came before)."""
        flows = self.flows(name.name) or []
        line = name.lineno or 0
        last = None
        use = name.statement() if name.parent is not None else None
        blocks = (self.scope, use.parent if use is not None else None)
        for position, (kind, value) in enumerate(flows):
            statement = value.parent
            if kind == "assign" and isinstance(statement, nodes.Assign) and statement.parent in blocks and (value.lineno or 0) < line:
                if last is None or (value.lineno or 0) > (flows[last][1].lineno or 0):
                    last = position
        if last is None:
            return [(k, v) for k, v in flows if (v.lineno or 0) <= line or _in_loop(v, self.scope)]
        start = flows[last][1].lineno or 0
        return [(k, v) for k, v in flows if start <= (v.lineno or 0) <= line or _in_loop(v, self.scope)]

    def blame(self, node: nodes.NodeNG, how: str = "the value", depth: int = 0) -> Interpolation | None:
        """The first part of `node` the predicate does not trust (None: every part is trusted;
        djvet also stops, trusting, past MAX_DEPTH)."""
        if depth > MAX_DEPTH or isinstance(node, nodes.Const):
            return None
        step = depth + 1
        if isinstance(node, nodes.JoinedStr):
            return _first(self.blame(v.value, "an f-string", step) for v in node.values if isinstance(v, nodes.FormattedValue))
        if isinstance(node, nodes.FormattedValue):
            return self.blame(node.value, how, step)
        if isinstance(node, nodes.BinOp) and node.op not in ("+", "%"):
            # arithmetic gives a number; `"&nbsp;" * depth` and `["%s"] * n` repeat their text
            texts = [s for s in (node.left, node.right) if _is_str(s) or isinstance(s, (nodes.List, nodes.Tuple))]
            return self.blame(texts[0], how, step) if node.op == "*" and texts else None
        if isinstance(node, nodes.BinOp):
            inner = "`%` formatting" if node.op == "%" and self.is_build(node) else "concatenation" if node.op == "+" and self.is_build(node) else how
            return self.blame(node.left, inner, step) or self.blame(node.right, inner, step)
        if isinstance(node, (nodes.List, nodes.Tuple, nodes.Set)):
            return _first(self.blame(e, how, step) for e in node.elts)
        if isinstance(node, nodes.Dict):
            return _first(self.blame(v, how, step) for _, v in node.items)
        if isinstance(node, (nodes.ListComp, nodes.GeneratorExp, nodes.SetComp)):
            return self.blame(node.elt, how, step)
        if isinstance(node, nodes.IfExp):
            return self.blame(node.body, how, step) or self.blame(node.orelse, how, step)
        if isinstance(node, nodes.BoolOp):
            return _first(self.blame(v, how, step) for v in node.values)
        if isinstance(node, nodes.Starred):
            return self.blame(node.value, how, step)
        if isinstance(node, nodes.Name) and self.flows(node.name) is not None and not is_constant_name(node.name):
            return self._blame_local(node, how, step)
        if self.is_build(node) and isinstance(node, nodes.Call):
            verb = "`str.format()`" if node.func.attrname == "format" else "`str.join()`"  # type: ignore[attr-defined]
            receiver = [] if _is_str(node.func.expr) or isinstance(node.func.expr, nodes.Call) else [node.func.expr]  # type: ignore[attr-defined]
            return _first(self.blame(a, verb, step) for a in [*receiver, *node.args, *(k.value for k in node.keywords or ())])
        if isinstance(node, nodes.Call) and isinstance(node.func, nodes.Name) and node.func.name in CONTAINER_CALLS:
            return _first(self.blame(a, how, step) for a in node.args)
        return None if self.trusts(node, self, step) else Interpolation(how, node)

    def _blame_local(self, node: nodes.Name, how: str, depth: int) -> Interpolation | None:
        if node.name in self._seen:
            return None  # a cycle: the other values decide
        self._seen.add(node.name)
        try:
            for kind, value in self._live(node):
                if kind == "param":
                    found = Interpolation(how, node)
                elif isinstance(value, (nodes.Import, nodes.ImportFrom)):
                    found = None if self.trusts(node, self, depth) else Interpolation(how, node)
                else:
                    found = self.blame(value, how, depth)
                if found is not None:
                    # report the name written into the string, not a value far away
                    if how == "the value" or kind == "augassign" or self.is_build(value):
                        return found
                    return Interpolation(how, node)
            return None
        finally:
            self._seen.discard(node.name)


def _in_loop(node: nodes.NodeNG, scope: nodes.NodeNG) -> bool:
    current = node.parent
    while current is not None and current is not scope:
        if isinstance(current, (nodes.For, nodes.While, nodes.AsyncFor)):
            return True
        current = current.parent
    return False


def is_constant_name(name: str) -> bool:
    """`MAX_ROWS`, `_TABLE`: a name written as a constant."""
    return bool(_CONSTANT_NAME.match(name))


def module_constant(node: nodes.Name, strings: Strings, depth: int) -> bool:
    """A name written as a constant, or a module-level name whose every value the rule trusts."""
    if is_constant_name(node.name):
        return True
    module = node.root()
    if not isinstance(module, nodes.Module) or strings.scope is module:
        return False
    if isinstance(strings.scope, (nodes.FunctionDef, nodes.AsyncFunctionDef)) and node.name in strings.scope.argnames():
        return False
    outer = Strings(module, strings.trusts, strings.joins)
    flows = outer.flows(node.name)
    if not flows or any(isinstance(v, (nodes.Import, nodes.ImportFrom)) or k != "assign" for k, v in flows):
        return False
    return all(outer.blame(v, "the value", depth + 1) is None for _, v in flows)


def callee_name(call: nodes.Call) -> str:
    """The called name as written: `escape` for `escape(x)` and `html.escape(x)`."""
    func = call.func
    return str(func.attrname) if isinstance(func, nodes.Attribute) else str(func.name) if isinstance(func, nodes.Name) else ""


def imported_name(call: nodes.Call) -> str:
    """The called name as its module defines it: `escape` for `esc(x)` after
    `from django.utils.html import escape as esc`."""
    name = callee_name(call)
    if not isinstance(call.func, nodes.Name):
        return name
    module = call.root()
    for statement in module.locals.get(name, []) if isinstance(module, nodes.Module) else []:
        if isinstance(statement, nodes.ImportFrom):
            return next((original for original, alias in statement.names if alias == name), name)
    return name


def is_number_attribute(node: nodes.Attribute) -> bool:
    """`obj.pk`, `obj.id`, `obj.owner_id`: a primary or foreign key."""
    return node.attrname in ("pk", "id") or node.attrname.endswith("_id")


def _first(found: object) -> Interpolation | None:
    return next((f for f in found if f is not None), None)  # type: ignore[attr-defined]


def _is_str(node: nodes.NodeNG) -> bool:
    return (isinstance(node, nodes.Const) and isinstance(node.value, (str, bytes))) or isinstance(node, nodes.JoinedStr)


def _collect(scope: nodes.NodeNG) -> dict[str, list[tuple[str, nodes.NodeNG]]]:
    found: dict[str, list[tuple[str, nodes.NodeNG]]] = {}
    body = getattr(scope, "body", [])
    stack: list[nodes.NodeNG] = list(reversed(body)) if isinstance(body, list) else []
    while stack:
        node = stack.pop()
        if isinstance(node, (nodes.Assign, nodes.AnnAssign)) and node.value is not None:
            for target in node.targets if isinstance(node, nodes.Assign) else [node.target]:
                for name in target.nodes_of_class(nodes.AssignName):
                    found.setdefault(name.name, []).append(("assign", node.value))
        elif isinstance(node, nodes.AugAssign) and isinstance(node.target, nodes.AssignName):
            found.setdefault(node.target.name, []).append(("augassign", node.value))
        elif isinstance(node, (nodes.For, nodes.Comprehension, nodes.AsyncFor)):
            for name in node.target.nodes_of_class(nodes.AssignName):
                found.setdefault(name.name, []).append(("element", node.iter))
        elif isinstance(node, nodes.With):
            for item, alias in node.items:
                for name in alias.nodes_of_class(nodes.AssignName) if alias is not None else ():
                    found.setdefault(name.name, []).append(("assign", item))
        elif isinstance(node, nodes.NamedExpr):
            found.setdefault(node.target.name, []).append(("assign", node.value))
        elif isinstance(node, (nodes.Import, nodes.ImportFrom)):
            for name, alias in node.names:
                found.setdefault(alias or name.split(".")[0], []).append(("assign", node))
        elif isinstance(node, nodes.Call) and isinstance(node.func, nodes.Attribute) and isinstance(node.func.expr, nodes.Name):
            method = node.func.attrname
            if method in ("append", "insert", "add") and node.args:
                found.setdefault(node.func.expr.name, []).append(("item", node.args[-1]))
            elif method == "extend" and node.args:
                found.setdefault(node.func.expr.name, []).append(("assign", node.args[0]))
        if isinstance(node, _NESTED):
            if not isinstance(node, nodes.Lambda):
                found.setdefault(node.name, []).append(("assign", node))
            continue
        stack.extend(c for c in node.get_children() if not isinstance(c, _NESTED))
    return found


def returns_trusted(call: nodes.Call, strings: Strings, depth: int) -> bool:
    """A call of a function of the same module whose every `return` the rule trusts
    (`_get_descendants_cte()` returning a literal query)."""
    if not isinstance(call.func, nodes.Name) or depth > MAX_DEPTH:
        return False
    module = call.root()
    defined = module.locals.get(call.func.name, []) if isinstance(module, nodes.Module) else []
    if len(defined) != 1 or not isinstance(defined[0], (nodes.FunctionDef, nodes.AsyncFunctionDef)):
        return False
    function = defined[0]
    inner = Strings(function, strings.trusts, strings.joins)
    returns = [r for r in function.nodes_of_class(nodes.Return) if r.scope() is function]
    return bool(returns) and all(r.value is not None and inner.blame(r.value, "the value", depth + 1) is None for r in returns)
