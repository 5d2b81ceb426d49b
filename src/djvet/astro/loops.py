"""Loops over querysets: which rows a `for` loop or a comprehension walks, what runs once per row,
and how to name the queryset in a message. Shared by the per-row query rules (DJV101, DJV102, DJV105)."""

from __future__ import annotations

import re
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from astroid import nodes

from djvet.astro.exprs import dotted, to_expr
from djvet.astro.querysets import enclosing_function, find_local_value, loaded_by
from djvet.engine import ModuleContext
from djvet.index.deps import shared
from djvet.index.expr import Call, Name
from djvet.index.facts import ProjectIndex
from djvet.index.querysets import (
    Loaded,
    TraceContext,
    index_resolver,
    trace_queryset,
    unwind,
)

FOR_NODES = (nodes.For, nodes.AsyncFor)
COMPREHENSIONS = (nodes.ListComp, nodes.SetComp, nodes.DictComp, nodes.GeneratorExp)
# Code under these runs when called, not once per iteration of a loop around its definition.
NESTED_SCOPES = (nodes.FunctionDef, nodes.AsyncFunctionDef, nodes.Lambda, nodes.ClassDef)
_BOUNDARIES = (*NESTED_SCOPES, nodes.Module)
# Wrappers that iterate the queryset they are given and hand its rows on.
_ROW_WRAPPERS = frozenset({"list", "tuple", "sorted", "reversed", "set"})
_MAX_HOPS = 4


@dataclass(frozen=True, eq=False)
class Loop:
    """A `for` statement, or one `for` clause of a comprehension."""

    node: nodes.NodeNG  # For / AsyncFor / Comprehension
    target: nodes.NodeNG
    iter: nodes.NodeNG
    body: tuple[nodes.NodeNG, ...]  # what runs once per iteration

    @property
    def line(self) -> int:
        return self.node.lineno or self.iter.lineno or 0


def for_loop(node: nodes.For | nodes.AsyncFor) -> Loop:
    return Loop(node, node.target, node.iter, tuple(node.body))


def comprehension_loops(node: nodes.NodeNG) -> list[Loop]:
    """One Loop per `for` clause of a list/set/dict comprehension or generator expression."""
    head = [node.key, node.value] if isinstance(node, nodes.DictComp) else [node.elt]
    loops = []
    for i, generator in enumerate(node.generators):
        body: list[nodes.NodeNG] = [*generator.ifs]
        for later in node.generators[i + 1 :]:
            body += [later.iter, later.target, *later.ifs]
        loops.append(Loop(generator, generator.target, generator.iter, tuple(head + body)))
    return loops


class LoopChecks:
    """Dispatch for rules that look at every loop over rows: `for`, `async for` and the four
    comprehensions all come to `_check_loop(loop, ctx)`, which the rule defines."""

    def _check_loop(self, loop: Loop, ctx: ModuleContext) -> Iterator[Any]:
        raise NotImplementedError

    def check_for(self, node: nodes.For, ctx: ModuleContext) -> Iterator[Any]:
        yield from self._check_loop(for_loop(node), ctx)

    def check_asyncfor(self, node: nodes.AsyncFor, ctx: ModuleContext) -> Iterator[Any]:
        yield from self._check_loop(for_loop(node), ctx)

    def check_listcomp(self, node: nodes.ListComp, ctx: ModuleContext) -> Iterator[Any]:
        for loop in comprehension_loops(node):
            yield from self._check_loop(loop, ctx)

    check_setcomp = check_listcomp
    check_dictcomp = check_listcomp
    check_generatorexp = check_listcomp


