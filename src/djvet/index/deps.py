"""What one file's findings depend on: the index facts its check read, recorded while it runs.

A file's cached findings are valid while its own text and every fact its check read are unchanged.
During a check, rules see a `TrackedIndex`: the real index whose mappings record each key looked
up (`index.models["shop.models.Book"]`) and whose whole-mapping reads (iteration, `len`, `values()`)
record the whole mapping. Project-wide results computed once per index (`shared`) record their
own value, by key when they are mappings. Other files' text read through `index.bodies` records
that file. A later run re-computes the digest of each recorded read on its own index and reuses
the findings only when every digest matches, so the cache never changes what a run reports; at
worst it re-checks a file that did not need it.

Anything a check reads that is not recorded would make reuse unsound, so unknown channels are
recorded conservatively: reading `index.root` outside `djvet.index` (a rule opening files itself)
makes the file depend on every file of the project.
"""

from __future__ import annotations

import dataclasses
import hashlib
import sys
from collections.abc import Callable, Iterator, Mapping
from enum import Enum
from pathlib import PurePath
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from djvet.index.facts import ProjectIndex, SettingsFact

if TYPE_CHECKING:
    from collections.abc import Iterable

T = TypeVar("T")
ALL = ("*",)  # the key of a whole-mapping read: never a key of the index's str-keyed mappings
NONEMPTY = ("nonempty",)  # the key of `bool(mapping)`
Read = tuple[str, object]  # (namespace, key)

MAPPING_FIELDS = ("modules", "paths", "classes", "mros", "models", "serializers", "views", "settings_modules", "app_labels", "forms")
WHOLE_FIELDS = ("routes", "source_roots", "user_model")
# Code allowed to read `index.root` without depending on the whole project: it records what it reads.
ROOT_READERS = ("djvet.index.deps", "djvet.index.bodies", "djvet.index.templates", "djvet.runner")

_STACK: list[set[Read]] = []


def record(namespace: str, key: object) -> None:
    if _STACK:
        _STACK[-1].add((namespace, key))


class Recording:
    """`with Recording() as reads:` collects the reads made inside; nested recordings also pass
    their reads to the enclosing one."""

    def __init__(self) -> None:
        self.reads: set[Read] = set()

    def __enter__(self) -> set[Read]:
        _STACK.append(self.reads)
        return self.reads

    def __exit__(self, *exc: object) -> None:
        _STACK.pop()
        if _STACK:
            _STACK[-1].update(self.reads)


def recording() -> bool:
    return bool(_STACK)


