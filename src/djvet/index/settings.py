"""Read settings modules statically: literals, split settings (`from .base import *`), and values
read from the environment (known only as their default)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace

from djvet.index.expr import UNKNOWN, Attr, Bin, Call, Const, Expr, Map, Name, Opaque, Seq, Starred
from djvet.index.facts import FunctionInfo, ModuleInfo, SettingsFact, SettingValue
from djvet.index.resolve import Resolver

ENV_GETTERS = frozenset({"os.environ.get", "os.getenv", "os.environ.setdefault"})
ENV_READER_CLASSES = frozenset({"environ.Env", "environ.FileAwareEnv", "environs.Env"})
ENV_FUNCTIONS = frozenset({"decouple.config"})
# Calls (as written in a function body) that read the environment: a project function making one
# of them, or named for it (`get_bool_from_env("DEBUG", True)`), is an environment reader too.
ENV_HELPER_CALLS = frozenset({"os.environ.get", "environ.get", "os.getenv", "os.environ.setdefault"})
# os.environ.setdefault("DJANGO_SETTINGS_MODULE", "x") and os.environ["DJANGO_SETTINGS_MODULE"] = "x"
SETTINGS_MODULE_RE = re.compile(r"""DJANGO_SETTINGS_MODULE["']\s*(?:,|\]\s*=)\s*["']([\w.]+)["']""")


class _EnvReader:
    """The value of `env = environ.Env()`: calling it reads the environment."""


ENV_READER = _EnvReader()


def find_settings_module_names(text: str) -> list[str]:
    return SETTINGS_MODULE_RE.findall(text)


class SettingsReader:
    def __init__(self, resolver: Resolver) -> None:
        self.resolver = resolver
        self._done: dict[str, dict[str, SettingValue]] = {}

    def read(self, module: str) -> SettingsFact:
        info = self.resolver.modules[module]
        values = self._evaluate(module, frozenset())
        public = {k: v for k, v in values.items() if k.isupper()}
        for name, setting in public.items():
            if setting.value is ENV_READER:  # `ENV = environ.Env()`: a reader, not a setting djvet can know
                public[name] = replace(setting, value=UNKNOWN)
        return SettingsFact(module=module, path=info.path, values=public)

    def _evaluate(self, module: str, stack: frozenset[str]) -> dict[str, SettingValue]:
        if module in self._done:
            return self._done[module]
        info = self.resolver.modules.get(module)
        if info is None or module in stack:
            return {}
        stack = stack | {module}
        env: dict[str, SettingValue] = {}
        for statement in info.statements:
            if statement.kind == "star-import":
                for name, value in self._evaluate(self.rooted(statement.module), stack).items():
                    self._store(env, name, value, statement.conditional)
            elif statement.kind == "import" and self.rooted(statement.module) in self.resolver.modules:
                source = self._evaluate(self.rooted(statement.module), stack)
                for local, name in statement.names:
                    if name in source:
                        self._store(env, local, source[name], statement.conditional)
            elif statement.kind == "assign":
                value = (
                    self._value(info, statement.value, env, statement.line)
                    if statement.value is not None
                    else SettingValue(UNKNOWN, info.path, statement.line)  # `A, B = ...`: unpacked, unknown
                )
                for target in statement.targets:
                    self._store(env, target, value, statement.conditional)
            elif statement.kind == "augassign" and statement.value is not None:
                self._augment(info, env, statement.targets[0], statement.op, statement.value, statement)
            elif statement.kind == "call" and isinstance(statement.value, Call):
                self._mutate(info, env, statement.value, statement.conditional)
        self._done[module] = env
        return env

    def rooted(self, module: str) -> str:
        """`core.settings.base` imported inside a source root is `label_studio.core.settings.base`."""
        return self.resolver.module_name(module)

    def _store(self, env: dict[str, SettingValue], name: str, value: SettingValue, conditional: bool) -> None:
        if not conditional:
            env[name] = value
            return
        previous = env.get(name)
        if previous is None:
            env[name] = replace(value, conditional=True)
        elif _extends(_items(previous), _items(value)):
            # `if X: MIDDLEWARE.append(...)` / `INSTALLED_APPS += [...]`: unknown, but the items
            # before certainly stay
            env[name] = SettingValue(UNKNOWN, value.path, value.line, conditional=True, at_least=_items(previous))
        elif previous.value != value.value or previous.value is UNKNOWN:
            env[name] = SettingValue(UNKNOWN, value.path, value.line, conditional=True)

    def _augment(self, info: ModuleInfo, env: dict[str, SettingValue], name: str, op: str, expr: Expr, statement: object) -> None:
        line = getattr(statement, "line", 0)
        previous = env.get(name)
        added = self._value(info, expr, env, line)
        value: object = UNKNOWN
        if previous is not None and op == "Add":
            value = _add(previous.value, added.value)
        elif previous is not None and op == "BitOr" and isinstance(previous.value, dict) and isinstance(added.value, dict):
            value = {**previous.value, **added.value}
        self._store(env, name, SettingValue(value, info.path, line), getattr(statement, "conditional", False))

    def _mutate(self, info: ModuleInfo, env: dict[str, SettingValue], call: Call, conditional: bool) -> None:
        """`INSTALLED_APPS.append(...)`, `.extend(...)`, `.insert(i, ...)`, `DATABASES.update(...)`."""
        if not isinstance(call.func, Name) or call.func.dotted.count(".") != 1:
            return
        name, method = call.func.dotted.split(".")
        previous = env.get(name)
        if previous is None:
            return
        args = [self._value(info, a, env, call.line).value for a in call.args]
        # the items the list may hold, for checks that ask whether an item could be there
        may_hold = previous.value if isinstance(previous.value, tuple) else previous.possible
        possible = _list_added(may_hold, method, args) if may_hold is not None and not call.kwargs else UNKNOWN
        if method == "insert" and len(args) == 2 and may_hold is not None and not isinstance(args[0], int):
            possible = may_hold + (args[1],)  # at an unknown position
        current = previous.value
        # appending to a list known only in part (`at_least`) keeps that part known
        partial = current is UNKNOWN and previous.at_least is not None and method in ("append", "extend", "insert")
        if partial:
            current = previous.at_least
        value: object = UNKNOWN
        if isinstance(current, tuple) and not call.kwargs:
            if method == "insert" and len(args) == 2 and not isinstance(args[0], int):
                # `MIDDLEWARE.insert(MIDDLEWARE.index("x") + 1, "y")`: the position is unknown, the items are not
                added = SettingValue(UNKNOWN, info.path, call.line, conditional=True, at_least=current + (args[1],))
                self._store(env, name, added, conditional)
                self._keep_possible(env, name, possible)
                return
            value = _list_added(current, method, args)
        elif isinstance(current, dict) and method == "update" and len(args) == 1 and isinstance(args[0], dict):
            value = {**current, **args[0]}
        elif isinstance(current, dict) and method == "__setitem__" and len(args) == 2:
            if args[0] is not UNKNOWN and _hashable(args[0]):
                value = {**current, args[0]: args[1]}  # REST_FRAMEWORK["X"] = ...
        elif method not in ("append", "extend", "insert", "update", "remove", "pop", "setdefault", "clear", "__setitem__"):
            return  # not a mutation (a logging call, say)
        if partial:
            at_least = value if isinstance(value, tuple) else previous.at_least
            self._store(env, name, SettingValue(UNKNOWN, info.path, call.line, conditional=True, at_least=at_least), conditional)
        else:
            self._store(env, name, SettingValue(value, info.path, call.line), conditional)
        self._keep_possible(env, name, possible)

    @staticmethod
    def _keep_possible(env: dict[str, SettingValue], name: str, possible: object) -> None:
        stored = env.get(name)
        if stored is not None and stored.value is UNKNOWN and isinstance(possible, tuple):
            env[name] = replace(stored, possible=possible)

    def _value(self, info: ModuleInfo, expr: Expr, env: Mapping[str, SettingValue], line: int) -> SettingValue:
        env_read = self._env_read(info, expr, env)
        if env_read is not None:
            return env_read
        if any(self._is_env_call(info, c, env) for c in _calls_in(expr)):
            return SettingValue(UNKNOWN, info.path, line, from_env=True)
        return SettingValue(self._python(info, expr, env, 0), info.path, line)

    def _is_env_call(self, info: ModuleInfo, dotted: str, env: Mapping[str, SettingValue]) -> bool:
        head = dotted.split(".")[0]
        if head in env and env[head].value is ENV_READER:
            return True
        resolved = self.resolver.resolve(info.name, dotted)
        return (
            resolved in ENV_GETTERS
            or resolved in ENV_FUNCTIONS
            or resolved.startswith("os.environ")
            or self._env_helper(resolved) is not None
        )

    def _env_helper(self, qualname: str) -> FunctionInfo | None:
        """A module-level project function that reads the environment: it calls `os.environ.get`
        or `os.getenv` itself, or its name says so (`get_env`, `get_bool_from_env`, `env_list`)."""
        function = self.resolver.functions.get(qualname)  # module-level functions only
        if function is None:
            return None
        if function.calls & ENV_HELPER_CALLS or "env" in function.name.lower().split("_"):
            return function
        return None

    def _env_read(self, info: ModuleInfo, expr: Expr, env: Mapping[str, SettingValue]) -> SettingValue | None:
        """`os.environ.get("X", default)`, `env("X", default=...)`, `config("X", default=...)`."""
        if not isinstance(expr, Call) or not isinstance(expr.func, Name):
            return None
        dotted = expr.func.dotted
        if not self._is_env_call(info, dotted, env):
            return None
        first = expr.args[0] if expr.args else None
        var = first.value if isinstance(first, Const) and isinstance(first.value, str) else None
        default_expr = expr.kwarg("default")
        resolved = self.resolver.resolve(info.name, dotted)
        helper = self._env_helper(resolved)
        if default_expr is None and helper is not None and len(helper.args) > 1:
            # `def get_env(name, default=None)`: the default is the second parameter, by position or name
            default_expr = expr.args[1] if len(expr.args) > 1 else expr.kwarg(helper.args[1])
        elif default_expr is None and resolved in ENV_GETTERS and len(expr.args) > 1:
            default_expr = expr.args[1]
        value = self._python(info, default_expr, env, 0) if default_expr is not None else UNKNOWN
        return SettingValue(value, info.path, expr.line, from_env=True, env_var=var)

    def _python(self, info: ModuleInfo, expr: Expr | None, env: Mapping[str, SettingValue], depth: int) -> object:
        if expr is None or depth > 30:
            return UNKNOWN
        if isinstance(expr, Const):
            return expr.value
        if isinstance(expr, Seq):
            items: list[object] = []
            for item in expr.items:
                if isinstance(item, Starred):
                    inner = self._python(info, item.value, env, depth + 1)
                    if not isinstance(inner, tuple):
                        return UNKNOWN
                    items.extend(inner)
                else:
                    items.append(self._python(info, item, env, depth + 1))
            return frozenset(items) if expr.kind == "set" and all(_hashable(i) for i in items) else tuple(items)
        if isinstance(expr, Map):
            result: dict[object, object] = {}
            for key, value in expr.items:
                if isinstance(key, Starred):
                    return UNKNOWN
                k = self._python(info, key, env, depth + 1)
                if not _hashable(k) or k is UNKNOWN:
                    return UNKNOWN
                result[k] = self._python(info, value, env, depth + 1)
            return result
        if isinstance(expr, Name):
            if expr.dotted in env:
                return env[expr.dotted].value
            return UNKNOWN
        if isinstance(expr, Bin) and expr.op == "Add":
            return _add(self._python(info, expr.left, env, depth + 1), self._python(info, expr.right, env, depth + 1))
        if isinstance(expr, Call) and isinstance(expr.func, Name):
            resolved = self.resolver.resolve(info.name, expr.func.dotted)
            if resolved in ENV_READER_CLASSES:
                return ENV_READER
        return UNKNOWN


def _list_added(items: tuple[object, ...], method: str, args: list[object]) -> object:
    """The list after `.append(x)`, `.extend([...])` or `.insert(i, x)`; UNKNOWN for anything else."""
    if method == "append" and len(args) == 1:
        return items + (args[0],)
    if method == "extend" and len(args) == 1 and isinstance(args[0], tuple):
        return items + args[0]
    if method == "insert" and len(args) == 2 and isinstance(args[0], int):
        listed = list(items)
        listed.insert(args[0], args[1])
        return tuple(listed)
    return UNKNOWN


def _calls_in(expr: Expr | None, depth: int = 0) -> list[str]:
    """Dotted names of the calls inside an expression that is computed, not a literal container:
    `int(os.environ.get("PORT"))`, `os.environ.get("HOSTS").split(",")`, `os.environ["X"] == "1"`."""
    if depth > 10:
        return []
    if isinstance(expr, Opaque):
        return list(expr.calls)
    if isinstance(expr, Call):
        names = [expr.func.dotted] if isinstance(expr.func, Name) else _calls_in(expr.func, depth + 1)
        for arg in (*expr.args, *(value for _, value in expr.kwargs)):
            names.extend(_calls_in(arg, depth + 1))
        return names
    if isinstance(expr, Attr):
        return _calls_in(expr.obj, depth + 1)
    if isinstance(expr, Bin):
        return _calls_in(expr.left, depth + 1) + _calls_in(expr.right, depth + 1)
    return []


def _items(setting: SettingValue) -> object:
    """A list setting's items known for certain: all of them, or the `at_least` part."""
    return setting.value if isinstance(setting.value, tuple) else setting.at_least


def _extends(before: object, after: object) -> bool:
    """`after` is `before` with items added (appended or inserted)."""
    if not isinstance(before, tuple) or not isinstance(after, tuple) or len(after) <= len(before):
        return False
    return all(item in after for item in before)


def _hashable(value: object) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _add(left: object, right: object) -> object:
    if isinstance(left, tuple) and isinstance(right, tuple):
        return left + right
    if isinstance(left, str) and isinstance(right, str):
        return left + right
    return UNKNOWN