def enclosing_loops(node: nodes.NodeNG) -> Iterator[Loop]:
    """The loops whose body runs `node` once per iteration, innermost first, within its function."""
    previous: nodes.NodeNG | None = None
    current = node
    while current.parent is not None and not isinstance(current.parent, _BOUNDARIES):
        parent = current.parent
        if isinstance(parent, FOR_NODES) and any(s is current for s in parent.body):
            yield for_loop(parent)
        elif isinstance(parent, COMPREHENSIONS):
            generators = parent.generators
            loops = comprehension_loops(parent)
            inner = len(generators) - 1
            for j, generator in enumerate(generators):
                if generator is current:  # the first clause's iterable runs once, before the loop
                    inner = j if previous is not None and any(c is previous for c in generator.ifs) else j - 1
            for k in range(inner, -1, -1):
                yield loops[k]
        previous, current = current, parent


def is_production_code(ctx: ModuleContext, *, commands: bool = True) -> bool:
    """Not a test or a migration; with commands=False, not a management command either."""
    if ctx.kinds & {"tests", "migrations"} or is_test_support(ctx.relpath):
        return False
    return commands or not is_management_command(ctx.relpath)


def is_test_support(relpath: str) -> bool:
    """Helpers for tests outside `tests/` folders: `testing/`, `test/`, `conftest.py`, `factories`."""
    parts = relpath.split("/")
    return bool({"testing", "test", "test_utils", "testutils"} & set(parts[:-1])) or parts[-1] in (
        "conftest.py", "factories.py", "testing.py",
    )


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def mentions_querysets(ctx: ModuleContext) -> bool:
    """Cheap gate: the file names something a loop's queryset can be traced to (a project model,
    a view's `queryset` / `get_queryset`, a helper function returning a queryset, or an alias of
    one of those). Without one, no loop in it walks rows djvet knows, and no tree is built."""
    return not _queryset_words(ctx.index).isdisjoint(_IDENTIFIER.findall(ctx.text))


def _queryset_words(index: ProjectIndex) -> frozenset[str]:
    return shared("queryset-words", index, _collect_queryset_words)


def _collect_queryset_words(index: ProjectIndex) -> frozenset[str]:
    words = {"queryset", "get_queryset", *(model.name for model in index.models.values())}
    helpers = set()
    for module in index.modules.values():
        for function in module.functions.values():
            if len(function.returns) == 1 and trace_queryset(index, function.returns[0], TraceContext(module.name)) is not None:
                helpers.add(function.qualname)
                words.add(function.name)
    resolver = index_resolver(index)
    targets = helpers | set(index.models)
    for module in index.modules.values():
        for local, target in module.imports.items():
            if local not in words and resolver.canonical(target) in targets:
                words.add(local)
    return frozenset(words)


def is_management_command(relpath: str) -> bool:
    return "/management/commands/" in f"/{relpath}"


def walk_body(loop: Loop, shadowing: str | None = None) -> Iterator[nodes.NodeNG]:
    """Every node of the loop's body, parents first, not entering nested functions or classes, nor
    comprehensions that bind the name `shadowing` again (in them it is another variable)."""
    stack = list(reversed(loop.body))
    while stack:
        node = stack.pop()
        if shadowing is not None and isinstance(node, COMPREHENSIONS) and _binds(node, shadowing):
            stack.append(node.generators[0].iter)  # the first iterable is evaluated outside
            continue
        yield node
        if not isinstance(node, NESTED_SCOPES):
            stack.extend(reversed(list(node.get_children())))


def _binds(comprehension: nodes.NodeNG, name: str) -> bool:
    return any(name in target_names(g.target) for g in comprehension.generators)


def target_names(target: nodes.NodeNG) -> set[str]:
    if isinstance(target, nodes.AssignName):
        return {target.name}
    if isinstance(target, (nodes.Tuple, nodes.List)):
        return set().union(*(target_names(e) for e in target.elts)) if target.elts else set()
    if isinstance(target, nodes.Starred):
        return target_names(target.value)
    return set()


def rebound_line(loop: Loop, name: str) -> int | None:
    """The first line in the loop's body that binds `name` again (after it the name is something else)."""
    lines = [
        n.lineno
        for n in walk_body(loop, shadowing=name)
        if isinstance(n, (nodes.AssignName, nodes.DelName)) and n.name == name and n.lineno
    ]
    return min(lines) if lines else None