class TrackedMapping(Mapping[str, Any]):
    """A read-only view of a mapping that records which keys are read."""

    __slots__ = ("_namespace", "_data")

    def __init__(self, namespace: str, data: Mapping[str, Any]) -> None:
        self._namespace = namespace
        self._data = data

    def __getitem__(self, key: str) -> Any:
        record(self._namespace, key)
        return self._data[key]

    def get(self, key: str, default: Any = None) -> Any:
        record(self._namespace, key)
        return self._data.get(key, default)

    def __contains__(self, key: object) -> bool:
        record(self._namespace, key)
        return key in self._data

    def __iter__(self) -> Iterator[str]:
        record(self._namespace, ALL)
        return iter(self._data)

    def __len__(self) -> int:
        record(self._namespace, ALL)
        return len(self._data)

    def __bool__(self) -> bool:
        record(self._namespace, NONEMPTY)
        return bool(self._data)

    def keys(self) -> Any:
        record(self._namespace, ALL)
        return self._data.keys()

    def values(self) -> Any:
        record(self._namespace, ALL)
        return self._data.values()

    def items(self) -> Any:
        record(self._namespace, ALL)
        return self._data.items()

    def __eq__(self, other: object) -> bool:
        record(self._namespace, ALL)
        return dict(self._data) == (dict(other) if isinstance(other, Mapping) else other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"TrackedMapping({self._namespace!r})"


class TrackedIndex(ProjectIndex):
    """The index a rule sees during a recorded check (same fields, same methods)."""

    def __getattribute__(self, name: str) -> Any:
        if name in MAPPING_FIELDS:
            views = object.__getattribute__(self, "__dict__")
            view = views.get(name)
            if view is None:
                view = views[name] = TrackedMapping(name, super().__getattribute__(name))
            return view
        if name in WHOLE_FIELDS:
            record(name, ALL)
        elif name == "settings":
            return _tracked_settings(self)
        elif name == "root" and sys._getframe(1).f_globals.get("__name__") not in ROOT_READERS:
            record("project", ALL)
        return super().__getattribute__(name)


def _tracked_settings(index: TrackedIndex) -> SettingsFact | None:
    record("settings-module", ALL)
    views = object.__getattribute__(index, "__dict__")
    if "settings" not in views:
        settings = ProjectIndex.__dict__["settings"].__get__(index)
        views["settings"] = (
            None if settings is None else SettingsFact(settings.module, settings.path, TrackedMapping("setting", settings.values))
        )
    return views["settings"]  # type: ignore[no-any-return]


def track(index: ProjectIndex) -> TrackedIndex:
    """A recording view of `index` (a new one per checked file: per-index memos that do not record
    their reads then recompute for each file instead of answering without recording)."""
    real = untracked(index)
    values = [getattr(real, f.name) for f in dataclasses.fields(ProjectIndex)]
    tracked = TrackedIndex(*values)
    object.__getattribute__(tracked, "__dict__")["_real"] = real
    return tracked


def untracked(index: ProjectIndex) -> ProjectIndex:
    if type(index) is TrackedIndex:
        return object.__getattribute__(index, "__dict__")["_real"]  # type: ignore[no-any-return]
    return index


# ---- project-wide results shared by every file's check ----------------------------------------

_SHARED: dict[tuple[str, int], tuple[ProjectIndex, object]] = {}


class PerIndex(Generic[T]):
    """A value made once per index object, for the latest `keep` indexes only (a process checks
    one project at a time; the pylint plugin and tests open many). Keyed by the index's identity,
    checked, so a new index at a freed one's address never gets its value. Reads nothing through
    the index itself: what the value's users read is theirs to record."""

    def __init__(self, make: Callable[[ProjectIndex], T], keep: int = 1) -> None:
        self._make = make
        self._keep = keep
        self._values: dict[int, tuple[ProjectIndex, T]] = {}

    def __call__(self, index: ProjectIndex) -> T:
        entry = self._values.get(id(index))
        if entry is None or entry[0] is not index:
            while len(self._values) >= self._keep:
                del self._values[next(iter(self._values))]
            entry = (index, self._make(index))
            self._values[id(index)] = entry
        return entry[1]


def shared(label: str, index: ProjectIndex, compute: Callable[[ProjectIndex], T]) -> T:
    """`compute(index)` once per index, for every file. A file that uses the result depends on the
    result's value (by key, for a mapping), not on what computing it read. `compute` must be a
    module-level function (a later run finds it by name to re-compute the value) returning plain
    data (facts, tuples, dicts: no lazily filled objects) built only from the index. `label` says
    what it is, for readers."""
    name = f"{compute.__module__}:{compute.__qualname__}"
    if "<" in name:
        raise ValueError(f"shared({label!r}): {name} is not a module-level function")
    real = untracked(index)
    entry = _SHARED.get((name, id(real)))
    if entry is None or entry[0] is not real:
        for key in [k for k in _SHARED if k[0] == name]:
            del _SHARED[key]
        _STACK.append(set())  # what computing it reads is not the caller's dependency
        try:
            value: object = compute(real)
        finally:
            _STACK.pop()
        entry = (real, value)
        _SHARED[(name, id(real))] = entry
    value = entry[1]
    if not _STACK:
        return value  # type: ignore[return-value]
    if isinstance(value, Mapping):
        return TrackedMapping(f"shared:{name}", value)  # type: ignore[return-value]
    record(f"shared:{name}", ALL)
    return value  # type: ignore[return-value]


class RecordingResolver:
    """The index's shared Resolver (index.querysets.index_resolver) as a recorded check sees it:
    each query (`resolve(module, dotted)`, `mro(cls)`...) is a read whose digest is its answer,
    so a file depends on the names it resolved, not on every module the Resolver was built from."""

    def __init__(self, real: Any, factory: Callable[[ProjectIndex], Any]) -> None:
        self._real = real
        # the module-level function that gives this Resolver for an index: a later run calls it
        self._factory = f"{factory.__module__}:{factory.__qualname__}"

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._real, name)
        if name in ("classes", "functions"):
            return TrackedMapping(f"resolver.{name}@{self._factory}", value)
        if name == "modules":
            return TrackedMapping("modules", value)
        if name == "source_roots":
            record("source_roots", ALL)
            return value
        if name.startswith("_") or not callable(value):
            record("project", ALL)  # an attribute this wrapper does not know: depend on everything
            return value

        def query(*args: Any) -> Any:
            key = (name, tuple(frozenset(a) if isinstance(a, set) else a for a in args))
            record(f"resolver@{self._factory}", key)
            return value(*args)

        return query


