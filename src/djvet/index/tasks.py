"""Background tasks, from index facts: which project functions are Celery, RQ, dramatiq, huey or
Django tasks (calling `.delay()` on one enqueues it), and which classes are Celery `Task` classes.
Shared by the review's inventory and the background-task rules (DJV702, DJV703)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from djvet.index.expr import Call, Expr, Name
from djvet.index.facts import ProjectIndex
from djvet.index.querysets import index_resolver
from djvet.index.resolve import Resolver

CELERY_DECORATORS = frozenset(
    {
        "celery.shared_task", "celery.task", "celery.decorators.task", "celery.decorators.periodic_task",
        "celery.task.periodic_task", "celery.app.shared_task",
    }
)  # fmt: skip
CELERY_APPS = frozenset({"celery.Celery", "celery.app.Celery", "celery.app.base.Celery"})
CELERY_TASK_CLASSES = frozenset({"celery.Task", "celery.app.task.Task", "celery.task.Task"})
ENQUEUE_METHODS = frozenset({"apply_async", "delay"})
# Module-level calls only a Celery app answers: `app.config_from_object(...)` marks `app` as one even
# when it is built by a factory djvet cannot follow (`app = celery_class(main="mayan")`).
CELERY_APP_CALLS = frozenset({"config_from_object", "autodiscover_tasks"})
RQ_DECORATORS = frozenset({"django_rq.job", "django_rq.decorators.job", "rq.decorators.job", "rq.job"})
OTHER_TASK_DECORATORS = {
    "dramatiq.actor": "dramatiq",
    "django_dramatiq.actor": "dramatiq",
    "huey.contrib.djhuey.task": "huey",
    "huey.contrib.djhuey.db_task": "huey",
    "huey.contrib.djhuey.periodic_task": "huey",
    "huey.contrib.djhuey.db_periodic_task": "huey",
    "django.tasks.task": "django-tasks",
    "django_tasks.task": "django-tasks",
}


@dataclass(frozen=True, slots=True)
class TaskFact:
    qualname: str
    path: str
    line: int
    framework: str  # celery | rq | dramatiq | huey | django-tasks
    decorator: str
    is_async: bool = False
    # a project Task class (the decorator's `base=`, or the class itself) overrides `apply_async` /
    # `delay`: enqueueing may defer to the commit or convert arguments, djvet cannot say
    custom_enqueue: bool = False


@dataclass(frozen=True, slots=True)
class TaskBook:
    functions: Mapping[str, TaskFact]  # qualname -> task
    classes: Mapping[str, bool]  # project classes deriving from Celery's Task -> custom_enqueue


def _decorator_target(decorator: Expr) -> str | None:
    target = decorator.func if isinstance(decorator, Call) else decorator
    return target.dotted if isinstance(target, Name) else None


def celery_apps(index: ProjectIndex, resolver: Resolver) -> frozenset[str]:
    """Qualified names of module-level Celery apps: `app = Celery(...)`, or a module-level name the
    module configures as one (`app.config_from_object(...)`, `app.autodiscover_tasks(...)`)."""
    apps: set[str] = set()
    for name, info in index.modules.items():
        assigned = {t for s in info.statements if s.kind == "assign" for t in s.targets}
        for statement in info.statements:
            value = statement.value
            if not isinstance(value, Call) or not isinstance(value.func, Name):
                continue
            if statement.kind == "assign" and resolver.resolve(name, value.func.dotted) in CELERY_APPS:
                apps.update(f"{name}.{t}" for t in statement.targets)
            owner, _, method = value.func.dotted.rpartition(".")
            if statement.kind == "call" and method in CELERY_APP_CALLS and owner in assigned:
                apps.add(f"{name}.{owner}")
    return frozenset(apps)


def _is_task_class(qualname: str, apps: Iterable[str]) -> bool:
    """Celery's Task, or `app.Task` of a project Celery app."""
    owner, _, attr = qualname.rpartition(".")
    return qualname in CELERY_TASK_CLASSES or (attr == "Task" and owner in apps)


def _overrides_enqueue(index: ProjectIndex, resolver: Resolver, cls: str) -> bool:
    for ancestor in resolver.mro(cls):
        info = index.classes.get(ancestor)
        if info is not None and ENQUEUE_METHODS & set(info.methods):
            return True
    return False


def task_framework(resolved: str, apps: Iterable[str]) -> str | None:
    """The task framework a resolved decorator name belongs to, or None."""
    if resolved in CELERY_DECORATORS:
        return "celery"
    owner, _, attr = resolved.rpartition(".")
    if attr in ("task", "periodic_task") and owner in apps:
        return "celery"
    if resolved in RQ_DECORATORS:
        return "rq"
    return OTHER_TASK_DECORATORS.get(resolved)


def task_book(index: ProjectIndex) -> TaskBook:
    """The project's tasks (outside tests), computed once per index: a shared result (index.deps),
    so a file depends on the tasks found, not on every module read to find them."""
    from djvet.index.deps import shared

    return shared("tasks", index, find_tasks)


def find_tasks(index: ProjectIndex) -> TaskBook:
    resolver = index_resolver(index)
    apps = celery_apps(index, resolver)
    classes = {
        qualname: _overrides_enqueue(index, resolver, qualname)
        for qualname in index.classes
        if any(_is_task_class(c, apps) for c in resolver.mro(qualname)[1:])
    }
    functions: dict[str, TaskFact] = {}
    for name, info in index.modules.items():
        if "tests" in info.kinds:
            continue
        for function in info.functions.values():
            for decorator in function.decorators:
                dotted = _decorator_target(decorator)
                resolved = resolver.resolve(name, dotted) if dotted is not None else None
                framework = task_framework(resolved, apps) if resolved is not None else None
                if framework is not None and resolved is not None:
                    base = decorator.kwarg("base") if isinstance(decorator, Call) else None
                    base_class = resolver.resolve(name, base.dotted) if isinstance(base, Name) else None
                    custom = base_class is not None and _overrides_enqueue(index, resolver, base_class)
                    functions[function.qualname] = TaskFact(
                        function.qualname, info.path, function.line, framework, resolved, function.is_async, custom
                    )
                    break
    return TaskBook(functions, classes)