def runs_once(node: nodes.NodeNG, loop: Loop) -> bool:
    """Whether `node` runs at most once for the whole loop: a statement after it in the same block
    (or a block around it) returns, raises or breaks out of this loop unconditionally."""
    if not isinstance(loop.node, FOR_NODES):
        return False
    inner_loop = False
    current = node.statement()
    while current is not loop.node and current.parent is not None:
        block = _block_of(current)
        if block is not None:
            start = next(i for i, s in enumerate(block) if s is current)
            for later in block[start:]:
                if isinstance(later, nodes.Continue):
                    break
                if isinstance(later, (nodes.Return, nodes.Raise)) or (isinstance(later, nodes.Break) and not inner_loop):
                    return True
        parent = current.parent
        if isinstance(parent, (*FOR_NODES, nodes.While)) and parent is not loop.node:
            inner_loop = True
        current = parent
    return False


def runs_once_per_value(node: nodes.NodeNG, loop: Loop) -> bool:
    """Whether `node` sits in the body of an `if` that remembers what it did: `if key not in
    cache: ... cache[key] = ...`, `if last != row.event_id: ... last = ...`, `if x is None: x = ...`.
    The block runs once per distinct value, not once per iteration."""
    if not isinstance(loop.node, FOR_NODES):
        return False
    current = node
    while current is not loop.node and current.parent is not None:
        parent = current.parent
        if isinstance(parent, nodes.If) and any(s is current for s in parent.body):
            remembered = _guarded_names(parent.test) & _stored_names(parent.body)
            if remembered:
                kept = _names_kept_across_iterations(loop, parent)
                if any(name.split(".")[0] in kept for name in remembered):
                    return True
        current = parent
    return False


def _names_kept_across_iterations(loop: Loop, check: nodes.If) -> set[str]:
    """Names bound before the loop (and `self`) that neither the loop target nor a statement of
    the body before `check` binds again: their value comes from an earlier iteration."""
    function = enclosing_function(loop.node)
    if function is None:
        return set()
    names = {"self", *function.argnames()}
    rebound = set(target_names(loop.target))
    for node in function.nodes_of_class(nodes.AssignName, skip_klass=NESTED_SCOPES):
        line = node.lineno or 0
        if line < (loop.node.lineno or 0):
            names.add(node.name)
        elif line < (check.lineno or 0) and loop.node.parent_of(node):
            rebound.add(node.name)
    return names - rebound


_REMEMBERING_CALLS = frozenset({"add", "append", "setdefault", "update", "__setitem__"})


def _guarded_names(test: nodes.NodeNG) -> set[str]:
    """Names a condition checks for a value already seen: `x not in seen`, `last != x`, `x is None`."""
    names: set[str] = set()
    for node in (test, *test.nodes_of_class((nodes.Compare, nodes.UnaryOp))):
        if isinstance(node, nodes.UnaryOp) and node.op == "not":
            names |= {n for n in (dotted(node.operand),) if n}
        elif isinstance(node, nodes.Compare):
            operands = [node.left, *(right for _, right in node.ops)]
            if any(op in ("!=", "is not", "not in", "is") for op, _ in node.ops):
                names |= {n for n in map(dotted, operands) if n}
    return names


def _stored_names(body: list[nodes.NodeNG]) -> set[str]:
    """Names (and `self.x` attributes) a block assigns, or stores into (`d[k] = v`, `seen.add(x)`)."""
    names: set[str] = set()
    for statement in body:
        for node in statement.nodes_of_class(
            (nodes.AssignName, nodes.AssignAttr, nodes.Subscript, nodes.Call), skip_klass=NESTED_SCOPES
        ):
            if isinstance(node, nodes.AssignName):
                names.add(node.name)
            elif isinstance(node, nodes.AssignAttr) and dotted(node.expr):
                names.add(f"{dotted(node.expr)}.{node.attrname}")
            elif isinstance(node, nodes.Subscript) and is_store_target(node):
                names |= {n for n in (dotted(node.value),) if n}
            elif (
                isinstance(node, nodes.Call)
                and isinstance(node.func, nodes.Attribute)
                and node.func.attrname in _REMEMBERING_CALLS
            ):
                names |= {n for n in (dotted(node.func.expr),) if n}
    return names


