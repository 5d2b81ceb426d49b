"""Migration files read as facts: their operations, where they sit in their app's chain, and the
state of a field before an operation changes it. Migrations stay out of the project index (they
are many and rarely matter); these facts are read lazily, one migrations folder at a time, and
cached per index.

Which migrations are "new" (not yet applied to every database) is unknowable from the code. djvet
takes the newest migration of each app for the new one: a leaf of the app's dependency graph (no
other migration in the folder names it), looking through empty merge migrations. A file that
holds a `Migration` class outside a `migrations/` folder is its own, newest, migration."""

from __future__ import annotations

import ast
import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path

from djvet.index.deps import PerIndex
from djvet.index.expr import (
    UNKNOWN,
    Call,
    Const,
    Expr,
    Name,
    Seq,
    dotted_name,
    literal,
    to_expr,
)
from djvet.index.facts import ProjectIndex
from djvet.index.source import SourceError, parse_source, read_source

MIGRATION_BASES = frozenset({"migrations.Migration", "django.db.migrations.Migration", "Migration"})
# Operations whose keyword arguments name the model and the field (positional order as in Django).
FIELD_OPERATIONS = {
    "AddField": ("model_name", "name", "field"),
    "AlterField": ("model_name", "name", "field"),
    "RemoveField": ("model_name", "name"),
    "RenameField": ("model_name", "old_name", "new_name"),
}
QUOTED_RE = re.compile(r"""["']([\w.-]+)["']""")
EMPTY_OPERATIONS_RE = re.compile(r"operations\s*=\s*[\[(]\s*[\])]")
REPLACES_RE = re.compile(r"^\s+replaces\s*=\s*[\[(]\s*[\[(]", re.MULTILINE)
MAX_CHAIN = 400
DJANGO_FIELD_PREFIXES = ("models.", "django.db.models.")


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """A field as a migration writes it: `models.CharField(max_length=20, null=True)`."""

    field_class: str  # the last part of the dotted name: CharField
    options: dict[str, object]  # keyword arguments: literal values, UNKNOWN for the rest
    opaque: bool = False  # `**kwargs` or positional arguments djvet does not read
    dotted: str = ""  # as written: models.CharField

    @property
    def is_django(self) -> bool:
        """One of Django's own fields, as makemigrations writes them (`models.CharField`); a field
        class from elsewhere may set `null`, defaults or its column type itself."""
        return self.dotted.startswith(DJANGO_FIELD_PREFIXES)


@dataclass(frozen=True, slots=True)
class Operation:
    kind: str  # AddField | AlterField | RemoveField | RenameField | RunPython | CreateModel | ...
    line: int
    col: int
    model: str | None = None  # model_name (CreateModel: name), lower case
    name: str | None = None  # the field (RenameField: the old name)
    new_name: str | None = None
    field: FieldSpec | None = None
    fields: tuple[tuple[str, FieldSpec], ...] = ()  # CreateModel
    positional: int = 0
    keywords: frozenset[str] = frozenset()
    code: str | None = None  # RunPython: the forwards function as written
    # keyword arguments of the operation itself with literal values (preserve_default, reverse_code)
    options: dict[str, object] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class MigrationFile:
    relpath: str
    name: str  # the module's stem: 0042_book_isbn
    initial: bool
    operations: tuple[Operation, ...]  # what runs against the database, in order
    line: int = 0  # the Migration class
    parents: tuple[str, ...] = ()  # migrations of the same folder it depends on


# ---- reading one migration --------------------------------------------------------------------


def find_migration_class(tree: ast.Module) -> ast.ClassDef | None:
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == "Migration" and any(dotted_name(b) in MIGRATION_BASES for b in node.bases):
            return node
    return None


def _kind(call: ast.Call) -> str | None:
    name = dotted_name(call.func)
    return name.rsplit(".", 1)[-1] if name else None


def _string(expr: Expr | None) -> str | None:
    return expr.value if isinstance(expr, Const) and isinstance(expr.value, str) else None


def field_spec(expr: Expr | None) -> FieldSpec | None:
    if not isinstance(expr, Call) or not isinstance(expr.func, Name):
        return None
    options = {key: literal(value) for key, value in expr.kwargs if key != "**"}
    opaque = any(key == "**" for key, _ in expr.kwargs) or bool(expr.args)
    return FieldSpec(expr.func.dotted.rsplit(".", 1)[-1], options, opaque, expr.func.dotted)


