"""Build the project index: discover files, collect facts per file, link them across files."""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

from djvet.cache import Cache, digest, sha256_bytes
from djvet.index.collect import collect_module
from djvet.index.discover import file_kinds, is_migration, iter_python_files, module_name, relpath
from djvet.index.drf import DrfLinker
from djvet.index.expr import UNKNOWN, Const, Seq
from djvet.index.facts import ModuleInfo, ProjectIndex, RouteFact, SettingsFact
from djvet.index.forms import FormLinker
from djvet.index.models import ModelLinker
from djvet.index.resolve import Resolver, resolver_for
from djvet.index.settings import SettingsReader, find_settings_module_names
from djvet.index.source import SourceError, parse_source, read_source
from djvet.index.urls import collect_routes

ENTRY_FILES = ("manage.py", "wsgi.py", "asgi.py")

class Trees:
    """The `ast` trees the index parsed, kept for the files about to be checked (`wanted`, by
    relative path) with the text each came from; collect_module reads a tree, never changes it.
    A tree takes about 30 times its text's size in memory: beyond `budget` characters of text
    kept (netbox has 11 million), later files are parsed again when checked, as before."""

    def __init__(self, wanted: Iterable[str], budget: int = 16 << 20) -> None:
        self.wanted = frozenset(wanted)
        self.budget = budget
        self._kept: dict[str, tuple[str, ast.Module]] = {}

    def keep(self, rel: str, text: str, tree: ast.Module) -> None:
        if rel in self.wanted and len(text) <= self.budget:
            self.budget -= len(text)
            self._kept[rel] = (text, tree)

    def take(self, rel: str, text: str) -> ast.Module | None:
        """The tree of `rel` when it was parsed from this very text; each is given out once."""
        kept = self._kept.pop(rel, None)
        return kept[1] if kept is not None and kept[0] == text else None


def collect_file(path: Path, root: Path, text: str | None = None, trees: Trees | None = None) -> ModuleInfo | None:
    """The facts of one file, or None when it cannot be read or parsed (the check reports that).
    With `trees`, the parsed tree is kept there (with the text it came from) by relative path, so
    the check of the same file builds its astroid tree without parsing the file again."""
    rel = relpath(path, root)
    try:
        source = read_source(path) if text is None else text
        tree = parse_source(source, rel)
    except SourceError:
        return None
    name, is_package = module_name(path, root)
    info = collect_module(tree, name, rel, is_package, file_kinds(rel))
    if trees is not None:
        trees.keep(rel, source, tree)
    return info


def _app_labels(resolver: Resolver) -> dict[str, str]:
    """AppConfig classes: package -> label (`label = "x"`, else the last part of `name`)."""
    labels = {}
    for info in resolver.classes.values():
        name = info.attrs.get("name")
        if not (isinstance(name, Const) and isinstance(name.value, str)) or not info.module.endswith("apps"):
            continue
        label = info.attrs.get("label")
        labels[name.value] = label.value if isinstance(label, Const) and isinstance(label.value, str) else name.value.rsplit(".", 1)[-1]
    return labels


def _source_roots(root: Path, modules: Mapping[str, ModuleInfo], paths: Mapping[str, str]) -> tuple[str, ...]:
    """Packages holding a manage.py: Django puts that folder on sys.path, so code inside imports
    its siblings without the package prefix."""
    roots = []
    for rel in sorted(paths):
        if rel.endswith("/__init__.py") and (root / rel).with_name("manage.py").is_file():
            roots.append(paths[rel])
    return tuple(roots)


def _rooted(name: str, modules: Mapping[str, ModuleInfo], source_roots: tuple[str, ...]) -> str:
    if name in modules:
        return name
    return next((f"{r}.{name}" for r in source_roots if f"{r}.{name}" in modules), name)


def _choose_settings(
    settings: Mapping[str, SettingsFact], configured: str | None, entry_modules: list[str]
) -> SettingsFact | None:
    if configured:
        return settings.get(configured)
    for name in entry_modules:
        if name in settings:
            return settings[name]
    if len(settings) == 1:
        return next(iter(settings.values()))
    return None


# Settings a Django settings module sets; a module assigning INSTALLED_APPS (not empty) and two more
# of these is read as settings whatever its file is called (`settings_docker.py`, `_base_settings.py`).
CORE_SETTINGS = frozenset(
    {"DATABASES", "SECRET_KEY", "ROOT_URLCONF", "MIDDLEWARE", "DEBUG", "ALLOWED_HOSTS", "TEMPLATES", "WSGI_APPLICATION", "STATIC_URL"}
)


def _looks_like_settings(info: ModuleInfo, settings_names: set[str]) -> bool:
    """Sets INSTALLED_APPS and two more core settings, or star-imports a settings module and sets
    one (`settings_test.py`: `from .settings_example import *` then overrides)."""
    assigned = {t for s in info.statements if s.kind == "assign" for t in s.targets}
    if any(s.kind == "star-import" and s.module in settings_names for s in info.statements):
        return bool(assigned & (CORE_SETTINGS | {"INSTALLED_APPS"}))
    apps = next((s.value for s in info.statements if s.kind == "assign" and "INSTALLED_APPS" in s.targets), None)
    if apps is None or (isinstance(apps, Seq) and not apps.items):  # django.conf.global_settings: []
        return False
    return len(assigned & CORE_SETTINGS) >= 2