def is_store_target(node: nodes.NodeNG) -> bool:
    """`node` is what an assignment writes to (`d[k] = v`, `d[k] += 1`), not a value it reads."""
    parent = node.parent
    if isinstance(parent, nodes.Assign):
        return any(target is node for target in parent.targets)
    return isinstance(parent, (nodes.AugAssign, nodes.AnnAssign)) and parent.target is node


def _block_of(statement: nodes.NodeNG) -> list[nodes.NodeNG] | None:
    for field in ("body", "orelse", "finalbody", "handlers"):
        block = getattr(statement.parent, field, None)
        if isinstance(block, list) and any(s is statement for s in block):
            return block
    return None


# ---- the rows of a loop ------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Rows:
    """A loop whose variable `var` is bound to each model instance of a queryset djvet traced."""

    var: str
    loaded: Loaded
    source: nodes.NodeNG  # the queryset expression in this file: the iterable, or a local's value
    assigned: bool  # `source` is the value of a local assignment, not the loop's iterable itself
    through_iterator: bool  # rows come through `.iterator()`


_ROWS: weakref.WeakKeyDictionary[nodes.NodeNG, tuple[int, Rows | None]] = weakref.WeakKeyDictionary()


def find_rows(loop: Loop, ctx: ModuleContext) -> Rows | None:
    """The model rows `loop` walks, or None when djvet cannot know them (cached per loop)."""
    cached = _ROWS.get(loop.node)
    if cached is not None and cached[0] == id(ctx.index):
        return cached[1]
    rows = _find_rows(loop, ctx)
    _ROWS[loop.node] = (id(ctx.index), rows)
    return rows


def _find_rows(loop: Loop, ctx: ModuleContext) -> Rows | None:
    found = _row_variable(loop.target, loop.iter)
    if found is None:
        return None
    var, iterable = found
    source, through_iterator = _strip(iterable)
    assigned = False
    function = enclosing_function(loop.node)
    for _ in range(_MAX_HOPS):
        if not isinstance(source, nodes.Name):
            break
        if function is None or _fills_prefetch_cache(function):
            return None
        value = find_local_value(function, source.name, source.lineno or 0)
        if value is None:
            return None
        source, via_iterator = _strip(value)
        through_iterator = through_iterator or via_iterator
        assigned = True
    loaded = loaded_by(source, ctx)
    if loaded is None or loaded.values:
        return None
    return Rows(var, loaded, source, assigned, through_iterator)


def _row_variable(target: nodes.NodeNG, iterable: nodes.NodeNG) -> tuple[str, nodes.NodeNG] | None:
    if isinstance(target, nodes.AssignName):
        return target.name, iterable
    # for i, row in enumerate(queryset)
    if (
        isinstance(target, nodes.Tuple)
        and len(target.elts) == 2
        and isinstance(target.elts[1], nodes.AssignName)
        and _called_name(iterable) == "enumerate"
        and isinstance(iterable, nodes.Call)
        and iterable.args
        and not isinstance(iterable.args[0], nodes.Starred)
    ):
        return target.elts[1].name, iterable.args[0]
    return None


def _called_name(node: nodes.NodeNG) -> str | None:
    if isinstance(node, nodes.Call) and isinstance(node.func, nodes.Name):
        return node.func.name
    return None


