"""Where code hands work to a background queue: `task.delay(...)`, `task.apply_async(args=...)`,
`actor.send(...)`, `queue.enqueue(func, ...)`, `async_task(func, ...)`, and what it passes to the
task. Shared by the background-task rules (DJV702, DJV703)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from astroid import nodes

from djvet.astro.exprs import dotted
from djvet.astro.names import resolve_dotted
from djvet.astro.querysets import enclosing_function, find_local_value
from djvet.engine import ModuleContext
from djvet.index.facts import ProjectIndex
from djvet.index.tasks import task_book

# Methods of a task object that enqueue it, by framework; `*_on_commit` wait for the transaction.
TASK_METHODS = {
    "celery": frozenset({"delay", "apply_async", "delay_on_commit", "apply_async_on_commit"}),
    "rq": frozenset({"delay"}),
    "dramatiq": frozenset({"send", "send_with_options"}),
    "huey": frozenset({"schedule"}),
    "django-tasks": frozenset({"enqueue", "aenqueue"}),
}
ON_COMMIT_METHODS = frozenset({"delay_on_commit", "apply_async_on_commit"})
RQ_QUEUE_FACTORIES = frozenset({"django_rq.get_queue", "django_rq.queues.get_queue", "rq.Queue", "rq.queue.Queue"})
RQ_ENQUEUE = frozenset({"enqueue", "enqueue_call", "enqueue_in", "enqueue_at"})
MODULE_ENQUEUERS = {"django_rq.enqueue": "rq", "django_q.tasks.async_task": "django-q"}
# keyword arguments RQ's enqueue and dramatiq's send_with_options keep for themselves
_QUEUE_OPTIONS = frozenset(
    {
        "job_timeout", "result_ttl", "ttl", "failure_ttl", "description", "depends_on", "job_id", "at_front",
        "meta", "retry", "on_success", "on_failure", "on_stopped", "delay", "q_options", "hook", "group",
        "timeout", "cluster", "save", "sync", "ack_failure", "task_name",
    }
)  # fmt: skip


@dataclass(frozen=True, eq=False)
class Enqueue:
    """A call that puts a task on a queue."""

    node: nodes.Call
    task: str  # the task as written (`send_receipt`, `tasks.send_receipt`)
    framework: str
    on_commit: bool  # the call itself waits for the transaction to commit
    args: tuple[nodes.NodeNG, ...]  # the values handed to the task, when written out
    # the task's class overrides `apply_async` / `delay` (it may defer to the commit, or convert
    # its arguments): the rules stay silent
    custom_enqueue: bool = False


def find_enqueue(call: nodes.Call, ctx: ModuleContext) -> Enqueue | None:
    """The enqueue `call` is, or None when it is not one djvet recognizes."""
    func = call.func
    if isinstance(func, nodes.Attribute):
        task = _task_framework(func.expr, ctx)
        if task is not None and func.attrname in TASK_METHODS.get(task[0], ()):
            on_commit = func.attrname in ON_COMMIT_METHODS
            return Enqueue(call, _written(func.expr), task[0], on_commit, _task_args(call, func.attrname), task[1])
        if func.attrname in RQ_ENQUEUE and _is_rq_queue(func.expr, ctx):
            return _queue_call(call, func.attrname, "rq")
    name = dotted(func)
    resolved = resolve_dotted(func, ctx)
    if name is None or resolved is None:
        return None
    framework = MODULE_ENQUEUERS.get(resolved)
    if framework is not None:
        return _queue_call(call, "enqueue", framework)
    fact = task_book(ctx.index).functions.get(resolved)
    if fact is not None and fact.framework == "huey":  # calling a huey task enqueues it
        return Enqueue(call, name, "huey", False, _plain_args(call))
    return None


def _task_framework(node: nodes.NodeNG, ctx: ModuleContext) -> tuple[str, bool] | None:
    """The framework of the task `node` names (a task function, a Celery Task class or an instance
    of one: `SyncTask()`), and whether its class overrides how it is enqueued."""
    book = task_book(ctx.index)
    if isinstance(node, nodes.Call) and not node.args and not node.keywords:
        custom = book.classes.get(resolve_dotted(node.func, ctx) or "")
        return ("celery", custom) if custom is not None else None
    resolved = resolve_dotted(node, ctx)
    if resolved is None:
        return None
    fact = book.functions.get(resolved)
    if fact is not None:
        return fact.framework, fact.custom_enqueue
    custom = book.classes.get(resolved)
    return ("celery", custom) if custom is not None else None


def _is_rq_queue(node: nodes.NodeNG, ctx: ModuleContext) -> bool:
    """`django_rq.get_queue(...)`, `rq.Queue(...)`, or a local assigned one."""
    if isinstance(node, nodes.Name):
        function = enclosing_function(node)
        value = find_local_value(function, node.name, node.lineno or 0) if function is not None else None
        return value is not None and _is_rq_queue(value, ctx)
    if isinstance(node, nodes.Call):
        return resolve_dotted(node.func, ctx) in RQ_QUEUE_FACTORIES
    return False


def _written(node: nodes.NodeNG) -> str:
    return dotted(node) or node.as_string()


def _plain_args(call: nodes.Call) -> tuple[nodes.NodeNG, ...]:
    return (*call.args, *(k.value for k in call.keywords or () if k.arg is not None))


def _task_args(call: nodes.Call, method: str) -> tuple[nodes.NodeNG, ...]:
    """What a task method hands to the task: every argument of `delay` / `send`; the `args` and
    `kwargs` of `apply_async` / `send_with_options` (positional or keyword), when written out."""
    if method not in ("apply_async", "apply_async_on_commit", "send_with_options", "schedule"):
        return _plain_args(call)
    return _args_and_kwargs(call, 0)


def _queue_call(call: nodes.Call, method: str, framework: str) -> Enqueue | None:
    """`queue.enqueue(func, *args, **kwargs)` (the function comes after the time for `enqueue_in` /
    `enqueue_at`); `enqueue_call(func, args=(...), kwargs={...})`; django-q's `async_task(func, ...)`."""
    skip = 2 if method in ("enqueue_in", "enqueue_at") else 1
    if method == "enqueue_call":
        func = call.args[0] if call.args else _keyword(call, "func")
        args = _args_and_kwargs(call, 1)
    else:
        func = call.args[skip - 1] if len(call.args) >= skip else _keyword(call, "f")
        args = (*call.args[skip:], *(k.value for k in call.keywords or () if k.arg and k.arg not in _QUEUE_OPTIONS))
    if func is None:
        return None
    task = func.value if isinstance(func, nodes.Const) and isinstance(func.value, str) else _written(func)
    return Enqueue(call, str(task), framework, False, tuple(args))


