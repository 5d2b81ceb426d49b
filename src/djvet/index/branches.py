"""The paths through short permission methods (`get_permissions`, `has_permission`, ...), read from
syntax: which conditions lead to which returned value. Anything not followed (loops, `try`, a test
that is not a membership test of a known subject) makes the method unreadable, and rules stay silent."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field, replace

from djvet.index.expr import Call, Const, Expr, Name, Opaque, Seq, dotted_name, to_expr
from djvet.index.facts import Branch, Condition

BRANCH_FUNCTIONS = frozenset({"get_permissions", "get_authenticators", "has_permission", "has_object_permission"})
# A returned `[p() for p in X]`: instances of the classes in X (X substituted when assigned on the path).
INSTANCES = "<instances>"
MAX_BRANCHES = 40
_SUBJECT_TAILS = ("action", "method")


class _Unreadable(Exception):
    """A statement or expression the reader does not follow."""


@dataclass(frozen=True)
class _State:
    conditions: tuple[Condition | None, ...] = ()
    env: dict[str, Expr] = field(default_factory=dict)
    guarded: bool = False

    def given(self, *conditions: Condition | None) -> _State:
        return replace(self, conditions=self.conditions + conditions)


def collect_branches(node: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[Branch, ...] | None:
    """Every path through the function in source order, or None when it cannot be read."""
    try:
        branches, states = _block(node.body, [_State()])
    except (_Unreadable, RecursionError):
        return None
    # falling off the end returns None
    branches += [Branch(s.conditions, Const(None, node.end_lineno or 0), s.guarded) for s in states]
    return tuple(branches) if len(branches) <= MAX_BRANCHES else None


def _block(body: list[ast.stmt], states: list[_State]) -> tuple[list[Branch], list[_State]]:
    branches: list[Branch] = []
    for stmt in body:
        following: list[_State] = []
        for state in states:
            done, rest = _statement(stmt, state)
            branches += done
            following += rest
        states = following
        if len(branches) + len(states) > MAX_BRANCHES:
            raise _Unreadable
        if not states:
            break
    return branches, states


def _statement(stmt: ast.stmt, state: _State) -> tuple[list[Branch], list[_State]]:
    if isinstance(stmt, ast.Pass) or (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)):
        return [], [state]
    if isinstance(stmt, ast.Return):
        value = stmt.value if stmt.value is not None else ast.Constant(None, lineno=stmt.lineno)
        return _returns(value, state), []
    if isinstance(stmt, ast.Raise):
        return [Branch(state.conditions, None, state.guarded)], []
    if isinstance(stmt, ast.If):
        true_cases, false_cases = _cases(stmt.test)
        taken, then_states = _block(stmt.body, [state.given(*case) for case in true_cases])
        skipped, else_states = _block(stmt.orelse, [state.given(*case) for case in false_cases])
        return taken + skipped, then_states + else_states
    if isinstance(stmt, (ast.Assign, ast.AnnAssign)):
        return [], [_assign(stmt, state)]
    if isinstance(stmt, (ast.Expr, ast.Assert, ast.AugAssign)):
        return [], [replace(state, guarded=True)]  # a call or check that may raise or change state
    raise _Unreadable


def _assign(stmt: ast.Assign | ast.AnnAssign, state: _State) -> _State:
    targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
    if stmt.value is None or len(targets) != 1:
        raise _Unreadable
    target = dotted_name(targets[0])
    if target is None:
        raise _Unreadable
    return replace(state, env={**state.env, target: _value(stmt.value, state)})


def _value(node: ast.expr, state: _State) -> Expr:
    """An expression with the names assigned on the path substituted."""
    dotted = dotted_name(node)
    if dotted is not None and dotted in state.env:
        return state.env[dotted]
    if isinstance(node, ast.ListComp) and len(node.generators) == 1:
        gen = node.generators[0]
        elt = node.elt
        is_instance = isinstance(elt, ast.Call) and not elt.args and not elt.keywords
        target = gen.target.id if isinstance(gen.target, ast.Name) else None
        if is_instance and isinstance(elt, ast.Call) and dotted_name(elt.func) == target and not gen.ifs:
            return Call(Name(INSTANCES, node.lineno), (_value(gen.iter, state),), (), node.lineno)
    if _is_super_call(node, "get_permissions") and "self.permission_classes" in state.env:
        # `self.permission_classes = [...]` then `return super().get_permissions()`
        return Call(Name(INSTANCES, node.lineno), (state.env["self.permission_classes"],), (), node.lineno)
    return to_expr(node)


def _is_super_call(node: ast.expr, method: str) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == method
        and isinstance(node.func.value, ast.Call)
        and isinstance(node.func.value.func, ast.Name)
        and node.func.value.func.id == "super"
    )


def _returns(node: ast.expr, state: _State) -> list[Branch]:
    """`return a if c else b`, `return c or x`, `return c and x`, `return c` become one branch
    per outcome, so `return request.method in SAFE_METHODS or ...` reads like the `if` it means."""
    line = getattr(node, "lineno", 0)
    if isinstance(node, ast.IfExp):
        true_cases, false_cases = _cases(node.test)
        taken = [b for case in true_cases for b in _returns(node.body, state.given(*case))]
        return taken + [b for case in false_cases for b in _returns(node.orelse, state.given(*case))]
    if isinstance(node, ast.BoolOp):
        is_or = isinstance(node.op, ast.Or)
        branches: list[Branch] = []
        states = [state]
        for operand in node.values[:-1]:
            true_cases, false_cases = _cases(operand)
            if any(c is None for case in true_cases + false_cases for c in case):
                # an operand that is not a test djvet reads: the value is whatever it is
                return branches + [Branch(s.conditions, Opaque("BoolOp", line), s.guarded) for s in states]
            short, going_on = (true_cases, false_cases) if is_or else (false_cases, true_cases)
            branches += [Branch(s.given(*case).conditions, Const(is_or, line), s.guarded) for s in states for case in short]
            states = [s.given(*case) for s in states for case in going_on]
        return branches + [b for s in states for b in _returns(node.values[-1], s)]
    if isinstance(node, (ast.Compare, ast.UnaryOp)):
        true_cases, false_cases = _cases(node)
        if all(c is not None for case in true_cases + false_cases for c in case):
            return [Branch(state.given(*case).conditions, Const(True, line), state.guarded) for case in true_cases] + [
                Branch(state.given(*case).conditions, Const(False, line), state.guarded) for case in false_cases
            ]
    return [Branch(state.conditions, _value(node, state), state.guarded)]


Cases = list[tuple[Condition | None, ...]]
MAX_CASES = 16


def _cases(test: ast.expr) -> tuple[Cases, Cases]:
    """The ways a test can be true and the ways it can be false, each a list of mutually exclusive
    conjunctions of conditions (None: a test djvet cannot read)."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        true_cases, false_cases = _cases(test.operand)
        return false_cases, true_cases
    if isinstance(test, ast.BoolOp):
        merged = _union([_compare(v) for v in test.values]) if isinstance(test.op, ast.Or) else None
        if merged is not None:
            return [(merged,)], [(_negation((merged,)),)]
        parts = [_cases(v) for v in test.values]
        is_and = isinstance(test.op, ast.And)
        decisive: Cases = []  # the cases that settle the outcome early (False for and, True for or)
        going_on: Cases = [()]
        for true_cases, false_cases in parts:
            stop, proceed = (false_cases, true_cases) if is_and else (true_cases, false_cases)
            decisive += [prefix + case for prefix in going_on for case in stop]
            going_on = [prefix + case for prefix in going_on for case in proceed]
            if len(decisive) + len(going_on) > MAX_CASES:
                raise _Unreadable
        return (going_on, decisive) if is_and else (decisive, going_on)
    condition = _compare(test)
    return [(condition,)], [(_negation((condition,)),)]


