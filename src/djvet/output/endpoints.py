"""`djvet endpoints`: the API surface, one row per route, as an aligned table, JSON or Markdown."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import replace

from djvet import __version__
from djvet.index.endpoints import Endpoint, iter_endpoints, root_urlconfs
from djvet.index.facts import ProjectIndex, RouteFact
from djvet.index.policy import (
    ANYONE,
    AUTHENTICATED,
    LOGIN_DECORATORS,
    NEUTRAL_DECORATOR_PREFIXES,
    UNKNOWN_ACCESS,
    UNSAFE_METHODS,
    Classes,
    Login,
    Operation,
    PolicyBook,
    ViewPolicy,
    policy_book,
    always_allows,
    empty_class_lists,
    open_unsafe_operations,
    opened_by_get_permissions,
)

Row = dict[str, object]
HEADERS = ("URL", "VIEW", "METHODS", "AUTHENTICATION", "PERMISSIONS", "FLAGS")
SOURCE_NOTES = {
    "project-default": " (settings)",
    "drf-default": " (DRF default)",
    "decorator": " (decorator)",
    "action": " (@action)",
    "get_permissions": " (get_permissions)",
}


def _short(name: str) -> str:
    return " | ".join(" & ".join(p.rpartition(".")[2] for p in part.split(" & ")) for part in name.split(" | "))


def _classes_json(classes: Classes) -> Row:
    return {
        "classes": list(classes.names) if isinstance(classes.names, tuple) else None,
        "source": classes.source,
        "origin": classes.origin,
    }


def _operation_json(op: Operation) -> Row:
    return {
        "method": op.method,
        "action": op.action,
        "access": op.access,
        "permissions": list(op.permissions.names) if isinstance(op.permissions.names, tuple) else None,
        "permissions_source": op.permissions.source,
        "public": op.public,
    }


class _Describer:
    def __init__(self, index: ProjectIndex) -> None:
        self.index = index
        self.book: PolicyBook = policy_book(index)

    def row(self, endpoint: Endpoint) -> Row:
        if endpoint.kind == "view" and endpoint.view is not None and endpoint.view.endswith("site.urls"):
            endpoint = replace(endpoint, kind="admin")  # `path("admin/", admin.site.urls)`
        policy = self.book.policy(endpoint.view) if endpoint.view else None
        operations = self.operations(endpoint, policy)
        login = self.login(endpoint, policy)
        if policy is not None and not policy.drf:
            operations = [self.with_login(op, login) for op in operations]
        return {
            "url": endpoint.pattern,
            "name": endpoint.name,
            "view": endpoint.view,
            "include": endpoint.route.include if endpoint.kind == "include" else None,
            "kind": endpoint.kind,
            "declared_at": endpoint.declared_at,
            "methods": [_operation_json(op) for op in operations],
            "methods_known": policy.methods_known if policy is not None else endpoint.kind == "api-root",
            "authentication": self.authentication(endpoint, policy),
            "permissions": self.permissions(endpoint, policy),
            "login": {"required": None if login.required not in (True, False) else login.required, "source": login.source} if login else None,
            "flags": self.flags(endpoint, policy, operations),
        }

    def operations(self, endpoint: Endpoint, policy: ViewPolicy | None) -> list[Operation]:
        if endpoint.kind == "api-root":
            permissions = self.book.defaults["DEFAULT_PERMISSION_CLASSES"]
            return [Operation("GET", None, None, permissions, self.book.list_access(permissions, "GET"))]
        if policy is None:
            return []
        if endpoint.actions:
            wanted = set(endpoint.actions)
            return [op for op in policy.operations if (op.method, op.action) in wanted]
        return list(policy.operations)

    def authentication(self, endpoint: Endpoint, policy: ViewPolicy | None) -> Row | None:
        if endpoint.kind == "api-root":
            return _classes_json(self.book.defaults["DEFAULT_AUTHENTICATION_CLASSES"])
        if policy is None or not policy.drf:
            return None
        return _classes_json(policy.authentication)

    def permissions(self, endpoint: Endpoint, policy: ViewPolicy | None) -> Row | None:
        if endpoint.kind == "api-root":
            return _classes_json(self.book.defaults["DEFAULT_PERMISSION_CLASSES"])
        if policy is None or not policy.drf:
            return None
        return _classes_json(policy.permissions)

    def login(self, endpoint: Endpoint, policy: ViewPolicy | None) -> Login | None:
        """A Django view's login enforcement, with the decorators applied in the URLconf."""
        if policy is None or policy.drf or policy.login is None:
            return None
        if endpoint.wrapped:
            return Login(UNKNOWN_ACCESS, "")
        hit = sorted(d for d in endpoint.decorators if d in LOGIN_DECORATORS)
        if hit:
            return Login(True, hit[0].rpartition(".")[2] + " (URLconf)")
        if any(not d.startswith(NEUTRAL_DECORATOR_PREFIXES) for d in endpoint.decorators):
            return Login(UNKNOWN_ACCESS, "")
        return policy.login

    @staticmethod
    def with_login(op: Operation, login: Login | None) -> Operation:
        required = login.required if login is not None else None
        access = AUTHENTICATED if required is True else ANYONE if required is False else UNKNOWN_ACCESS
        return Operation(op.method, op.action, op.detail, op.permissions, access, op.line, op.public, op.own_check)

    def findings(self, policy: ViewPolicy, operations: Sequence[Operation]) -> list[str]:
        """The DJV2 codes the rules report for this view and these operations."""
        codes = []
        if set(open_unsafe_operations(policy)) & set(operations):
            codes.append("DJV201")
        if empty_class_lists(self.book, policy):
            codes.append("DJV202")
        if set(opened_by_get_permissions(policy)) & set(operations):
            codes.append("DJV203")
        names = {n for op in operations if op.permissions.known for n in op.permissions.names}  # type: ignore[attr-defined]
        if any(always_allows(self.book, n) for n in sorted(names)):
            codes.append("DJV204")
        return codes

    def flags(self, endpoint: Endpoint, policy: ViewPolicy | None, operations: Sequence[Operation]) -> list[str]:
        flags: list[str] = []
        if policy is not None and policy.drf:
            flags += self.findings(policy, operations)
        anonymous = [op for op in operations if op.access == ANYONE]
        if anonymous:
            flags.append("anonymous")
        if any(op.method in UNSAFE_METHODS for op in anonymous):
            flags.append("anonymous-write")
            if policy is not None and policy.objects_scoped and any(op.detail is True for op in anonymous):
                flags.append("lookup-scoped")  # object lookups depend on the caller: anonymous ones find nothing
        public = (policy.public if policy is not None else None) or next((op.public for op in anonymous if op.public), None)
        if public and anonymous:
            flags.append(f"public:{public}")
        external = endpoint.view is not None and policy is None and endpoint.kind not in ("api-root", "admin")
        if any(op.access == UNKNOWN_ACCESS for op in operations) or external:
            flags.append("unknown")
        if endpoint.kind == "include" and (endpoint.route.include is None or endpoint.route.include not in self.index.modules):
            flags.append("not-followed")
        if endpoint.wrapped:
            flags.append("wrapped-urlconf")
        return flags


