"""astroid trees for djvet's rules, built without following imports out of the project.

djvet infers nothing itself, but astroid's builder does three things after parsing that reach
into other modules: it infers the object of every attribute assignment (`self.x = ...`) to record
instance attributes, which infers base classes and so builds every installed module they come
from (Django, DRF, ...); it resolves `from x import *` by building `x`; and its brain transforms
infer the bases of every class (is it an Enum?) and decorators (a dataclass?). With Django
importable that was about 70% of a run, for nothing djvet reads: its rules read trees
structurally (nodes, scopes, the locals of functions and modules), never inferred values or
instance attributes, and take names from the project index (`djvet.index.resolve`).

`build_module` therefore uses a builder that
- records no attribute assignments (djvet reads no instance attributes; the class members it
  reads, methods, come from the class body),
- applies no transforms (they add inference tips and synthesized class members; djvet uses
  neither, and its trees no longer depend on which plugins, pylint_django's, registered some),
- binds the names of a star import only when the imported module is a project module (from the
  index, read through the possibly tracked index so the importer's cached findings depend on that
  module's text), built the same way; other star imports bind nothing, as they did when the
  package was not importable, so findings do not depend on what is installed,
- does not put its trees into astroid's shared module cache (a pylint run in the same process
  never sees a tree without instance attributes).
No astroid state is patched: the builder is a subclass used only here.
"""

from __future__ import annotations

import ast
import os
import re
from typing import TYPE_CHECKING, Any

from astroid import nodes
from astroid.builder import AstroidBuilder
from astroid.exceptions import AstroidError
from astroid.manager import AstroidManager
from astroid.rebuilder import TreeRebuilder

if TYPE_CHECKING:
    from djvet.index.facts import ProjectIndex


class _Uncached:
    """astroid's shared manager, except that built modules are not cached and builtins not built."""

    def __init__(self, manager: AstroidManager) -> None:
        self._manager = manager

    def cache_module(self, module: nodes.Module) -> None:
        pass

    def bootstrap(self) -> None:
        """Not needed here: building astroid's `builtins` module by introspection (a quarter of a
        second) serves inference, and these trees are read without it. The shared manager stays
        unbootstrapped, so the first ordinary builder (pylint's) bootstraps it as usual."""

    def __getattr__(self, name: str) -> Any:
        return getattr(self._manager, name)


class ProjectBuilder(AstroidBuilder):
    def __init__(self, index: ProjectIndex | None, building: dict[str, nodes.Module] | None = None) -> None:
        super().__init__(_Uncached(AstroidManager()), apply_transforms=False)  # type: ignore[arg-type]
        self._index = index
        # modules being built in this call chain, by name: a star-import cycle sees the partial
        # module, as astroid's cache gave it
        self._building = {} if building is None else building
        self._partial = [0]  # how often a cycle gave a partial module (shared down the chain)

    def delayed_assattr(self, node: nodes.AssignAttr) -> None:
        return None

    def add_from_names_to_locals(self, node: nodes.ImportFrom, *args: Any) -> None:
        if not (node.names and node.names[0][0] == "*"):
            super().add_from_names_to_locals(node, *args)
            return
        assert node.parent is not None
        for name in self._star_names(node):
            node.parent.set_local(name, node)
            node.parent.scope().locals[name].sort(key=lambda n: n.fromlineno or 0)

    def _star_names(self, node: nodes.ImportFrom) -> list[str]:
        """The public names `from x import *` binds when `x` is a project module, else none."""
        index = self._index
        if index is None:
            return []
        root = node.root()
        self._building.setdefault(root.name, root)
        try:
            absolute = root.relative_to_absolute_name(node.modname, node.level)
        except AstroidError:  # TooManyLevelsError: `from .... import *` above the top package
            return []
        module = _project_module(index, absolute)
        if module is None:
            return []
        partial = self._building.get(module)
        if partial is not None:
            self._partial[0] += 1
            return partial.public_names()
        from djvet.astro.stars import star_names
        from djvet.index.deps import Recording, TrackedIndex, record

        book = star_names(index)
        complete = type(index) is TrackedIndex  # every read recorded, the index's own included
        known = book.get(module, complete)
        if known is not None:  # built once per index (or an earlier run); the reads are recorded again for this file
            names, reads = known
            for read in reads:
                record(*read)
            return list(names)
        seen = self._partial[0]
        with Recording() as reads:
            built = self._build_names(index, module)
        if self._partial[0] == seen:  # not cut short by a cycle: the same for every importer
            book.put(module, (tuple(built), frozenset(reads)), complete)
        return built

    def _build_names(self, index: ProjectIndex, module: str) -> list[str]:
        from djvet.index.bodies import module_text

        text = module_text(index, module)  # records the read: the importer depends on this file
        info = index.modules.get(module)
        if text is None or info is None:
            return []
        try:
            builder = ProjectBuilder(index, self._building)
            builder._partial = self._partial
            tree = builder.build(text, module, str(_path(index, info.path)))
        except (AstroidError, RecursionError, ValueError, MemoryError):  # binds nothing, as before
            return []
        return tree.public_names()

    def build(self, text: str, module: str, path: str, parsed: ast.Module | None = None) -> nodes.Module:
        if parsed is None or _TYPE_COMMENT.search(text):
            # astroid parses with type comments, where a misplaced one is its syntax error
            # (`if x:  #type: int`): the tree parsed without them is the same tree only when
            # the text has none
            return self.string_build(text, module, path)
        # string_build minus its parse: `_data_build` after `ast.parse`, then the same post-build
        if module.endswith(".__init__"):
            module, package = module[:-9], True
        else:
            package = os.path.splitext(os.path.basename(path))[0] == "__init__"
        builder = TreeRebuilder(self._manager, text)
        tree = builder.visit_module(parsed, module, os.path.abspath(path), package)
        tree.file_bytes = text.encode("utf-8")
        return self._post_build(tree, builder, "utf-8")


# what Python's tokenizer takes for a type comment when asked for them (`# type:`, `#type:`,
# `# type: ignore`), and more (inside strings): those texts are parsed again by astroid
_TYPE_COMMENT = re.compile(r"#[ \t]*type:")


def _project_module(index: ProjectIndex, absolute: str) -> str | None:
    if absolute in index.modules:
        return absolute
    for root in index.source_roots:
        if f"{root}.{absolute}" in index.modules:
            return f"{root}.{absolute}"
    return None


def _path(index: ProjectIndex, relative: str) -> object:
    from pathlib import Path

    from djvet.index.deps import untracked

    return Path(untracked(index).root) / relative


def build_module(text: str, module: str, path: str, index: ProjectIndex | None, parsed: ast.Module | None = None) -> nodes.Module:
    """An astroid tree of a project file, as `AstroidBuilder.string_build` makes it minus the
    work that leaves the project (see the module docstring). Raises what string_build raises.
    `parsed`: the `ast` tree of `text` when the caller has it (the index parsed the file already),
    which saves parsing it again unless the text holds a type comment (see ProjectBuilder.build)."""
    return ProjectBuilder(index).build(text, module, path, parsed)