def _negation(conditions: tuple[Condition | None, ...]) -> Condition | None:
    if len(conditions) != 1 or conditions[0] is None:
        return None
    return replace(conditions[0], negated=not conditions[0].negated)


def _union(parts: list[Condition | None]) -> Condition | None:
    """`self.action == "a" or self.action in ("b", "c")` is one membership test."""
    first = parts[0]
    if first is None or any(p is None or p.subject != first.subject or p.negated for p in parts):
        return None
    return Condition(
        first.subject,
        tuple(v for p in parts for v in p.values),  # type: ignore[union-attr]
        tuple(n for p in parts for n in p.names),  # type: ignore[union-attr]
    )


def _compare(node: ast.expr) -> Condition | None:
    if not isinstance(node, ast.Compare) or len(node.ops) != 1:
        return None
    left, op, right = node.left, node.ops[0], node.comparators[0]
    if isinstance(op, (ast.Eq, ast.NotEq)) and _subject(right) and not _subject(left):
        left, right = right, left  # "create" == self.action
    subject = _subject(left)
    if subject is None:
        return None
    negated = isinstance(op, (ast.NotEq, ast.NotIn))
    if isinstance(op, (ast.Eq, ast.NotEq)):
        if isinstance(right, ast.Constant) and isinstance(right.value, str):
            return Condition(subject, (right.value,), (), negated)
        return None
    if not isinstance(op, (ast.In, ast.NotIn)):
        return None
    if isinstance(right, (ast.Tuple, ast.List, ast.Set)):
        values = [e.value for e in right.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
        if len(values) != len(right.elts):
            return None
        return Condition(subject, tuple(values), (), negated)
    name = dotted_name(right)
    return Condition(subject, (), (name,), negated) if name is not None else None


def _subject(node: ast.expr) -> str | None:
    dotted = dotted_name(node)
    if dotted is None or "." not in dotted or dotted.rpartition(".")[2] not in _SUBJECT_TAILS:
        return None
    return dotted


def instance_classes(value: Expr | None) -> tuple[str, ...] | None:
    """The dotted class names of a returned `[A(), B()]` (or `[p() for p in [A, B]]`), as written."""
    if isinstance(value, Call) and isinstance(value.func, Name) and value.func.dotted == INSTANCES and value.args:
        inner = value.args[0]
        if isinstance(inner, Seq) and all(isinstance(i, Name) for i in inner.items):
            return tuple(i.dotted for i in inner.items)  # type: ignore[union-attr]
        return None
    if isinstance(value, Seq):
        names = []
        for item in value.items:
            if not (isinstance(item, Call) and isinstance(item.func, Name) and not item.args and not item.kwargs):
                return None
            names.append(item.func.dotted)
        return tuple(names)
    return None


def is_instances_of(value: Expr | None, dotted: str) -> bool:
    """A returned `[p() for p in self.permission_classes]`."""
    return (
        isinstance(value, Call)
        and isinstance(value.func, Name)
        and value.func.dotted == INSTANCES
        and bool(value.args)
        and isinstance(value.args[0], Name)
        and value.args[0].dotted == dotted
    )
