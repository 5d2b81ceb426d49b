"""Attribute chains read on a model row (`book.author.name`, `book.reviews.count()`), walked over
the model's relations to find the ones a queryset does not load: one query per row each.

Also what a model method reads on `self` (a `__str__`, a property listed in an admin or read by a
template): the method's source is parsed with `ast`, and only reads that always happen count."""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass, field

from djvet.index.bodies import function_node
from djvet.index.facts import FunctionInfo, ProjectIndex
from djvet.index.querysets import Loaded, loaded_after_calls, relation_step

SINGLE = frozenset({"fk", "o2o", "o2o-reverse"})
MANY = frozenset({"fk-reverse", "m2m"})
# Manager methods whose answer a prefetch of the relation already holds.
PREFETCH_SERVED = frozenset({"all", "count", "exists"})
# Manager methods that Django's templates never call (`alters_data`), so no query either.
ALTERS_DATA = frozenset(
    {"create", "get_or_create", "update_or_create", "bulk_create", "add", "remove", "clear", "set", "delete", "update"}
)
NOT_METHODS = frozenset({"staticmethod", "classmethod"})
PROPERTIES = frozenset({"property", "cached_property"})


@dataclass(frozen=True, slots=True)
class Read:
    """Attributes read on a row: `obj.reviews.count()` is (("reviews", "count"), called=True)."""

    chain: tuple[str, ...]
    called: bool = False  # the chain's last attribute is called
    rendered: bool = False  # the value is shown as text: a related row's `__str__` runs
    line: int = 0


@dataclass(frozen=True, slots=True)
class Step:
    attr: str
    kind: str  # fk | o2o | o2o-reverse | fk-reverse | m2m
    owner: str  # the model the accessor is on
    null: bool = False


@dataclass(frozen=True, slots=True)
class Miss:
    """A relation read once per row that the queryset does not load."""

    steps: tuple[Step, ...]
    method: str | None = None  # the manager method called on a to-many relation
    via: str | None = None  # "Review.__str__" when a model method reads it
    nullable: bool = False  # select_related() without arguments would load it, were it not nullable

    @property
    def path(self) -> str:
        return "__".join(s.attr for s in self.steps)

    @property
    def select(self) -> bool:
        """Whether select_related can load the whole path (else prefetch_related)."""
        return all(s.kind in SINGLE for s in self.steps)

    def describe(self, index: ProjectIndex) -> str:
        """`Book.author`, `Book.author.publisher`, `Book.reviews.count()`."""
        root = index.models.get(self.steps[0].owner)
        name = root.name if root is not None else self.steps[0].owner.rsplit(".", 1)[-1]
        text = ".".join([name, *(s.attr for s in self.steps)])
        return f"{text}.{self.method}()" if self.method else text


@dataclass
class RelationWalker:
    """Walks reads on the rows of `loaded` and collects the relations it does not load."""

    index: ProjectIndex
    loaded: Loaded
    python: bool = True  # Python code calls explicitly; templates call every callable
    misses: list[Miss] = field(default_factory=list)

    def walk(self, read: Read, *, via: str | None = None) -> None:
        self._walk(self.loaded.model, read, (), False, via, 0)

    def _walk(self, model: str, read: Read, prefix: tuple[Step, ...], fresh: bool, via: str | None, depth: int) -> None:
        chain = read.chain
        for position, attr in enumerate(chain):
            step = relation_step(self.index, model, attr)
            if step is None:
                if depth == 0:  # a model method or property: what it reads (one level deep)
                    called = not self.python or (position == len(chain) - 1 and read.called)
                    self._method(model, attr, prefix, fresh, depth, called)
                return
            kind, target, _ = step
            fact = self.index.models[model].fields.get(attr) if model in self.index.models else None
            steps = (*prefix, Step(attr, kind, model, bool(fact is not None and fact.null)))
            path = "__".join(s.attr for s in steps)
            if kind not in SINGLE | MANY or self.loaded.is_below_custom_prefetch(path):
                return
            if kind in MANY:
                self._many(steps, target, read, chain[position + 1 :], fresh, via, depth)
                return
            if fresh or not self._selected(path, steps):
                self.misses.append(Miss(steps, via=via, nullable=not fresh and self._nullable_only(path, steps)))
                fresh = True
            if target is None or target not in self.index.models:
                return
            model, prefix = target, steps
        if read.rendered and depth == 0:
            self._method(model, "__str__", prefix, fresh, depth, True)

    def _many(
        self, steps: tuple[Step, ...], target: str | None, read: Read, rest: tuple[str, ...], fresh: bool, via: str | None, depth: int
    ) -> None:
        if not rest:
            return  # the manager itself: no query until a method of it is called
        method = rest[0]
        if (self.python and not (len(rest) == 1 and read.called)) or method in ALTERS_DATA:
            return
        path = "__".join(s.attr for s in steps)
        if not fresh and self.loaded.covers(path, forward=False):
            if method == "all" and len(rest) > 1 and target in self.index.models:
                self._walk(target, Read(rest[1:], read.called, read.rendered), steps, False, via, depth)  # type: ignore[arg-type]
            return  # count / exists are served by the prefetch; other methods djvet does not judge
        self.misses.append(Miss(steps, method=method, via=via))
        if method == "all" and len(rest) > 1 and target in self.index.models:
            self._walk(target, Read(rest[1:], read.called, read.rendered), steps, True, via, depth)  # type: ignore[arg-type]

    def _method(self, model: str, name: str, prefix: tuple[Step, ...], fresh: bool, depth: int, called: bool) -> None:
        reads = method_reads(self.index, model, name, called=called)
        if not reads:
            return
        model_name = self.index.models[model].name if model in self.index.models else model
        python, self.python = self.python, True
        try:
            for read in reads:
                self._walk(model, read, prefix, fresh, f"{model_name}.{name}", depth + 1)
        finally:
            self.python = python

    def _selected(self, path: str, steps: tuple[Step, ...]) -> bool:
        loaded = self.loaded
        if any(p == path or p.startswith(path + "__") for p in loaded.select | loaded.prefetch):
            return True
        # select_related() without arguments follows forward foreign keys that are not nullable
        return loaded.select_all and all(s.kind in ("fk", "o2o") and not s.null for s in steps)

    def _nullable_only(self, path: str, steps: tuple[Step, ...]) -> bool:
        return self.loaded.select_all and all(s.kind in ("fk", "o2o") for s in steps)

    def final_misses(self) -> list[Miss]:
        """One miss per path, the deepest only (loading `a__b` loads `a` too), in reading order."""
        by_path: dict[str, Miss] = {}
        for miss in self.misses:
            by_path.setdefault(miss.path, miss)
        paths = list(by_path)
        return [by_path[p] for p in paths if not any(o.startswith(p + "__") for o in paths)]