def _args_and_kwargs(call: nodes.Call, first: int) -> tuple[nodes.NodeNG, ...]:
    """The items of the `args` list and the values of the `kwargs` dict, positional from `first`."""
    values: list[nodes.NodeNG] = []
    for position, key in ((first, "args"), (first + 1, "kwargs")):
        value = call.args[position] if len(call.args) > position else _keyword(call, key)
        if isinstance(value, (nodes.List, nodes.Tuple)):
            values.extend(value.elts)
        elif isinstance(value, nodes.Dict):
            values.extend(v for _, v in value.items)
    return tuple(values)


def _keyword(call: nodes.Call, name: str) -> nodes.NodeNG | None:
    for item in call.keywords or ():
        if item.arg == name:
            return item.value
    return None


# Text an enqueue call contains (all but a huey task called by name: `send_receipt(order_id)`)
_QUEUE_WORDS = ("enqueue", "async_task")
_METHOD_WORDS = {
    "celery": (".delay", ".apply_async"),
    "rq": (".delay",),
    "dramatiq": (".send(", ".send_with_options("),
    "huey": (".schedule(",),
}


def _enqueue_words(index: ProjectIndex) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(method words of the project's task frameworks, names of its huey tasks), once per index."""
    book = task_book(index)
    frameworks = {t.framework for t in book.functions.values()} | ({"celery"} if book.classes else set())
    words = tuple(w for f in sorted(frameworks) for w in _METHOD_WORDS.get(f, ()))
    names = tuple(sorted({q.rpartition(".")[2] for q, t in book.functions.items() if t.framework == "huey"}))
    return words, names


@lru_cache(maxsize=8)
def _name_pattern(names: tuple[str, ...]) -> re.Pattern[str] | None:
    return re.compile(r"\b(?:" + "|".join(map(re.escape, names)) + r")\b") if names else None


def enqueues_here(ctx: ModuleContext) -> bool:
    """Cheap gate: the module calls a queue, calls a method that enqueues a task of one of the
    project's frameworks, or names one of the project's huey tasks (calling those enqueues them)."""
    if any(word in ctx.text for word in _QUEUE_WORDS):
        return True
    from djvet.index.deps import shared

    words, names = shared("enqueue words", ctx.index, _enqueue_words)
    pattern = _name_pattern(names)
    if any(word in ctx.text for word in words):
        return True
    return isinstance(pattern, re.Pattern) and pattern.search(ctx.text) is not None