# ---- digests of reads, computed on the current index ------------------------------------------


def _find_function(name: str) -> Callable[[ProjectIndex], object] | None:
    """`module:qualname` of a djvet function, imported (a read recorded by an older djvet may name
    one that no longer exists: then the read is not valid)."""
    import importlib

    module, _, qualname = name.partition(":")
    if not module.startswith("djvet."):
        return None
    try:
        value: object = importlib.import_module(module)
        for part in qualname.split("."):
            value = getattr(value, part)
    except (ImportError, AttributeError):
        return None
    return value if callable(value) else None


class Unhashable(Exception):
    pass


_FIELD_NAMES: dict[type, tuple[bytes, tuple[str, ...]]] = {}
_SCALARS = (str, int, float, bool, bytes, type(None))
# what follows a scalar's repr: ";" and its type's name (one bytes object per type, not two per value)
_SCALAR_TAGS: dict[type, bytes] = {kind: b";" + kind.__name__.encode() for kind in _SCALARS}


def _encode(value: object, out: list[bytes]) -> None:
    """A canonical, process-independent encoding (sets sorted: their order varies with the hash seed).
    Scalars inside tuples and facts are encoded inline: a recorded check's stamp encodes hundreds
    of thousands of them."""
    kind = type(value)
    tag = _SCALAR_TAGS.get(kind)
    if tag is not None:
        out.append(repr(value).encode("utf-8", "backslashreplace") + tag)
    elif kind is tuple or kind is list:
        out.append(b"[" if kind is list else b"(")
        for item in value:  # type: ignore[attr-defined]
            tag = _SCALAR_TAGS.get(type(item))
            if tag is not None:
                out.append(repr(item).encode("utf-8", "backslashreplace") + tag)
            else:
                _encode(item, out)
        out.append(b"]" if kind is list else b")")
    elif kind in _FIELD_NAMES or (dataclasses.is_dataclass(value) and not isinstance(value, type)):
        spec = _FIELD_NAMES.get(kind)
        if spec is None:
            spec = _FIELD_NAMES[kind] = (f"{kind.__module__}.{kind.__qualname__}(".encode(), tuple(f.name for f in dataclasses.fields(value)))  # type: ignore[arg-type]
        out.append(spec[0])
        for name in spec[1]:
            item = getattr(value, name)
            tag = _SCALAR_TAGS.get(type(item))
            if tag is not None:
                out.append(repr(item).encode("utf-8", "backslashreplace") + tag)
            else:
                _encode(item, out)
        out.append(b")")
    elif isinstance(value, (frozenset, set)):
        parts = []
        for item in value:
            sub: list[bytes] = []
            _encode(item, sub)
            parts.append(b"".join(sub))
        out.append(b"set{" + b",".join(sorted(parts)) + b"}")
    elif isinstance(value, Mapping):
        out.append(f"map[{len(value)}".encode())
        data = value._data if isinstance(value, TrackedMapping) else value
        for key, item in data.items():
            _encode(key, out)
            _encode(item, out)
        out.append(b"]")
    elif isinstance(value, (tuple, list)):  # NamedTuple and other subclasses
        out.append(f"{kind.__name__}[{len(value)}".encode())
        for item in value:
            _encode(item, out)
        out.append(b"]")
    elif isinstance(value, _SCALARS):  # str and int subclasses (enums)
        out.append(f"{kind.__name__}:{value!r};".encode("utf-8", "backslashreplace"))
    elif isinstance(value, (PurePath, Enum)):
        out.append(f"{kind.__name__}:{value!s};".encode("utf-8", "backslashreplace"))
    elif repr(value) == "UNKNOWN":
        out.append(b"UNKNOWN;")
    else:
        raise Unhashable(kind.__name__)


