"""Which fields of which model the project's code names in queryset lookups: `Book.objects.filter(
isbn=...)`, `.order_by("-published")`, `.values("title")`. Only chains that start at a model's
manager (`Book.objects...`), where the model is certain; read from the modules' syntax once per
index, outside tests and migrations."""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from dataclasses import dataclass

from djvet.index.bodies import module_text, module_tree
from djvet.index.expr import dotted_name
from djvet.index.facts import ProjectIndex
from djvet.index.querysets import MANAGER_NAMES, index_resolver

KEYWORD_METHODS = frozenset({"filter", "exclude", "get", "get_or_create", "update_or_create", "update", "create"})
NAME_METHODS = frozenset({"order_by", "values", "values_list", "only", "defer", "distinct"})
NOT_FIELDS = frozenset({"defaults", "create_defaults", "flat", "named"})


@dataclass(frozen=True, slots=True)
class FieldLookup:
    model: str  # qualname
    field: str  # the first part of the lookup: `isbn` for `isbn__iexact`
    method: str  # filter | order_by | values ...
    path: str  # relative to the project root
    line: int
    # the other fields this call and the filters before it in the chain name: `filter(order=o,
    # provider=p)` narrows by `order` too
    siblings: frozenset[str] = frozenset()
    lookup: str = ""  # as written: `isbn__iexact`


def field_lookups(index: ProjectIndex) -> Mapping[str, tuple[FieldLookup, ...]]:
    """Model qualname -> the lookups naming its fields, in path and line order (once per index: a
    shared result, index.deps)."""
    from djvet.index.deps import shared

    return shared("field lookups", index, _collect)


def lookups_naming(index: ProjectIndex, words: frozenset[str]) -> Mapping[str, tuple[FieldLookup, ...]]:
    """As field_lookups, reading only the modules whose text holds one of `words` (a field name):
    one rare question does not parse the whole project."""
    return _collect(index, words)


def _collect(index: ProjectIndex, words: frozenset[str] | None = None) -> Mapping[str, tuple[FieldLookup, ...]]:
    found: dict[str, list[FieldLookup]] = {}
    for name, info in sorted(index.modules.items()):
        if info.kinds & {"tests", "migrations"} or "tests" in info.path.split("/")[:-1]:
            continue
        if words is not None:
            text = module_text(index, name)
            if text is None or not _names_any(text, words):
                continue
        tree = module_tree(index, name)
        if tree is None:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                method = node.func.attr
                if method not in KEYWORD_METHODS and method not in NAME_METHODS:
                    continue
                model = _model_of_chain(index, name, node.func.value)
                if model is None:
                    continue
                lookups = _lookups(node, method)
                together = frozenset(n.split("__", 1)[0] for n in lookups) | _chain_filters(node.func.value)
                for lookup in lookups:
                    field = lookup.split("__", 1)[0]
                    found.setdefault(model, []).append(FieldLookup(model, field, method, info.path, node.lineno, together - {field}, lookup))
    return {model: tuple(sorted(items, key=lambda f: (f.path, f.line, f.field))) for model, items in found.items()}


def _names_any(text: str, words: frozenset[str]) -> bool:
    """Whether the text could hold a lookup of one of the fields (or its `_id`): as a keyword
    (`isbn=`, `isbn__iexact =`) or as a string (`"isbn"`, `'-isbn'`), the two forms _lookups reads."""
    if not any(word in text for word in words):  # what the pattern needs first; a plain search is ~50x faster
        return False
    alternatives = "|".join(sorted(map(re.escape, words)))
    pattern = rf"\b(?:{alternatives})(?:_id)?(?:__\w+)?\s*=(?!=)|[\"'](?:-)?(?:{alternatives})(?:_id)?(?:__\w+)?[\"']"
    return re.search(pattern, text) is not None


def _model_of_chain(index: ProjectIndex, module: str, receiver: ast.AST) -> str | None:
    """The model of `Book.objects` / `Book.objects.filter(...).exclude(...)`; None for anything else."""
    for _ in range(30):
        if isinstance(receiver, ast.Call) and isinstance(receiver.func, ast.Attribute):
            receiver = receiver.func.value
        else:
            break
    dotted = dotted_name(receiver)
    if dotted is None or "." not in dotted:
        return None
    head, _, manager = dotted.rpartition(".")
    model: str = index_resolver(index).resolve(module, head)
    fact = index.models.get(model)
    if fact is None or (manager not in MANAGER_NAMES and manager not in fact.managers):
        return None
    return model


def _chain_filters(receiver: ast.AST) -> frozenset[str]:
    """The fields named by the filter calls before this one in the chain."""
    names: set[str] = set()
    for _ in range(30):
        if not (isinstance(receiver, ast.Call) and isinstance(receiver.func, ast.Attribute)):
            break
        if receiver.func.attr in KEYWORD_METHODS:
            names.update(_fields(receiver, receiver.func.attr))
        receiver = receiver.func.value
    return frozenset(names)


def _lookups(call: ast.Call, method: str) -> list[str]:
    """The lookups as written: `isbn__iexact`, `-published`."""
    names: list[str] = []
    if method in KEYWORD_METHODS:
        names += [k.arg for k in call.keywords if k.arg and k.arg not in NOT_FIELDS]
        for arg in call.args:  # Q(isbn=...) objects, also combined: Q(a=1) | Q(b=2)
            for node in ast.walk(arg):
                if isinstance(node, ast.Call) and (dotted_name(node.func) or "").rsplit(".", 1)[-1] == "Q":
                    names += [k.arg for k in node.keywords if k.arg]
    else:
        names += [a.value.lstrip("-") for a in call.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
    return [n for n in names if n and n != "?"]


def _fields(call: ast.Call, method: str) -> list[str]:
    return [n.split("__", 1)[0] for n in _lookups(call, method)]
