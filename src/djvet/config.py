"""`[tool.djvet]` in the checked project's pyproject.toml, merged with command-line options."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from djvet.catalog import RuleMeta

FAIL_ON = ("error", "warning", "info", "never")
KEYS = (
    "select",
    "extend-select",
    "ignore",
    "exclude",
    "per-file-ignores",
    "fail-on",
    "settings-module",
    "sensitive-fields",
    "not-sensitive-fields",
    "jobs",
)
# a model field name, or an fnmatch pattern over field names (`*_pin`)
FIELD_PATTERN_RE = re.compile(r"^[A-Za-z0-9_*?\[\]!-]+$")


class ConfigError(Exception):
    """Bad configuration or options; the message says where, what, and what was expected."""


@dataclass(frozen=True)
class Config:
    select: tuple[str, ...] | None = None  # None: the rules on by default
    extend_select: tuple[str, ...] = ()  # added to `select` (or to the default rules): rules off by default
    ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    per_file_ignores: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # not in repr, so not in cache keys: it changes the exit code only
    fail_on: str = field(default="warning", repr=False)
    settings_module: str | None = None
    # DJV3xx: field names (or fnmatch patterns) to treat as sensitive, or never as sensitive
    sensitive_fields: tuple[str, ...] = ()
    not_sensitive_fields: tuple[str, ...] = ()
    source: str | None = None  # the pyproject.toml it came from
    # worker processes for `djvet check`: a number or "auto"; not in repr, so not in cache keys
    # (the output is the same for any number)
    jobs: int | str | None = field(default=None, repr=False, compare=False)

    def merged(self, **overrides: object) -> Config:
        """Command-line options: select and fail-on replace, ignore and exclude extend."""
        changes: dict[str, object] = {}
        if overrides.get("select") is not None:
            changes["select"] = tuple(overrides["select"])  # type: ignore[arg-type]
        if overrides.get("ignore"):
            changes["ignore"] = self.ignore + tuple(overrides["ignore"])  # type: ignore[arg-type]
        if overrides.get("exclude"):
            changes["exclude"] = self.exclude + tuple(overrides["exclude"])  # type: ignore[arg-type]
        for key in ("fail_on", "settings_module"):
            if overrides.get(key) is not None:
                changes[key] = overrides[key]
        return replace(self, **changes)  # type: ignore[arg-type]


def _strings(where: str, value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: expected a list of strings; got {value!r}")
    return tuple(value)


def _field_patterns(where: str, value: object) -> tuple[str, ...]:
    names = _strings(where, value)
    for name in names:
        if not FIELD_PATTERN_RE.match(name):
            raise ConfigError(f"{where}: expected field names or patterns like 'pin_code' or '*_pin'; got {name!r}")
    return names


def parse_config(data: Mapping[str, object], where: str) -> Config:
    for key in data:
        if key not in KEYS:
            raise ConfigError(f"{where}: unknown key {_quoted_key(key)}; expected one of {', '.join(KEYS)}")
    config = Config()
    if "select" in data:
        config = replace(config, select=_strings(f"{where} select", data["select"]))
    if "extend-select" in data:
        from djvet.catalog import default_catalog

        extend = _strings(f"{where} extend-select", data["extend-select"])
        validate_selectors(extend, default_catalog(), f"{where} extend-select")
        config = replace(config, extend_select=extend)
    if "ignore" in data:
        config = replace(config, ignore=_strings(f"{where} ignore", data["ignore"]))
    if "exclude" in data:
        config = replace(config, exclude=_strings(f"{where} exclude", data["exclude"]))
    if "per-file-ignores" in data:
        table = data["per-file-ignores"]
        if not isinstance(table, dict):
            raise ConfigError(f"{where} per-file-ignores: expected a table of glob = [codes]; got {table!r}")
        config = replace(
            config,
            per_file_ignores={k: _strings(f"{where} per-file-ignores.{k}", v) for k, v in table.items()},
        )
    if "fail-on" in data:
        value = data["fail-on"]
        if value not in FAIL_ON:
            raise ConfigError(f"{where} fail-on: expected one of {', '.join(FAIL_ON)}; got {value!r}")
        config = replace(config, fail_on=str(value))
    if "settings-module" in data:
        value = data["settings-module"]
        if not isinstance(value, str) or not value:
            raise ConfigError(f"{where} settings-module: expected a dotted module name; got {value!r}")
        config = replace(config, settings_module=value)
    if "sensitive-fields" in data:
        config = replace(config, sensitive_fields=_field_patterns(f"{where} sensitive-fields", data["sensitive-fields"]))
    if "not-sensitive-fields" in data:
        config = replace(
            config, not_sensitive_fields=_field_patterns(f"{where} not-sensitive-fields", data["not-sensitive-fields"])
        )
    if "jobs" in data:
        value = data["jobs"]
        if not (value == "auto" or (isinstance(value, int) and not isinstance(value, bool) and value >= 1)):
            raise ConfigError(f"{where} jobs: expected a number of processes (1 or more) or \"auto\"; got {value!r}")
        config = replace(config, jobs=value)
    return config


def _djvet_table(path: Path) -> object | None:
    """The value of [tool.djvet] in a pyproject.toml (however the TOML spells it), None without one."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{_shown(path)}: cannot read: {exc}") from None
    if "djvet" not in text:  # cheap gate: most pyproject.toml files never mention djvet
        return None
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{_shown(path)}: invalid TOML: {exc}") from None
    tool = data.get("tool")
    return tool.get("djvet") if isinstance(tool, dict) else None


