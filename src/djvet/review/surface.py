"""The project's surface as a reviewer sees it, from the index: endpoints with their access rules
(from `djvet endpoints`, so both commands say the same), async views, background tasks. Facts
only; rendering is the report's job."""

from __future__ import annotations

from dataclasses import dataclass

from djvet.index.facts import UNKNOWN, ProjectIndex, SettingsFact
from djvet.index.tasks import TaskFact, task_book

HTTP_VERBS = ("get", "post", "put", "patch", "delete", "head", "options", "trace")
VIEWSET_METHODS = {"list": "GET", "retrieve": "GET", "create": "POST", "update": "PUT", "partial_update": "PATCH", "destroy": "DELETE"}
SAFE = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True, slots=True)
class Access:
    authentication: str
    permissions: str
    anonymous: str  # yes | read-only | no | unknown


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One row of `djvet endpoints`, as the review uses it."""

    url: str
    view: str | None  # qualname; None for an include djvet cannot follow
    kind: str  # the view's kind (drf-viewset, django-cbv, ...), or admin | include | api-root | external
    methods: tuple[str, ...]  # () when unknown or any
    access: Access
    path: str  # where the view is defined (or the route, for views outside the project)
    line: int
    name: str | None = None
    flags: tuple[str, ...] = ()  # `djvet endpoints` flags: DJV2xx codes, anonymous, unknown, ...
    include: str | None = None  # for an include: the URLconf it names, when written as a literal


@dataclass(frozen=True, slots=True)
class AsyncView:
    qualname: str
    path: str
    line: int
    handlers: tuple[str, ...]


def short(qualname: str) -> str:
    return qualname.rsplit(".", 1)[-1]


def setting(settings: SettingsFact | None, name: str, default: object = None) -> object:
    return settings.get(name, default) if settings is not None else default


def drf_setting(settings: SettingsFact | None, key: str) -> object:
    """A key of REST_FRAMEWORK: None when not set, UNKNOWN when the dict is not known statically."""
    config = setting(settings, "REST_FRAMEWORK")
    if config is None:
        return None
    if not isinstance(config, dict):
        return UNKNOWN
    return config.get(key)


def _anonymous(operations: list[dict[str, object]], flags: tuple[str, ...], login: object, kind: str) -> str:
    if not operations:  # methods unknown (a function view) or none (an include, the admin)
        if kind == "admin":
            return "no"
        required = login.get("required") if isinstance(login, dict) else None
        return "no" if required is True else "yes" if required is False else "unknown"
    open_methods = {str(op["method"]) for op in operations if op["access"] == "anyone"}
    if "unknown" in flags and not open_methods:
        return "unknown"
    if not open_methods:
        return "no"
    if open_methods <= SAFE and any(op["access"] != "anyone" for op in operations):
        return "read-only"
    return "yes"


def _location(index: ProjectIndex, view: str | None, declared_at: str) -> tuple[str, int]:
    fact = index.views.get(view) if view else None
    if fact is not None:
        return fact.path, fact.line
    path, _, line = declared_at.rpartition(":")
    return path, int(line) if line.isdigit() else 0


def collect_endpoints(index: ProjectIndex) -> tuple[Endpoint, ...]:
    """The API surface exactly as `djvet endpoints` describes it (one policy engine for both)."""
    from djvet.output.endpoints import describe_endpoints, table_cells

    rows = describe_endpoints(index)
    endpoints = []
    for row, cells in zip(rows, table_cells(rows), strict=True):
        methods_field, flags_field = row["methods"], row["flags"]
        operations = [op for op in methods_field if isinstance(op, dict)] if isinstance(methods_field, list) else []
        flags = tuple(str(f) for f in flags_field) if isinstance(flags_field, list) else ()
        view = str(row["view"]) if row["view"] else None
        fact = index.views.get(view) if view else None
        kind = fact.kind if fact is not None else "external" if row["kind"] == "view" else str(row["kind"])
        path, line = _location(index, view, str(row["declared_at"]))
        methods = tuple(dict.fromkeys(str(op["method"]) for op in operations))
        access = Access(cells[3] or "-", cells[4] or "-", _anonymous(operations, flags, row["login"], kind))
        include = str(row["include"]) if row.get("include") else None
        name = str(row["name"]) if row["name"] else None
        endpoints.append(Endpoint(str(row["url"]), view, kind, methods, access, path, line, name, flags, include))
    return tuple(endpoints)


def collect_async_views(index: ProjectIndex) -> tuple[AsyncView, ...]:
    found = []
    for view in index.views.values():
        if view.kind in ("drf-function", "django-function"):
            info = index.modules.get(view.module)
            function = info.functions.get(view.name) if info else None
            if function is not None and function.is_async:
                found.append(AsyncView(view.qualname, view.path, view.line, (view.name,)))
            continue
        handlers = set(HTTP_VERBS) | set(VIEWSET_METHODS) | {a.name for a in view.actions}
        names: set[str] = set()
        for cls in view.ancestors:
            class_info = index.classes.get(cls)
            for method in class_info.methods.values() if class_info else ():
                if method.is_async and method.name in handlers:
                    names.add(method.name)
        if names:
            found.append(AsyncView(view.qualname, view.path, view.line, tuple(sorted(names))))
    return tuple(sorted(found, key=lambda v: (v.path, v.line)))


def collect_tasks(index: ProjectIndex) -> tuple[TaskFact, ...]:
    return tuple(sorted(task_book(index).functions.values(), key=lambda t: (t.path, t.line)))


def collect_enqueue_sites(index: ProjectIndex) -> tuple[tuple[str, str, int], ...]:
    """Functions that call `.enqueue(...)` (RQ, django-rq): (qualname, path, line)."""
    found = []
    for info in index.modules.values():
        if "tests" in info.kinds:
            continue
        functions = list(info.functions.values()) + [m for c in info.classes.values() for m in c.methods.values()]
        for function in functions:
            if any(c.rpartition(".")[2] in ("enqueue", "enqueue_call", "enqueue_in", "enqueue_at") for c in function.calls):
                found.append((function.qualname, info.path, function.line))
    return tuple(sorted(found, key=lambda t: (t[1], t[2])))