def describe_endpoints(index: ProjectIndex, unrouted: bool = False) -> list[Row]:
    """One JSON-ready row per endpoint (what `djvet endpoints --format json` prints); with
    `unrouted`, also one row per concrete view no route reaches (outside test modules)."""
    describer = _Describer(index)
    endpoints = iter_endpoints(index)
    if unrouted:
        endpoints += unrouted_views(index, endpoints)
    return [describer.row(e) for e in endpoints]


def unrouted_views(index: ProjectIndex, endpoints: Sequence[Endpoint]) -> list[Endpoint]:
    book = policy_book(index)
    reached = {e.view for e in endpoints}
    found = []
    for name, view in sorted(index.views.items()):
        module = index.modules.get(view.module)
        if name in reached or book.is_abstract(name) or module is None or "tests" in module.kinds:
            continue
        route = RouteFact(view.module, view.path, view.line, "unrouted", None, name, None)
        found.append(Endpoint("", name, None, "unrouted", route))
    return found


# ---- rendering --------------------------------------------------------------------------------


def _methods_cell(row: Row) -> str:
    methods = row["methods"]
    assert isinstance(methods, list)
    if not methods:
        if row["kind"] in ("include", "admin"):
            return ""
        return "any" if row["view"] and row["methods_known"] is False and row["login"] is not None else "?"
    cells = [f"{m['method']} {m['action']}" if m["action"] else str(m["method"]) for m in methods]
    text = ", ".join(dict.fromkeys(cells))
    return text + (", ..." if row["methods_known"] is False else "")


