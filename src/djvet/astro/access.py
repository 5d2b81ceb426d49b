"""What the access-control rules share: the gate, and how a policy is named in a message."""

from __future__ import annotations

from collections.abc import Iterable

from djvet.engine import ModuleContext
from djvet.index.deps import shared
from djvet.index.facts import ProjectIndex, ViewFact
from djvet.index.policy import Classes, Operation, PolicyBook, policy_book, split_words


def checks_access(ctx: ModuleContext) -> tuple[PolicyBook, bool]:
    """The policy book, and whether the module holds DRF views or their bases outside tests
    (a view in a test module is a fixture of the test, not an endpoint). The gate is looked up
    by module (see index.deps), so other files' cached findings do not depend on the whole book."""
    is_drf = "tests" not in ctx.kinds and bool(shared("drf-modules", ctx.index, _drf_modules).get(ctx.module))
    return policy_book(ctx.index) if is_drf else _NO_BOOK, is_drf  # type: ignore[return-value]


_NO_BOOK = None  # callers read the book only where the gate passed


def _drf_modules(index: ProjectIndex) -> dict[str, bool]:
    return dict.fromkeys(sorted(policy_book(index).drf_modules), True)


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


# Words that mark a Django view public by design beyond the policy's (docs/access-policy.md): forms
# anyone may send (contact, feedback, newsletter, comments, votes), the language switch, search,
# anonymous carts and checkouts.
ANONYMOUS_WRITE_WORDS = frozenset(
    {
        "contact", "feedback", "subscribe", "subscription", "confirm", "confirmation", "newsletter", "comment",
        "comments", "vote", "poll", "survey", "setlang", "language", "lang", "i18n", "locale", "search", "cart",
        "basket", "checkout", "guest", "anonymous", "public", "embed", "iframe", "widget", "track", "tracking",
        "analytics", "metrics", "telemetry", "beacon", "csp",
    }
)  # fmt: skip
def defines_views(ctx: ModuleContext, django_only: bool = False) -> bool:
    """The module defines a view (with `django_only`, a Django one: not DRF's)."""
    kinds = shared("view-modules", ctx.index, _view_modules).get(ctx.module)
    return kinds is not None and (not django_only or kinds[1])


def _view_modules(index: ProjectIndex) -> dict[str, tuple[bool, bool]]:
    """Module -> (defines a view, defines a Django view)."""
    found: dict[str, tuple[bool, bool]] = {}
    for view in index.views.values():
        django = found.get(view.module, (True, False))[1] or view.kind.startswith("django-")
        found[view.module] = (True, django)
    return found


def public_word(book: PolicyBook, view: ViewFact) -> str | None:
    """A word of the view's name, its URLs or its module that marks a Django view anyone may send
    data to by design (a contact form, the language switch, an anonymous cart)."""
    words = split_words(view.name) | book.route_words.get(view.qualname, set()) | split_words(view.module.rpartition(".")[2])
    hits = sorted(words & ANONYMOUS_WRITE_WORDS)
    return hits[0] if hits else None


# Folders that hold test support code (views and URLconfs written for a test suite), beyond the
# `tests` kind: `oscar/test/factories/views.py`, `cms/test_utils/project/...`
TEST_SUPPORT_FOLDERS = frozenset({"test", "tests", "testing", "testapp", "testapps", "testproject", "test_utils"})


def is_test_code(ctx: ModuleContext) -> bool:
    """A test module, or a module inside a folder of test support code."""
    parts = ctx.relpath.split("/")[:-1]
    return "tests" in ctx.kinds or any(p in TEST_SUPPORT_FOLDERS or p.startswith(("test_", "tests_")) for p in parts)
