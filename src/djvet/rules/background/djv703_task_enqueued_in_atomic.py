"""DJV703 task-enqueued-in-atomic: see rules/DJV703.yaml."""

from __future__ import annotations

from collections.abc import Iterator

from astroid import nodes

from djvet.astro.exprs import dotted
from djvet.astro.loops import is_production_code
from djvet.astro.names import resolve_dotted
from djvet.astro.requests import own_nodes
from djvet.astro.tasks import enqueues_here, find_enqueue
from djvet.engine import ModuleContext
from djvet.rule import Hit, Rule

ATOMIC = frozenset({"django.db.transaction.atomic"})
NON_ATOMIC_REQUESTS = frozenset({"django.db.transaction.non_atomic_requests"})
_SCOPES = (nodes.FunctionDef, nodes.Lambda, nodes.ClassDef, nodes.Module)
# Calls that write rows: what a task enqueued in the transaction could miss, or act on after a rollback.
WRITES = frozenset({"save", "create", "delete", "bulk_create", "bulk_update", "get_or_create", "update_or_create"})
# Receivers whose `.delete()` / `.create()` / `.save()` is not a row (the cache, the session, files)
NOT_ROWS = frozenset({"cache", "session", "storage", "default_storage", "file", "os", "shutil"})


class TaskEnqueuedInAtomic(Rule):
    code = "DJV703"

    def applies_to(self, ctx: ModuleContext) -> bool:
        return is_production_code(ctx) and enqueues_here(ctx) and ("atomic" in ctx.text or _atomic_requests(ctx))

    def check_call(self, node: nodes.Call, ctx: ModuleContext) -> Iterator[Hit]:
        enqueue = find_enqueue(node, ctx)
        if enqueue is None or enqueue.on_commit or enqueue.custom_enqueue:
            return
        found = _transaction(node, ctx)
        if found is None or _retries_itself(node, ctx) or not _writes(found[1]):
            return
        yield Hit(node, {"task": enqueue.task, "transaction": found[0]})


def _transaction(node: nodes.NodeNG, ctx: ModuleContext) -> tuple[str, list[nodes.NodeNG]] | None:
    """How the code around `node` is atomic: a `with transaction.atomic():` block (its line), an
    `@transaction.atomic` function, or a view under `ATOMIC_REQUESTS`; with the nodes that run in
    that transaction. None when it is not atomic."""
    current = node
    while current.parent is not None and not isinstance(current, _SCOPES):
        parent = current.parent
        if isinstance(parent, nodes.With) and any(s is current for s in parent.body):
            if any(_is_atomic(item, ctx) for item, _ in parent.items):
                block = [n for statement in parent.body for n in _own(statement)]
                return f"the `with transaction.atomic()` block at line {parent.lineno}", block
        current = parent
    if not isinstance(current, nodes.FunctionDef):
        return None
    written = current.decorators.nodes if current.decorators else []
    decorators = [resolve_dotted(d.func if isinstance(d, nodes.Call) else d, ctx) for d in written]
    if any(d in ATOMIC for d in decorators):
        return f"`@transaction.atomic` on `{current.name}`", list(own_nodes(current))
    if _atomic_requests(ctx) and not any(d in NON_ATOMIC_REQUESTS for d in decorators) and _is_view_code(current, ctx):
        return "the request's transaction (`ATOMIC_REQUESTS = True`)", list(own_nodes(current))
    return None


def _own(statement: nodes.NodeNG) -> list[nodes.NodeNG]:
    """The statement and its nodes, not entering nested functions, lambdas or classes."""
    found, stack = [], [statement]
    while stack:
        node = stack.pop()
        found.append(node)
        if not isinstance(node, (nodes.FunctionDef, nodes.Lambda, nodes.ClassDef)):
            stack.extend(node.get_children())
    return found


def _writes(block: list[nodes.NodeNG]) -> bool:
    """The transaction writes a row where djvet can see it: `.save()`, `.create()`, `.delete()`, a
    bulk call, or `.update()` on a queryset (`qs.filter(...).update()`, `Model.objects.update()`)."""
    for node in block:
        if not isinstance(node, nodes.Call) or not isinstance(node.func, nodes.Attribute):
            continue
        method, receiver = node.func.attrname, node.func.expr
        if (dotted(receiver) or "").rpartition(".")[2].lower() in NOT_ROWS:
            continue
        if method in WRITES:
            return True
        if method == "update" and (isinstance(receiver, nodes.Call) or (dotted(receiver) or "").endswith(".objects")):
            return True
    return False


def _retries_itself(node: nodes.Call, ctx: ModuleContext) -> bool:
    """A task that enqueues itself again (a retry): its inputs were committed before it first ran."""
    function = node.frame()
    while isinstance(function, nodes.FunctionDef) and not isinstance(function.parent, nodes.Module):
        function = function.parent.frame()
    if not isinstance(function, nodes.FunctionDef) or not isinstance(node.func, nodes.Attribute):
        return False
    return resolve_dotted(node.func.expr, ctx) == ctx.qualname(function)


def _is_atomic(node: nodes.NodeNG, ctx: ModuleContext) -> bool:
    target = node.func if isinstance(node, nodes.Call) else node
    return resolve_dotted(target, ctx) in ATOMIC


def _atomic_requests(ctx: ModuleContext) -> bool:
    """`DATABASES` in the settings in force wraps each request in a transaction."""
    settings = ctx.index.settings
    databases = settings.get("DATABASES") if settings is not None else None
    if not isinstance(databases, dict):
        return False
    return any(isinstance(db, dict) and db.get("ATOMIC_REQUESTS") is True for db in databases.values())


def _is_view_code(function: nodes.FunctionDef, ctx: ModuleContext) -> bool:
    """A function view, or a method of a view class: under ATOMIC_REQUESTS each runs inside the
    request's transaction."""
    owner = function.parent
    if isinstance(owner, nodes.ClassDef):
        return ctx.qualname(owner) in ctx.index.views
    return isinstance(owner, nodes.Module) and ctx.qualname(function) in ctx.index.views