def _list_cell(classes: Row | None, suffix: str = "") -> str:
    """Short class names; `suffix` is dropped from each (`SessionAuthentication` -> `Session`)."""
    if classes is None:
        return "?"
    names = classes["classes"]
    if names is None:
        return "?"
    assert isinstance(names, list)
    shown = [_short(n) for n in names]
    shown = [n[: -len(suffix)] if suffix and n.endswith(suffix) and n != suffix else n for n in shown]
    listed = ", ".join(shown) if names else "[]"
    return listed + SOURCE_NOTES.get(str(classes["source"]), "")


def _permissions_cell(row: Row) -> str:
    login = row["login"]
    if isinstance(login, dict):
        required = login["required"]
        source = f" ({login['source']})" if login["source"] else ""
        text = "login required" if required is True else "no login required" if required is False else "login ?"
        return text + source
    permissions = row["permissions"]
    if row["kind"] == "admin":
        return "staff login (admin site)"
    if not isinstance(permissions, dict):
        return "" if row["kind"] == "include" else "?"
    text = _list_cell(permissions)
    overrides = []
    methods = row["methods"]
    assert isinstance(methods, list)
    for m in methods:
        if m["permissions_source"] != permissions["source"] or m["permissions"] != permissions["classes"]:
            names = m["permissions"]
            listed = "?" if names is None else ", ".join(_short(n) for n in names) or "[]"
            overrides.append(f"{m['action'] or m['method']}: {listed}{SOURCE_NOTES.get(m['permissions_source'], '')}")
    return "; ".join([text, *dict.fromkeys(overrides)])


def _authentication_cell(row: Row) -> str:
    if row["login"] is not None or row["kind"] == "admin":
        return "session"
    authentication = row["authentication"]
    if isinstance(authentication, dict):
        return _list_cell(authentication, "Authentication")
    return "" if row["kind"] == "include" else "?"


def _view_cell(row: Row) -> str:
    if row["kind"] == "include":
        return f"include({row['include'] or '?'})"
    return str(row["view"] or "?")


def table_cells(rows: Sequence[Row]) -> list[tuple[str, ...]]:
    return [
        (
            "(unrouted)" if row["kind"] == "unrouted" else "/" + str(row["url"]),
            _view_cell(row),
            _methods_cell(row),
            _authentication_cell(row),
            _permissions_cell(row),
            " ".join(_flags(row)),
        )
        for row in rows
    ]


def render_text(index: ProjectIndex, rows: Sequence[Row], root: str) -> str:
    cells = [HEADERS, *table_cells(rows)]
    widths = [max(len(c[i]) for c in cells) for i in range(len(HEADERS))]
    lines = ["  ".join(c[i].ljust(widths[i]) for i in range(len(HEADERS))).rstrip() for c in cells]
    return "\n".join(lines) + "\n"


def render_markdown(index: ProjectIndex, rows: Sequence[Row], root: str) -> str:
    def cell(text: str, code: bool) -> str:
        text = text.replace("|", "\\|")
        return f"`{text}`" if code and text else text

    lines = ["| " + " | ".join(h.capitalize() if h != "URL" else h for h in HEADERS) + " |", "|" + "---|" * len(HEADERS)]
    for c in table_cells(rows):
        lines.append("| " + " | ".join(cell(text, i < 2) for i, text in enumerate(c)) + " |")
    return "\n".join(lines) + "\n"


def render_json(index: ProjectIndex, rows: Sequence[Row], root: str) -> str:
    settings = index.settings.module if index.settings is not None else None
    document = {
        "tool": "djvet",
        "version": __version__,
        "root": root,
        "settings": settings,
        "root_urlconfs": root_urlconfs(index),
        "endpoints": list(rows),
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


FORMATS: dict[str, Callable[[ProjectIndex, Sequence[Row], str], str]] = {
    "text": render_text,
    "json": render_json,
    "markdown": render_markdown,
}


def _flags(row: Row) -> list[str]:
    flags = row["flags"]
    return flags if isinstance(flags, list) else []


def render_summary(rows: Sequence[Row]) -> str:
    anonymous = sum(1 for r in rows if "anonymous" in _flags(r))
    writes = sum(1 for r in rows if "anonymous-write" in _flags(r))
    noun = "endpoint" if len(rows) == 1 else "endpoints"
    return f"djvet: {len(rows)} {noun}, {anonymous} open to anonymous callers ({writes} with writes)"