def _strip(node: nodes.NodeNG) -> tuple[nodes.NodeNG, bool]:
    """`list(qs)`, `sorted(qs)`, `qs[:10]`, `qs.iterator()` -> `qs`; and whether `.iterator()` was seen."""
    through_iterator = False
    for _ in range(8):
        if (
            _called_name(node) in _ROW_WRAPPERS
            and len(node.args) >= 1
            and not isinstance(node.args[0], nodes.Starred)
        ):
            node = node.args[0]
        elif (
            isinstance(node, nodes.Call)
            and isinstance(node.func, nodes.Attribute)
            and node.func.attrname == "iterator"
        ):
            node = node.func.expr
            through_iterator = True
        elif isinstance(node, nodes.Subscript) and isinstance(node.slice, nodes.Slice):
            node = node.value
        else:
            break
    return node, through_iterator


def _fills_prefetch_cache(function: nodes.FunctionDef) -> bool:
    """`prefetch_related_objects(rows, ...)` loads relations onto a list after it was built."""
    for node in function.nodes_of_class(nodes.Call):
        func = node.func
        name = func.name if isinstance(func, nodes.Name) else func.attrname if isinstance(func, nodes.Attribute) else ""
        if name == "prefetch_related_objects":
            return True
    return False


# ---- naming a loop's queryset in messages --------------------------------------------------------


def short_source(node: nodes.NodeNG, limit: int = 40) -> str:
    """The expression as written, with call arguments elided when it is long."""
    text = node.as_string()
    if len(text) <= limit and "\n" not in text:
        return text
    elided = _elide(node)
    return elided if len(elided) <= 2 * limit else elided[: 2 * limit - 3] + "..."


def _elide(node: nodes.NodeNG) -> str:
    if isinstance(node, nodes.Call):
        return f"{_elide(node.func)}({'...' if node.args or node.keywords else ''})"
    if isinstance(node, nodes.Attribute):
        return f"{_elide(node.expr)}.{node.attrname}"
    if isinstance(node, nodes.Subscript):
        return f"{_elide(node.value)}[...]"
    if isinstance(node, nodes.Name):
        return node.name
    text = node.as_string()
    return text if len(text) <= 20 and "\n" not in text else "..."


def origin(rows: Rows, ctx: ModuleContext) -> str:
    """Where the loop's queryset was built: `line 12` in this file, or `path:line` in another."""
    head, calls = unwind(to_expr(rows.source))
    where = None
    if isinstance(head, Name) and head.dotted == "self.queryset":
        where = _view_origin(rows.source, ctx, "queryset")
    elif isinstance(head, Name) and head.dotted == "self" and calls and calls[0][0] == "get_queryset":
        where = _view_origin(rows.source, ctx, "get_queryset")
    elif isinstance(head, Call) and isinstance(head.func, Name) and head.func.dotted != "super":
        where = _function_origin(head.func.dotted, ctx)
    if where is None or where[0] == ctx.relpath:
        line = where[1] if where is not None else rows.source.lineno
        return f"line {line}"
    return f"`{where[0]}:{where[1]}`"


def _view_origin(node: nodes.NodeNG, ctx: ModuleContext, attr: str) -> tuple[str, int] | None:
    function = enclosing_function(node)
    if function is None or not isinstance(function.parent, nodes.ClassDef):
        return None
    view = ctx.index.views.get(ctx.qualname(function.parent))
    if view is None:
        return None
    for cls in view.ancestors:
        info = ctx.index.classes.get(cls)
        if info is None:
            continue
        module = ctx.index.modules.get(info.module)
        if module is None:
            continue
        method = info.methods.get("get_queryset") if attr == "get_queryset" else None
        if method is not None:
            return module.path, method.returns[0].line if method.returns else method.line
        if "queryset" in info.attrs:
            return module.path, info.attr_lines.get("queryset", info.line)
    return None


def _function_origin(dotted: str, ctx: ModuleContext) -> tuple[str, int] | None:
    resolver = index_resolver(ctx.index)
    function = resolver.functions.get(resolver.resolve(ctx.module, dotted))
    if function is None:
        return None
    module = ctx.index.modules.get(function.qualname.rsplit(".", 1)[0])
    if module is None:
        return None
    return module.path, function.returns[0].line if function.returns else function.line
