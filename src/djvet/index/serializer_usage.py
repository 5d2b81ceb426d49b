"""Where each serializer is used, and whether clients write through it: a view's
`serializer_class` (or what its `get_serializer_class` returns) with the write operations the view
accepts, a `Serializer(data=...)` call anywhere outside tests, a nested field of another serializer.
Computed once per index from the facts and the access policy (for the operations)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from djvet.index.deps import shared
from djvet.index.facts import FunctionInfo, ProjectIndex, ViewFact
from djvet.index.policy import PolicyBook, policy_book
from djvet.index.resolve import Resolver

WRITE_METHODS = ("POST", "PUT", "PATCH")
# how a view's own code reaches its serializer class
SELF_SERIALIZER = frozenset({"self.get_serializer", "self.serializer_class", "self.get_serializer_class()"})
# calls that hand a request on to DRF's create / update (`super().post(...)` is recorded as `post`)
DELEGATES = frozenset(
    {"create", "update", "partial_update", "post", "put", "patch", "self.create", "self.update", "self.partial_update"}
)


@dataclass(frozen=True, slots=True)
class SerializerUse:
    how: str  # serializer_class | get_serializer_class | data | nested
    where: str  # qualname of the view, function or serializer using it
    view: str | None  # the view whose operations these are
    methods: tuple[str, ...]  # HTTP methods that write through it; () for output only
    certain: bool = True  # False: a get_serializer_class that may pick it for some actions only


@dataclass
class UsageBook:
    uses: dict[str, list[SerializerUse]] = field(default_factory=dict)

    def of(self, serializer: str) -> list[SerializerUse]:
        return self.uses.get(serializer, [])

    def writes(self, serializer: str, certain_only: bool = True) -> list[SerializerUse]:
        return [u for u in self.of(serializer) if u.methods and (u.certain or not certain_only)]

    def is_output_only(self, serializer: str) -> bool:
        """Used, and never where a client writes through it (not even possibly)."""
        uses = self.of(serializer)
        return bool(uses) and not any(u.methods for u in uses)

    def add(self, serializer: str | None, use: SerializerUse) -> None:
        if serializer is not None:
            self.uses.setdefault(serializer, []).append(use)


def _view_methods(index: ProjectIndex, view: ViewFact) -> dict[str, FunctionInfo]:
    found: dict[str, FunctionInfo] = {}
    for cls in view.ancestors:
        info = index.classes.get(cls)
        if info is not None:
            for name, method in info.methods.items():
                found.setdefault(name, method)
    return found


def _writes_through_serializer(function: FunctionInfo | None) -> bool:
    """DRF's own create / update handlers do; a project handler when it feeds the view's
    serializer data or hands on to DRF's."""
    if function is None:
        return True
    return bool(function.data_calls & SELF_SERIALIZER) or bool(function.calls & DELEGATES)


def _write_methods(book: PolicyBook, view: ViewFact, methods: dict[str, FunctionInfo]) -> tuple[str, ...]:
    policy = book.policy(view.qualname)
    if policy is None or policy.abstract:
        return ()
    found = []
    for op in policy.operations:
        if op.method not in WRITE_METHODS:
            continue
        name = op.action if op.action is not None else op.method.lower()
        function = methods.get(name) if op.line else None
        if _writes_through_serializer(function):
            found.append(op.method)
    return tuple(dict.fromkeys(found))


def _returned_serializers(resolver: Resolver, index: ProjectIndex, function: FunctionInfo) -> list[str]:
    module = function.qualname.rpartition(".")[0]
    while module and module not in index.modules:
        module = module.rpartition(".")[0]
    found = []
    for value in function.returns:
        name = resolver.resolve_expr(module, value)
        if name is not None and name in index.serializers:
            found.append(name)
    return found


def _all_functions(index: ProjectIndex) -> Iterable[tuple[str, FunctionInfo]]:
    for name, info in index.modules.items():
        if "tests" in info.kinds:
            continue
        for function in info.functions.values():
            yield name, function
        for cls in info.classes.values():
            for method in cls.methods.values():
                yield name, method


def build_usage(index: ProjectIndex) -> UsageBook:
    book = policy_book(index)
    resolver = book.resolver
    usage = UsageBook()
    handlers: dict[str, str] = {}  # function qualname -> view
    for view in index.views.values():
        if not view.kind.startswith("drf-") or view.kind == "drf-function":
            continue
        methods = _view_methods(index, view)
        for function in methods.values():
            handlers.setdefault(function.qualname, view.qualname)
        writes = _write_methods(book, view, methods)
        chooser = methods.get("get_serializer_class")
        if chooser is None:
            usage.add(view.serializer_class, SerializerUse("serializer_class", view.qualname, view.qualname, writes))
            continue
        chosen = [view.serializer_class, *_returned_serializers(resolver, index, chooser)]
        for serializer in dict.fromkeys(s for s in chosen if s):
            usage.add(serializer, SerializerUse("get_serializer_class", view.qualname, view.qualname, writes, certain=False))
    for module, function in _all_functions(index):
        for called in function.data_calls - SELF_SERIALIZER:
            if called.endswith("()"):
                continue
            serializer = resolver.resolve_class(module, called)
            if serializer in index.serializers:
                handler_of = handlers.get(function.qualname)
                written = ("POST",) if handler_of is None else _handler_methods(function)
                usage.add(serializer, SerializerUse("data", function.qualname, handler_of, written))
    for fact in index.serializers.values():
        for declared in fact.declared.values():
            if declared.serializer is not None and declared.declared_in == fact.qualname:
                usage.add(declared.serializer, SerializerUse("nested", fact.qualname, None, ()))
    return usage


READ_HANDLERS = frozenset({"get", "head", "options", "list", "retrieve"})


def _handler_methods(function: FunctionInfo) -> tuple[str, ...]:
    """The HTTP method a view handler is named after; none for a read handler (`data=` validates
    query parameters there); POST for any other method (an action)."""
    if function.name in READ_HANDLERS:
        return ()
    name = function.name.upper()
    return (name,) if name in WRITE_METHODS else ("POST",)


def serializer_usage(index: ProjectIndex) -> UsageBook:
    """The usage book of an index, built once per index (a file's check depends on the uses of
    the serializers it looks up, see index.deps)."""
    return UsageBook(shared("serializer-usage", index, _usage_by_serializer))


def _usage_by_serializer(index: ProjectIndex) -> dict[str, list[SerializerUse]]:
    return build_usage(index).uses