def default_loaded(index: ProjectIndex, model: str) -> Loaded | None:
    """What `Model._default_manager.all()` loads; None when a manager of the model changes loading
    in its `get_queryset` (the default manager is not always `objects`)."""
    fact = index.models.get(model)
    if fact is None:
        return None
    for name in fact.managers:
        if loaded_after_calls(index, model, name, ()) is None:
            return None
    return loaded_after_calls(index, model, None, ())


# ---- what a function reads on one of its arguments -------------------------------------------------


def instance_reads(function: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda, name: str) -> list[Read]:
    """Attribute chains read on `name` by statements that always run (not inside an `if`, a loop,
    the right side of `and` / `or`, a conditional expression or a nested function)."""
    reads: list[Read] = []
    body = [function.body] if isinstance(function, ast.Lambda) else function.body
    for node in _unconditional(body):
        _expression_reads(node, name, reads)
    return reads


def _unconditional(body: Iterable[ast.AST]) -> Iterable[ast.AST]:
    """The expressions of statements that always run: a block that may return or raise makes
    every statement after it conditional."""
    for statement in body:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        if isinstance(statement, (ast.If, ast.While)):
            yield statement.test
        elif isinstance(statement, (ast.For, ast.AsyncFor)):
            yield statement.iter
        elif isinstance(statement, (ast.With, ast.AsyncWith)):
            yield from (item.context_expr for item in statement.items)
            yield from _unconditional(statement.body)
        elif isinstance(statement, ast.Try):
            yield from _unconditional(statement.body)
        elif isinstance(statement, ast.stmt):
            yield from (child for child in ast.iter_child_nodes(statement) if isinstance(child, ast.expr))
        else:
            yield statement
        if isinstance(statement, ast.Return | ast.Raise) or _may_leave(statement):
            return


def _may_leave(statement: ast.AST) -> bool:
    """Whether a compound statement holds a `return` or `raise` of its own function."""
    if not isinstance(statement, (ast.If, ast.While, ast.For, ast.AsyncFor, ast.With, ast.AsyncWith, ast.Try, ast.Match)):
        return False
    stack = list(ast.iter_child_nodes(statement))
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Return, ast.Raise)):
            return True
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            stack.extend(ast.iter_child_nodes(node))
    return False


def _expression_reads(node: ast.AST, name: str, reads: list[Read]) -> None:
    stack: list[tuple[ast.AST, ast.AST | None]] = [(node, None)]
    while stack:
        current, parent = stack.pop()
        if isinstance(current, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            continue
        if isinstance(current, ast.Attribute) and not isinstance(parent, ast.Attribute):
            chain = _chain(current, name)
            if chain is not None:
                if isinstance(current.ctx, ast.Load):
                    called = isinstance(parent, ast.Call) and parent.func is current
                    rendered = isinstance(parent, ast.FormattedValue)
                    reads.append(Read(chain, called, rendered, current.lineno))
                continue
        children: list[ast.AST]
        if isinstance(current, ast.BoolOp):
            children = list(current.values[:1])
        elif isinstance(current, ast.IfExp):
            children = [current.test]
        else:
            children = list(ast.iter_child_nodes(current))
        stack.extend((child, current) for child in reversed(children))


def _chain(node: ast.Attribute, name: str) -> tuple[str, ...] | None:
    parts = []
    current: ast.AST = node
    while isinstance(current, ast.Attribute):
        parts.append(current.attr)
        current = current.value
    if isinstance(current, ast.Name) and current.id == name:
        return tuple(reversed(parts))
    return None


# ---- model methods ---------------------------------------------------------------------------------

def find_method(index: ProjectIndex, cls: str, name: str) -> tuple[str, FunctionInfo] | None:
    """The project class in `cls`'s MRO defining method `name`, with the method."""
    for ancestor in index.mros.get(cls, (cls,)):
        info = index.classes.get(ancestor)
        if info is not None and name in info.methods:
            return ancestor, info.methods[name]
    return None


def method_reads(index: ProjectIndex, model: str, name: str, *, called: bool = True) -> list[Read] | None:
    """What method or property `name` of `model` always reads on `self`; None when it is not a
    project method callable without arguments (or, unless `called`, not a property)."""
    found = find_method(index, model, name)
    if found is None:
        return None
    owner, info = found
    decorators = {getattr(d, "dotted", "").rsplit(".", 1)[-1] for d in info.decorators}
    if info.args != ("self",) or decorators & NOT_METHODS:
        return None
    if not called and not decorators & PROPERTIES:
        return None
    module = index.modules.get(index.classes[owner].module)
    if module is None:
        return None
    node = function_node(index, info)
    if node is None or node.args.vararg is not None:
        return None
    return instance_reads(node, "self")