def value_digest(value: object) -> str:
    out: list[bytes] = []
    _encode(value, out)
    return hashlib.sha256(b"".join(out)).hexdigest()[:32]


MISSING = "<missing>"


class Digests:
    """The digest of each kind of read on one (real) index, computed at most once."""

    def __init__(self, index: ProjectIndex, file_hash: Callable[[str], str], project_digest: Callable[[], str], template_digest: Callable[[], str]) -> None:
        self.index = untracked(index)
        self.file_hash = file_hash
        self.project_digest = project_digest
        self.template_digest = template_digest
        self.memo: dict[Read, str] = {}

    def of(self, read: Read) -> str:
        digest = self.memo.get(read)
        if digest is None:
            try:
                digest = self._compute(*read)
            except Unhashable:
                digest = "unhashable"  # never equal to a stored digest: such a read always re-checks
            self.memo[read] = digest
        return digest

    def _compute(self, namespace: str, key: object) -> str:
        index = self.index
        if key == NONEMPTY and (namespace in MAPPING_FIELDS or namespace == "setting"):
            mapping = getattr(index, namespace) if namespace != "setting" else (index.settings.values if index.settings else {})
            return value_digest(bool(mapping))
        if namespace == "modules":
            # A module's facts are a function of its file's bytes, path and name (and djvet's code,
            # which is in every entry's key): digest those instead of encoding the facts.
            if key == ALL:
                return value_digest(tuple((name, self._module_stamp(name)) for name in index.modules))
            return value_digest(self._module_stamp(key) if isinstance(key, str) and key in index.modules else MISSING)
        if namespace in MAPPING_FIELDS:
            return self._mapping(getattr(index, namespace), key)
        if namespace in WHOLE_FIELDS:
            return value_digest(getattr(index, namespace))
        if namespace == "settings-module":
            settings = index.settings
            return value_digest(None if settings is None else (settings.module, settings.path))
        if namespace == "setting":
            return self._mapping(index.settings.values if index.settings is not None else {}, key)
        if namespace == "text":
            return self.file_hash(str(key))
        if namespace == "templates":
            return self.template_digest()
        if namespace == "project":
            return self.project_digest()
        if namespace.startswith("resolver"):
            kind, _, factory_name = namespace.partition("@")
            factory = _find_function(factory_name)
            if factory is None or kind not in ("resolver", "resolver.classes", "resolver.functions"):
                return "unknown"
            resolver: Any = factory(index)
            if kind != "resolver":
                return self._mapping(getattr(resolver, kind.partition(".")[2]), key)
            if not (isinstance(key, tuple) and len(key) == 2 and isinstance(key[0], str) and not key[0].startswith("_")):
                return "unknown"
            method = getattr(resolver, key[0], None)
            return value_digest(method(*key[1])) if callable(method) else "unknown"
        if namespace.startswith("shared:"):
            compute = _find_function(namespace[len("shared:") :])
            if compute is None:
                return "unknown"
            return self._mapping_or_value(shared("", index, compute), key)
        return "unknown"

    def _module_stamp(self, name: str) -> tuple[str, str, bool, str]:
        info = self.index.modules[name]
        return (info.path, info.name, info.is_package, self.file_hash(name))

    def _mapping_or_value(self, value: object, key: object) -> str:
        if isinstance(value, Mapping) and key != ALL:
            return self._mapping(value, key)
        return value_digest(value)

    def _mapping(self, mapping: Mapping[str, Any], key: object) -> str:
        if key == NONEMPTY:
            return value_digest(bool(mapping))
        if key == ALL:
            return value_digest(mapping)
        return value_digest(mapping.get(key, MISSING) if isinstance(key, str) else MISSING)

    def stamp(self, reads: Iterable[Read]) -> tuple[tuple[str, object, str], ...]:
        """The reads with their digests, in a stable order (for the cache entry)."""
        return tuple(sorted(((ns, key, self.of((ns, key))) for ns, key in reads), key=lambda r: (r[0], repr(r[1]))))

    def still_valid(self, stamped: object) -> bool:
        if not isinstance(stamped, tuple):
            return False
        for item in stamped:
            if not (isinstance(item, tuple) and len(item) == 3 and isinstance(item[0], str) and isinstance(item[2], str)):
                return False
            if item[2] in ("unhashable", "unknown") or self.of((item[0], item[1])) != item[2]:
                return False
        return True
