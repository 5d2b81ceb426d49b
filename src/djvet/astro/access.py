"""What the access-control rules share: the gate, and how a policy is named in a message."""

from __future__ import annotations

from collections.abc import Iterable

from djvet.engine import ModuleContext
from djvet.index.policy import Classes, Operation, PolicyBook, policy_book


def checks_access(ctx: ModuleContext) -> tuple[PolicyBook, bool]:
    """The policy book, and whether the module holds DRF views or their bases outside tests
    (a view in a test module is a fixture of the test, not an endpoint)."""
    book = policy_book(ctx.index)
    return book, "tests" not in ctx.kinds and ctx.module in book.drf_modules


def short(name: str) -> str:
    """`rest_framework.permissions.AllowAny` -> `AllowAny`; composed classes keep their operator."""
    return " | ".join(" & ".join(p.rpartition(".")[2] for p in part.split(" & ")) for part in name.split(" | "))


def class_names(classes: Classes) -> str:
    names = classes.names if isinstance(classes.names, tuple) else ()
    return ", ".join(short(n) for n in names)


def describe_source(classes: Classes, attr: str = "permission_classes") -> str:
    """Where classes in force come from, for a message."""
    listed = f"[{class_names(classes)}]"
    origin = short(classes.origin) if classes.origin else "?"
    if classes.source == "view":
        return f"`{attr} = {listed}` in `{origin}`"
    if classes.source == "decorator":
        return f"`@{attr}({listed})`"
    if classes.source == "action":
        return f"`@action({attr}={listed})`"
    if classes.source == "get_permissions":
        return f"`{origin}` returns `{listed}`"
    if classes.source == "project-default":
        return f"`DEFAULT_{attr.upper()} = {listed}` in `{classes.origin}`"
    setting = f"DEFAULT_{attr.upper()}"
    return f"DRF's default `{class_names(classes)}`: `REST_FRAMEWORK` does not set `{setting}`"


def describe_operations(operations: Iterable[Operation]) -> str:
    """`create`, `destroy` for viewset actions; `POST`, `DELETE` for other views."""
    names = [op.action if op.action is not None else op.method for op in operations]
    return ", ".join(f"`{n}`" for n in dict.fromkeys(names))
