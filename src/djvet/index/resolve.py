"""Name resolution across the project: imports, re-exports, star imports, nested classes, MROs."""

from __future__ import annotations

from collections.abc import Mapping

from djvet.index.expr import Expr, Name
from djvet.index.facts import ClassInfo, FunctionInfo, ModuleInfo

MAX_HOPS = 12
MAX_MRO_DEPTH = 150  # deeper hierarchies are cut short rather than overflow Python's stack


class Resolver:
    def __init__(self, modules: Mapping[str, ModuleInfo], source_roots: tuple[str, ...] = ()) -> None:
        self.modules = modules
        # Packages that are also sys.path entries (a manage.py inside a package): there, code
        # imports `tasks.models` for the module djvet names `label_studio.tasks.models`.
        self.source_roots = source_roots
        self.classes: dict[str, ClassInfo] = {}
        self.functions: dict[str, FunctionInfo] = {}
        for info in modules.values():
            self.classes.update(info.classes)
            for function in info.functions.values():
                self.functions[function.qualname] = function
        self._assigned: dict[str, frozenset[str]] = {}
        self._mro: dict[str, tuple[str, ...]] = {}
        self._bases: dict[str, tuple[str, ...]] = {}
        # name lookups are a function of the modules alone: answered once (the index's linking
        # and every rule ask the same few thousand names tens of thousands of times)
        self._resolved: dict[tuple[str, str], str] = {}
        self._canonical: dict[str, str] = {}

    # -- names ----------------------------------------------------------------------------------

    def _module_defines(self, module: str, name: str) -> bool:
        qualname = f"{module}.{name}"
        if qualname in self.classes or qualname in self.functions:
            return True
        assigned = self._assigned.get(module)
        if assigned is None:
            info = self.modules[module]
            assigned = frozenset(t for s in info.statements if s.kind in ("assign", "augassign") for t in s.targets)
            self._assigned[module] = assigned
        return name in assigned

    def _lookup_in_module(self, module: str, name: str, hops: int, seen: set[str] | None = None) -> str | None:
        """What `name` means at the top level of a project module, or None if not known there."""
        info = self.modules.get(module)
        # each module is searched once per lookup: modules star-importing each other would
        # otherwise make the search exponential
        seen = set() if seen is None else seen
        if info is None or module in seen:
            return None
        seen.add(module)
        if self._module_defines(module, name):
            return f"{module}.{name}"
        if name in info.imports:
            return self.canonical(info.imports[name], hops + 1)
        if f"{module}.{name}" in self.modules:
            return f"{module}.{name}"
        for star in map(self.module_name, info.star_imports):
            if hops < MAX_HOPS and star in self.modules:
                found = self._lookup_in_module(star, name, hops + 1, seen)
                if found is not None:
                    return found
        return None

    def module_name(self, imported: str) -> str:
        """The project module an import statement names: `core.settings.base` is
        `label_studio.core.settings.base` when `label_studio` is a source root."""
        if imported in self.modules:
            return imported
        return next((f"{r}.{imported}" for r in self.source_roots if f"{r}.{imported}" in self.modules), imported)

    def canonical(self, qualname: str, hops: int = 0) -> str:
        """Follow re-exports: `shop.models.Book` -> `shop.models.book.Book`."""
        if hops:
            return self._follow(qualname, hops)
        found = self._canonical.get(qualname)
        if found is None:
            found = self._canonical[qualname] = self._follow(qualname, 0)
        return found

    def _follow(self, qualname: str, hops: int) -> str:
        if hops > MAX_HOPS or qualname in self.classes or qualname in self.functions or qualname in self.modules:
            return qualname
        parts = qualname.split(".")
        if self.source_roots and not any(".".join(parts[:cut]) in self.modules for cut in range(1, len(parts) + 1)):
            for root in self.source_roots:
                candidate = f"{root}.{qualname}"
                found = self.canonical(candidate, hops + 1)
                if found != candidate or found in self.classes or found in self.functions or found in self.modules:
                    return found
            return qualname
        for cut in range(len(parts) - 1, 0, -1):
            module = ".".join(parts[:cut])
            if module not in self.modules:
                continue
            found = self._lookup_in_module(module, parts[cut], hops + 1)
            if found is None:
                return qualname
            rest = parts[cut + 1 :]
            return self.canonical(".".join([found, *rest]), hops + 1) if rest else found
        return qualname

    def resolve(self, module: str, dotted: str) -> str:
        """The qualified name a dotted name written in `module` refers to (best effort)."""
        found = self._resolved.get((module, dotted))
        if found is None:
            found = self._resolved[(module, dotted)] = self._resolve(module, dotted)
        return found

    def _resolve(self, module: str, dotted: str) -> str:
        first, _, rest = dotted.partition(".")
        found = self._lookup_in_module(module, first, 0) if module in self.modules else None
        if found is None:
            found = first
        full = f"{found}.{rest}" if rest else found
        return self.canonical(full)

    def resolve_expr(self, module: str, expr: Expr | None) -> str | None:
        if isinstance(expr, Name):
            return self.resolve_class(module, expr.dotted)
        return None

    def resolve_class(self, module: str, dotted: str) -> str:
        """Like resolve, but `Base.Meta` also finds a Meta that Base inherits."""
        qualname = self.resolve(module, dotted)
        if qualname in self.classes or "." not in dotted:
            return qualname
        owner_dotted, _, attr = dotted.rpartition(".")
        owner = self.resolve_class(module, owner_dotted)
        if owner in self.classes:
            inner = self.find_inner(owner, attr)
            if inner is not None:
                return inner
        return qualname

    def find_inner(self, cls: str, name: str) -> str | None:
        for ancestor in self.mro(cls):
            info = self.classes.get(ancestor)
            if info is not None and name in info.inner:
                return info.inner[name]
        return None

    # -- classes --------------------------------------------------------------------------------

    def bases(self, cls: str) -> tuple[str, ...]:
        cached = self._bases.get(cls)
        if cached is None:
            info = self.classes.get(cls)
            cached = ()
            if info is not None:
                self._bases[cls] = ()  # guards a class that names itself among its bases
                cached = tuple(self.resolve_class(info.module, b.dotted) for b in info.bases if isinstance(b, Name))
            self._bases[cls] = cached
        return cached

    def mro(self, cls: str, _stack: frozenset[str] = frozenset()) -> tuple[str, ...]:
        """C3 linearization over project classes; outside classes are leaves."""
        cached = self._mro.get(cls)
        if cached is not None:
            return cached
        if cls in _stack or cls not in self.classes or len(_stack) > MAX_MRO_DEPTH:
            return (cls,)
        stack = _stack | {cls}
        seqs = [list(self.mro(b, stack)) for b in self.bases(cls)]
        seqs.append(list(self.bases(cls)))
        result = [cls]
        while True:
            seqs = [s for s in seqs if s]
            if not seqs:
                break
            for seq in seqs:
                head = seq[0]
                if not any(head in s[1:] for s in seqs):
                    break
            else:  # inconsistent hierarchy: fall back to depth-first order
                for seq in seqs:
                    result.extend(c for c in seq if c not in result)
                break
            result.append(head)
            for seq in seqs:
                if seq and seq[0] == head:
                    del seq[0]
        mro = tuple(dict.fromkeys(result))
        self._mro[cls] = mro
        return mro

    def inherits(self, cls: str, targets: frozenset[str] | set[str]) -> bool:
        return any(c in targets for c in self.mro(cls))

    def lookup_attr(self, cls: str, attr: str) -> tuple[str, Expr] | None:
        """The class in the MRO that assigns `attr` in its body, with the value."""
        for ancestor in self.mro(cls):
            info = self.classes.get(ancestor)
            if info is not None and attr in info.attrs:
                return ancestor, info.attrs[attr]
        return None

    def methods(self, cls: str) -> dict[str, FunctionInfo]:
        """Methods defined by project classes in the MRO, nearest first."""
        found: dict[str, FunctionInfo] = {}
        for ancestor in self.mro(cls):
            info = self.classes.get(ancestor)
            if info is not None:
                for name, method in info.methods.items():
                    found.setdefault(name, method)
        return found


_BY_MODULES: dict[int, Resolver] = {}


def resolver_for(
    modules: Mapping[str, ModuleInfo], source_roots: tuple[str, ...] = (), mros: Mapping[str, tuple[str, ...]] | None = None
) -> Resolver:
    """The Resolver over this very modules mapping (and source roots), made once. Its answers are a
    function of the modules alone (it only memoizes), so the index's linking, the rules' lookups
    (querysets.index_resolver) and the policy book share one set of memos instead of three.
    `mros`: the index's, when the index was not linked in this process (index.linked): linking
    computed the MRO of every class, so they are exactly what its Resolver held."""
    found = _BY_MODULES.get(id(modules))
    if found is None or found.modules is not modules or found.source_roots != source_roots:
        if len(_BY_MODULES) > 8:
            _BY_MODULES.clear()
        found = _BY_MODULES[id(modules)] = Resolver(modules, source_roots)
        if mros is not None:
            found._mro.update(mros)
    return found
