"""Function bodies read back from source when a rule needs more than the index keeps (the index
holds names of calls, not their arguments): what `perform_create` passes to `serializer.save()`,
whether a serializer's `create()` hashes the password. Read lazily, one file at a time, cached per
index; a file that changed or no longer parses gives None, and rules stay silent on None."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from djvet.index.deps import PerIndex, record, untracked
from djvet.index.facts import FunctionInfo, ProjectIndex
from djvet.index.source import SourceError, parse_source, read_source

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef
_SOURCES: PerIndex[tuple[dict[str, str | None], dict[str, ast.Module | None]]] = PerIndex(lambda index: ({}, {}))


def _caches(index: ProjectIndex) -> tuple[dict[str, str | None], dict[str, ast.Module | None]]:
    return _SOURCES(untracked(index))  # one cache for every file's check; each read is recorded below


def module_text(index: ProjectIndex, module: str) -> str | None:
    """A project module's text, read once per index (every rule that reads bodies shares it)."""
    record("text", module)  # the caller's findings depend on this file's text
    index = untracked(index)
    texts, _ = _caches(index)
    if module not in texts:
        info = index.modules.get(module)
        text = None
        if info is not None:
            try:
                text = read_source(Path(index.root) / info.path)
            except (SourceError, OSError):
                text = None
        texts[module] = text
    return texts[module]


def module_tree(index: ProjectIndex, module: str) -> ast.Module | None:
    """A project module parsed with `ast`, once per index; None when unreadable."""
    record("text", module)
    index = untracked(index)
    _, trees = _caches(index)
    if module not in trees:
        text = module_text(index, module)
        info = index.modules.get(module)
        tree = None
        if text is not None and info is not None:
            try:
                tree = parse_source(text, info.path)
            except SourceError:
                tree = None
        trees[module] = tree
    return trees[module]


def module_of(index: ProjectIndex, qualname: str) -> str | None:
    module = qualname
    while module and module not in index.modules:
        module = module.rpartition(".")[0]
    return module or None


def function_node(index: ProjectIndex, function: FunctionInfo) -> FunctionNode | None:
    """The syntax of an indexed function, found by name and line in its module's file."""
    module = module_of(index, function.qualname)
    tree = module_tree(index, module) if module else None
    if tree is None:
        return None
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == function.name and node.lineno == function.line:
            return node
    return None


_NESTED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


def own_nodes(function: ast.AST) -> Iterator[ast.AST]:
    """Every node of a function body, not descending into nested functions or classes (in the
    order of a stack fed by `ast.iter_child_nodes`, inlined: the index walks every function body)."""
    stack = list(ast.iter_child_nodes(function))
    push, pop, AST = stack.append, stack.pop, ast.AST
    while stack:
        node = pop()
        yield node
        if not isinstance(node, _NESTED):
            for name in node._fields:
                value = getattr(node, name, None)
                if isinstance(value, AST):
                    push(value)
                elif isinstance(value, list):
                    for item in value:
                        if isinstance(item, AST):
                            push(item)


def called_names(function: ast.AST) -> set[str]:
    """The last part of every name called in the body: `user.set_password(...)` -> set_password."""
    names = set()
    for node in own_nodes(function):
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Attribute):
                names.add(node.func.attr)
            elif isinstance(node.func, ast.Name):
                names.add(node.func.id)
    return names


def mentions(function: ast.AST, name: str) -> bool:
    """The body names `name` as a string (`validated_data.pop("owner")`), a keyword argument
    (`save(owner=...)`) or an attribute (`instance.owner = ...`)."""
    for node in own_nodes(function):
        if isinstance(node, ast.Constant) and node.value == name:
            return True
        if isinstance(node, ast.keyword) and node.arg == name:
            return True
        if isinstance(node, ast.Attribute) and node.attr == name and isinstance(node.ctx, ast.Store):
            return True
    return False


def is_current_user(node: ast.AST) -> bool:
    """An expression that reads the user making the request: `request.user`, `self.request.user`,
    `self.context["request"].user`, or a local named `user` / `current_user`."""
    for child in ast.walk(node):
        if isinstance(child, ast.Attribute) and child.attr == "user":
            return True
        if isinstance(child, ast.Name) and child.id in ("user", "current_user", "request_user"):
            return True
    return False


def sets_from_current_user(function: ast.AST, name: str) -> bool:
    """`serializer.save(owner=self.request.user)`, `validated_data["owner"] = request.user` or
    `instance.owner = request.user` in the body."""
    for node in own_nodes(function):
        if isinstance(node, ast.Call):
            if any(k.arg == name and is_current_user(k.value) for k in node.keywords):
                return True
        elif isinstance(node, ast.Assign) and is_current_user(node.value):
            for target in node.targets:
                if isinstance(target, ast.Subscript) and isinstance(target.slice, ast.Constant) and target.slice.value == name:
                    return True
                if isinstance(target, ast.Attribute) and target.attr == name:
                    return True
    return False