def find_config_file(root: Path) -> Path | None:
    """The nearest pyproject.toml with a [tool.djvet] table, from root up to the repository top."""
    for folder in (root, *root.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file() and _djvet_table(candidate) is not None:
            return candidate
        if (folder / ".git").exists():
            return None
    return None


def load_config(root: Path, display: str | None = None) -> Config:
    path = find_config_file(root)
    if path is None:
        return Config()
    # `display` names root/pyproject.toml; the table may come from a pyproject.toml further up
    name = display if display is not None and path == root / "pyproject.toml" else _shown(path)
    table = _djvet_table(path)
    if not isinstance(table, dict):
        raise ConfigError(f"{name}: [tool.djvet]: expected a table")
    return replace(parse_config(table, f"{name}: [tool.djvet]"), source=name)


def _shown(path: Path) -> str:
    """Relative to the current directory, as every other path djvet prints."""
    try:
        return Path(os.path.relpath(path)).as_posix()
    except ValueError:  # another drive on Windows
        return path.as_posix()


def _matches(code: str, selector: str) -> bool:
    return selector == "ALL" or code.startswith(selector.upper())


def validate_selectors(selectors: tuple[str, ...], catalog: Mapping[str, RuleMeta], where: str) -> None:
    for selector in selectors:
        if not any(_matches(code, selector) for code in catalog):
            raise ConfigError(f"{where}: '{selector}' matches no rule; expected a code like DJV301 or a prefix like DJV3")


def enabled_codes(config: Config, catalog: Mapping[str, RuleMeta]) -> list[str]:
    codes = []
    for code, meta in sorted(catalog.items()):
        selected = meta.default if config.select is None else any(_matches(code, s) for s in config.select)
        selected = selected or any(_matches(code, s) for s in config.extend_select)
        if selected and not any(_matches(code, s) for s in config.ignore):
            codes.append(code)
    return codes


def ignored_for_path(config: Config, relpath: str, code: str) -> bool:
    from djvet.index.discover import matches_any

    return any(
        matches_any(relpath, (pattern,)) and any(_matches(code, s) for s in codes)
        for pattern, codes in config.per_file_ignores.items()
    )


def _quoted_key(key: str) -> str:
    """A key as the error line shows it: quoted, control characters escaped so the error stays one line."""
    escaped = "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in key)
    return f"'{escaped}'"