def _operation(node: ast.Call) -> Operation | None:
    kind = _kind(node)
    if kind is None:
        return None
    call = to_expr(node)
    assert isinstance(call, Call)
    base = Operation(
        kind,
        node.lineno,
        node.col_offset,
        positional=len(node.args),
        keywords=frozenset(k.arg or "**" for k in node.keywords),
        options={key: literal(value) for key, value in call.kwargs if key != "**"},
    )
    if kind in FIELD_OPERATIONS:
        values = [call.arg(i, key) for i, key in enumerate(FIELD_OPERATIONS[kind])]
        model = _string(values[0])
        return dataclasses.replace(
            base,
            model=model.lower() if model else None,
            name=_string(values[1]),
            new_name=_string(values[2]) if kind == "RenameField" else None,
            field=field_spec(values[2]) if kind in ("AddField", "AlterField") else None,
        )
    if kind == "CreateModel":
        name = _string(call.arg(0, "name"))
        fields = call.arg(1, "fields")
        pairs = []
        for item in fields.items if isinstance(fields, Seq) else ():
            if isinstance(item, Seq) and len(item.items) == 2 and (spec := field_spec(item.items[1])) is not None:
                field_name = _string(item.items[0])
                if field_name:
                    pairs.append((field_name, spec))
        return dataclasses.replace(base, model=name.lower() if name else None, fields=tuple(pairs))
    if kind == "RunPython":
        code = call.arg(0, "code")
        return dataclasses.replace(base, code=code.dotted if isinstance(code, Name) else None)
    return base


def _database_operations(value: ast.AST) -> list[Operation]:
    """The operations of `operations = [...]` that reach the database: SeparateDatabaseAndState's
    `state_operations` only change Django's picture of the schema and are left out."""
    out: list[Operation] = []
    for element in value.elts if isinstance(value, (ast.List, ast.Tuple)) else ():
        if not isinstance(element, ast.Call):
            continue
        if _kind(element) == "SeparateDatabaseAndState":
            inner = next((k.value for k in element.keywords if k.arg == "database_operations"), None)
            if inner is None and element.args:
                inner = element.args[0]
            if inner is not None:
                out.extend(_database_operations(inner))
            continue
        operation = _operation(element)
        if operation is not None:
            out.append(operation)
    return out


def read_migration(text: str, relpath: str) -> MigrationFile | None:
    """The migration in `text`, or None when it holds no `Migration` class or does not parse."""
    try:
        tree = parse_source(text, relpath)
    except SourceError:
        return None
    cls = find_migration_class(tree)
    if cls is None:
        return None
    operations: list[Operation] = []
    initial = False
    for statement in cls.body:
        if not isinstance(statement, ast.Assign) or len(statement.targets) != 1 or not isinstance(statement.targets[0], ast.Name):
            continue
        target = statement.targets[0].id
        if target == "operations":
            operations = _database_operations(statement.value)
        elif target == "initial":
            initial = isinstance(statement.value, ast.Constant) and statement.value.value is True
    stem = relpath.rsplit("/", 1)[-1][:-3]
    return MigrationFile(relpath, stem, initial, tuple(operations), cls.lineno)


# ---- a migrations folder ----------------------------------------------------------------------


@dataclass
class _Folder:
    texts: dict[str, str]  # stem -> text
    parents: dict[str, tuple[str, ...]]  # stem -> stems of the folder it names
    files: dict[str, MigrationFile | None] = dataclasses.field(default_factory=dict)


_FOLDERS: PerIndex[dict[str, _Folder]] = PerIndex(lambda index: {})


def is_migration_path(relpath: str) -> bool:
    parts = relpath.split("/")
    return len(parts) >= 2 and parts[-2] == "migrations"


def _folder(index: ProjectIndex, folder_rel: str) -> _Folder:
    folders = _FOLDERS(index)
    cached = folders.get(folder_rel)
    if cached is None:
        cached = folders[folder_rel] = _read_folder(Path(index.root) / folder_rel)
    return cached


def _read_folder(folder: Path) -> _Folder:
    texts: dict[str, str] = {}
    try:
        paths = sorted(p for p in folder.iterdir() if p.suffix == ".py" and p.name != "__init__.py")
    except OSError:
        paths = []
    for path in paths:
        try:
            texts[path.stem] = read_source(path)
        except SourceError:
            continue
    # A migration names its parents (and a squash what it replaces) as quoted strings.
    parents = {stem: tuple(sorted({s for s in QUOTED_RE.findall(text) if s in texts and s != stem})) for stem, text in texts.items()}
    return _Folder(texts, parents)


