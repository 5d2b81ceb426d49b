"""The rule catalog: one YAML file a rule (rules/DJVnnn.yaml), the only place rule text lives."""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from djvet.finding import CONFIDENCES, SEVERITIES

if TYPE_CHECKING:
    from djvet.cache import Cache

CODE_RE = re.compile(r"^DJV[1-8]\d\d$")
NAME_RE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
FAMILIES = {
    "1": "queries",
    "2": "access control",
    "3": "serializers and forms",
    "4": "injection and output safety",
    "5": "settings and deployment",
    "6": "data modeling and migrations",
    "7": "async and background tasks",
    "8": "templates",
}
TOP_KEYS = ("code", "name", "summary", "message", "severity", "confidence", "category", "default", "docs", "fix")
DOCS_KEYS = ("what", "why", "example", "use_instead", "references")
FIX_KEYS = ("safety", "title")
FIX_SAFETIES = ("safe", "unsafe")


class CatalogError(Exception):
    """A rule YAML file is malformed; the message names the file and the key."""


@dataclass(frozen=True, slots=True)
class RuleDocs:
    what: str
    why: str
    example: str
    use_instead: str
    references: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RuleFix:
    safety: str
    title: str


@dataclass(frozen=True, slots=True)
class RuleMeta:
    code: str
    name: str
    summary: str
    message: str
    severity: str
    confidence: str
    category: str
    default: bool
    docs: RuleDocs
    fix: RuleFix | None

    @property
    def family(self) -> str:
        return self.code[3]

    @property
    def message_fields(self) -> frozenset[str]:
        return frozenset(f for _, f, _, _ in string.Formatter().parse(self.message) if f)


def catalog_dir() -> Path:
    """Installed wheels carry the YAML as package data; a source checkout reads rules/."""
    packaged = Path(__file__).with_name("catalog")
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "rules"


def _require_keys(where: str, data: object, keys: tuple[str, ...]) -> dict[str, object]:
    if not isinstance(data, dict):
        raise CatalogError(f"{where}: expected a mapping with keys {', '.join(keys)}")
    for key in data:
        if key not in keys:
            raise CatalogError(f"{where}: unknown key '{key}'; expected one of {', '.join(keys)}")
    for key in keys:
        if key not in data:
            raise CatalogError(f"{where}: missing key '{key}'")
    return data


def _text(where: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise CatalogError(f"{where}: expected a non-empty string")
    return value


def _choice(where: str, value: object, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise CatalogError(f"{where}: expected one of {', '.join(choices)}; got {value!r}")
    return str(value)


def parse_rule(path: Path, data: object) -> RuleMeta:
    where = path.name
    top = _require_keys(where, data, TOP_KEYS)
    code = _text(f"{where}: code", top["code"])
    if not CODE_RE.match(code) or code != path.stem:
        raise CatalogError(f"{where}: code: expected DJVnnn matching the file name; got {code!r}")
    name = _text(f"{where}: name", top["name"])
    if not NAME_RE.match(name):
        raise CatalogError(f"{where}: name: expected kebab-case; got {name!r}")
    if not isinstance(top["default"], bool):
        raise CatalogError(f"{where}: default: expected true or false; got {top['default']!r}")
    docs = _require_keys(f"{where}: docs", top["docs"], DOCS_KEYS)
    refs = docs["references"]
    if not isinstance(refs, list) or not all(isinstance(r, str) for r in refs):
        raise CatalogError(f"{where}: docs: references: expected a list of strings")
    fix = None
    if top["fix"] is not None:
        fix_data = _require_keys(f"{where}: fix", top["fix"], FIX_KEYS)
        fix = RuleFix(
            safety=_choice(f"{where}: fix: safety", fix_data["safety"], FIX_SAFETIES),
            title=_text(f"{where}: fix: title", fix_data["title"]),
        )
    return RuleMeta(
        code=code,
        name=name,
        summary=_text(f"{where}: summary", top["summary"]),
        message=_text(f"{where}: message", top["message"]),
        severity=_choice(f"{where}: severity", top["severity"], SEVERITIES),
        confidence=_choice(f"{where}: confidence", top["confidence"], CONFIDENCES),
        category=_text(f"{where}: category", top["category"]),
        default=top["default"],
        docs=RuleDocs(
            what=_text(f"{where}: docs: what", docs["what"]),
            why=_text(f"{where}: docs: why", docs["why"]),
            example=_text(f"{where}: docs: example", docs["example"]),
            use_instead=_text(f"{where}: docs: use_instead", docs["use_instead"]),
            references=tuple(refs),
        ),
        fix=fix,
    )


def load_catalog(directory: Path | None = None) -> dict[str, RuleMeta]:
    directory = directory or catalog_dir()
    rules: dict[str, RuleMeta] = {}
    names: dict[str, str] = {}
    import yaml  # here, not at the top: a warm `djvet check` never parses the catalog

    # libyaml's safe loader when PyYAML was built with it (its wheels are): 8x faster than the
    # pure-Python one, which took a sixth of a cold django-oscar run
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    for path in sorted(directory.glob("*.yaml")):
        try:
            data = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise CatalogError(f"{path.name}: cannot read YAML: {exc}".splitlines()[0]) from None
        meta = parse_rule(path, data)
        if meta.name in names:
            raise CatalogError(f"{path.name}: name: '{meta.name}' is already used by {names[meta.name]}")
        names[meta.name] = meta.code
        rules[meta.code] = meta
    return rules


_LOADED: list[dict[str, RuleMeta]] = []  # the parsed catalog, once per process


def default_catalog() -> dict[str, RuleMeta]:
    if not _LOADED:
        _LOADED.append(load_catalog())
    return _LOADED[0]


def cached_catalog(cache: Cache | None) -> dict[str, RuleMeta]:
    """default_catalog, read from the project's cache when its entry was written for these YAML
    bytes and this djvet code (parsing the YAML is a quarter of a pre-commit run), else parsed
    and written there."""
    if _LOADED or cache is None:
        return default_catalog()
    from djvet.cache import code_stamp, digest
    from djvet.runner import catalog_fingerprint

    key = digest("catalog", code_stamp(), catalog_fingerprint())
    hit, value = cache.get("catalog", "catalog", key)
    if hit and isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, RuleMeta) for k, v in value.items()):
        _LOADED.append(value)
        return value
    catalog = default_catalog()
    cache.put("catalog", "catalog", key, catalog)
    return catalog