def _agreed_setting(settings: Mapping[str, SettingsFact], name: str) -> object:
    """With no settings module in force: the value every module that sets `name` agrees on,
    None when none sets it, else UNKNOWN (never a guess between them)."""
    values = [s.get(name) for s in settings.values() if name in s.values]
    if not values:
        return None
    return values[0] if all(v == values[0] for v in values) else UNKNOWN


def _collect_cached(
    path: Path, root: Path, rel: str, cache: Cache, hashes: dict[str, str], trees: Trees | None = None
) -> ModuleInfo | None:
    """collect_file, skipping the parse when the file's content hash matches a cached entry (and
    the read, when `hashes` already holds the hash the run's scan took of the file)."""
    scanned = hashes.get(rel)
    if scanned is not None and scanned != "unreadable":
        name, is_package = module_name(path, root)
        hit, value = cache.get("module", rel, digest("module", scanned, rel, name, is_package))
        if hit and isinstance(value, tuple) and len(value) == 1 and (value[0] is None or isinstance(value[0], ModuleInfo)):
            return value[0]
    try:
        data = path.read_bytes()
    except OSError:
        hashes[rel] = "unreadable"
        return collect_file(path, root, trees=trees)
    content = sha256_bytes(data)
    hashes[rel] = content
    name, is_package = module_name(path, root)
    key = digest("module", content, rel, name, is_package)
    hit, value = cache.get("module", rel, key)
    if hit and isinstance(value, tuple) and len(value) == 1 and (value[0] is None or isinstance(value[0], ModuleInfo)):
        return value[0]
    info = collect_file(path, root, trees=trees)
    cache.put("module", rel, key, (info,))
    return info


def build_index(
    root: Path,
    settings_module: str | None = None,
    overrides: Mapping[str, str] | None = None,
    cache: Cache | None = None,
    hashes: dict[str, str] | None = None,
    trees: Trees | None = None,
) -> ProjectIndex:
    """Facts about every Python file below `root`. `overrides` maps relative paths to unsaved text.
    With a `cache`, per-file facts are reused by content hash, and `hashes` (when given) receives
    the sha256 of every Python file below the root (migrations included) by relative path. `trees`
    (when given) receives the `ast` tree of every file parsed in this build (see collect_file)."""
    root = root.resolve()
    hashes = {} if hashes is None else hashes
    overrides = overrides or {}
    modules: dict[str, ModuleInfo] = {}
    paths: dict[str, str] = {}
    entry_modules: list[str] = []
    for path in iter_python_files(root):
        rel = relpath(path, root)
        text = overrides.get(rel)
        if is_migration(rel):
            if cache is not None and text is None:
                try:
                    hashes[rel] = sha256_bytes(path.read_bytes())
                except OSError:
                    hashes[rel] = "unreadable"
            continue
        if path.name in ENTRY_FILES:
            try:
                entry_modules.extend(find_settings_module_names(text if text is not None else read_source(path)))
            except SourceError:
                pass
        if cache is not None and text is None:
            info = _collect_cached(path, root, rel, cache, hashes, trees)
        else:
            info = collect_file(path, root, text, trees)
        if info is None or info.name in modules:
            continue
        modules[info.name] = info
        paths[rel] = info.name
    source_roots = _source_roots(root, modules, paths)
    entry_modules = [_rooted(name, modules, source_roots) for name in entry_modules]
    resolver = resolver_for(modules, source_roots)
    reader = SettingsReader(resolver)
    settings_names = {name for name, info in modules.items() if "settings" in info.kinds} | {
        name for name in entry_modules if name in modules
    }
    by_content = {n for n, info in modules.items() if n not in settings_names and _looks_like_settings(info, set())}
    by_content |= {
        n for n, info in modules.items() if n not in settings_names and _looks_like_settings(info, settings_names | by_content)
    }
    settings_modules = {name: reader.read(name) for name in sorted(settings_names)}
    content_settings = {name: reader.read(name) for name in sorted(by_content)}
    configured = _rooted(settings_module, modules, source_roots) if settings_module else None
    settings = _choose_settings(settings_modules, configured, entry_modules)
    user_label = settings.get("AUTH_USER_MODEL") if settings else _agreed_setting(settings_modules, "AUTH_USER_MODEL")
    model_linker = ModelLinker(resolver, _app_labels(resolver), user_label)
    models = model_linker.link()
    routes: list[RouteFact] = []
    for info in modules.values():
        routes.extend(collect_routes(resolver, info))
    routed = {r.view for r in routes if r.view}
    user_model = model_linker.user_model()
    serializers, views = DrfLinker(resolver, models, user_model).link(routed)
    forms = FormLinker(resolver, models, user_model).link()
    return ProjectIndex(
        root=str(root),
        modules=modules,
        paths=paths,
        classes=resolver.classes,
        mros={cls: resolver.mro(cls) for cls in resolver.classes},
        models=models,
        serializers=serializers,
        views=views,
        routes=tuple(sorted(routes, key=lambda r: (r.path, r.line, r.kind))),
        settings_modules=settings_modules,
        settings=settings,
        app_labels={label: package for package, label in _app_labels(resolver).items()},
        source_roots=source_roots,
        forms=forms,
        user_model=user_model,
        content_settings=content_settings,
    )