def migration_file(index: ProjectIndex, relpath: str, text: str) -> MigrationFile | None:
    """The migration at `relpath` (its `text` as checked), with its parents in the folder."""
    found = read_migration(text, relpath)
    if found is None or not is_migration_path(relpath):
        return found
    folder = _folder(index, relpath.rsplit("/", 1)[0])
    parents = tuple(sorted({s for s in QUOTED_RE.findall(text) if s in folder.texts and s != found.name}))
    return MigrationFile(found.relpath, found.name, found.initial, found.operations, found.line, parents)


def is_newest_migration(index: ProjectIndex, relpath: str, text: str) -> bool:
    """No other migration of the folder depends on this one, but empty merge migrations."""
    if not is_migration_path(relpath):
        return True
    if REPLACES_RE.search(text):
        return False  # a squash replays history that is already applied where the originals ran
    folder = _folder(index, relpath.rsplit("/", 1)[0])
    name = relpath.rsplit("/", 1)[-1][:-3]
    seen: set[str] = set()
    todo = [name]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        children = [stem for stem, parents in folder.parents.items() if current in parents]
        for child in children:
            if not EMPTY_OPERATIONS_RE.search(folder.texts[child]):
                return False
            todo.append(child)
    return True


def _sibling(index: ProjectIndex, folder_rel: str, stem: str) -> MigrationFile | None:
    folder = _folder(index, folder_rel)
    if stem not in folder.files:
        text = folder.texts.get(stem)
        found = read_migration(text, f"{folder_rel}/{stem}.py") if text is not None else None
        if found is not None:
            found = MigrationFile(found.relpath, found.name, found.initial, found.operations, found.line, folder.parents.get(stem, ()))
        folder.files[stem] = found
    return folder.files[stem]


def field_before(index: ProjectIndex, migration: MigrationFile, operation: Operation) -> FieldSpec | None:
    """The field `operation` changes as the migrations before it left it: an earlier operation of
    the same migration, else its parent migrations in the folder, newest first. None when djvet
    cannot follow the chain (a merge, a rename, a field it never sees defined)."""
    model, name = operation.model, operation.name
    if model is None or name is None:
        return None
    earlier = migration.operations[: migration.operations.index(operation)]
    current: MigrationFile | None = migration
    folder_rel = migration.relpath.rsplit("/", 1)[0] if "/" in migration.relpath else ""
    for _ in range(MAX_CHAIN):
        found = _defined_in(earlier, model, name)
        if found is not None:
            return found if isinstance(found, FieldSpec) else None
        if current is None or len(current.parents) != 1 or not is_migration_path(current.relpath):
            return None
        current = _sibling(index, folder_rel, current.parents[0])
        earlier = current.operations if current is not None else ()
    return None


def _defined_in(operations: tuple[Operation, ...], model: str, name: str) -> FieldSpec | object | None:
    """The field's definition in the newest of `operations` that touches it; UNKNOWN when that
    operation removes, renames or hides it; None when none touches it."""
    for operation in reversed(operations):
        if operation.kind in ("AddField", "AlterField") and operation.model == model and operation.name == name:
            return operation.field or UNKNOWN
        if operation.kind == "CreateModel" and operation.model == model:
            return next((spec for field_name, spec in operation.fields if field_name == name), UNKNOWN)
        if operation.kind in ("RemoveField", "RenameField") and operation.model == model and name in (operation.name, operation.new_name):
            return UNKNOWN
        if operation.kind in ("RenameModel", "DeleteModel", "RunSQL"):
            return UNKNOWN  # the table may have changed in ways djvet does not follow
    return None


def migration_app_label(index: ProjectIndex, module: str) -> str:
    """The app label of a migration module (`shop.migrations.0042_x` -> `shop`), as the model
    index labels the models of that package."""
    parts = module.split(".")[:-1]
    if parts and parts[-1] == "migrations":
        parts = parts[:-1]
    package = ".".join(parts)
    by_package = {pkg: label for label, pkg in index.app_labels.items()}
    return by_package.get(package) or package.rsplit(".", 1)[-1] or module


def created_models(migration: MigrationFile) -> frozenset[str]:
    return frozenset(op.model for op in migration.operations if op.kind == "CreateModel" and op.model)


def option_is(spec: FieldSpec, key: str, value: object) -> bool:
    return key in spec.options and spec.options[key] == value and spec.options[key] is not UNKNOWN
