"""Django templates read statically: where Django would find a template by name, and what each
`{% for row in rows %}` loop reads on its rows (`{{ row.author.name }}`, `{% for t in row.tags.all %}`).

A small tokenizer of Django's template syntax (`{% %}`, `{{ }}`, `{# #}`), never Django itself:
`{% include %}` and `{% extends %}` are not followed, only the loops written in the template."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from djvet.index.deps import ALL, record, shared
from djvet.index.expr import UNKNOWN
from djvet.index.facts import ProjectIndex

T = TypeVar("T")
MAX_TEMPLATE_BYTES = 512 * 1024
# Django's lexer (django/template/base.py tag_re): a tag never spans lines.
TOKEN_RE = re.compile(r"({%.*?%}|{{.*?}}|{#.*?#})")
STRING_RE = re.compile(r"""_?\(?"(?:[^"\\]|\\.)*"\)?|_?\(?'(?:[^'\\]|\\.)*'\)?""")
BIT_RE = re.compile(r"""(?:[^\s"']+|"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')+""")
VARIABLE_RE = re.compile(r"^[A-Za-z_]\w*(?:\.\w+)*$")
# Filters after which the value is still shown as text (so `__str__` of a related row runs).
TEXT_FILTERS = frozenset(
    {"default", "default_if_none", "escape", "force_escape", "safe", "upper", "lower", "title", "capfirst",
     "truncatechars", "truncatewords", "striptags", "linebreaks", "linebreaksbr", "urlize", "slugify"}
)  # fmt: skip
# A loop over `rows|slice:":5"` still yields the rows.
ROW_FILTERS = frozenset({"slice"})
# `page_obj` and `rows.all` iterate the same rows as `rows`.
ROW_SUFFIXES = ((), ("all",), ("object_list",))
WITH_TAGS = {"with": "endwith", "blocktrans": "endblocktrans", "blocktranslate": "endblocktranslate"}
IF_TAGS = {"if": "endif", "ifchanged": "endifchanged", "ifequal": "endifequal", "ifnotequal": "endifnotequal"}
WITH_KEYWORDS = frozenset({"with", "count", "context", "trimmed", "asvar", "noop", "only"})


@dataclass(frozen=True, slots=True)
class LoopRead:
    """Attributes read on each row of a loop over a context variable."""

    root: str  # the context variable the outermost loop iterates ("books")
    loop: str  # that loop's tag as written: "{% for book in books %}"
    loop_line: int
    chain: tuple[str, ...]  # attributes read on the row: ("author", "name")
    line: int
    rendered: bool  # the value is shown as text: a related row's `__str__` runs


@dataclass(frozen=True, slots=True)
class _Binding:
    root: str
    loop: str
    loop_line: int
    chain: tuple[str, ...]
    depth: int  # where the outermost loop's frame is in the stack


@dataclass
class _Frame:
    end: str  # the tag that closes it: endfor | endwith | endif ...
    names: dict[str, _Binding | None]
    alternative: bool = False  # an {% if %} frame past its {% elif %} / {% else %}


def _strip_strings(text: str) -> str:
    return STRING_RE.sub('""', text)


def _split_filters(expression: str) -> tuple[str, list[tuple[str, str]]]:
    """`a.b|default:c|upper` -> ("a.b", [("default", "c"), ("upper", "")]); strings already stripped."""
    parts = expression.split("|")
    filters = []
    for part in parts[1:]:
        name, _, arg = part.partition(":")
        filters.append((name.strip(), arg.strip()))
    return parts[0].strip(), filters


class _LoopReader:
    def __init__(self) -> None:
        self.frames: list[_Frame] = []
        self.shadowed: set[str] = set()  # context names rebound at the top level (`{% ... as x %}`)
        self.reads: list[LoopRead] = []

    # -- names ------------------------------------------------------------------------------------

    def lookup(self, name: str) -> _Binding | None | object:
        """The loop binding of `name`, None when it is bound to something else, UNKNOWN when it is
        a plain context variable."""
        for frame in reversed(self.frames):
            if name in frame.names:
                return frame.names[name]
        return None if name in self.shadowed else UNKNOWN

    def bind(self, name: str, value: _Binding | None) -> None:
        if self.frames:
            self.frames[-1].names[name] = value
        elif value is None:
            self.shadowed.add(name)

    def binding_of(self, variable: str) -> tuple[_Binding, tuple[str, ...]] | None:
        if not VARIABLE_RE.match(variable):
            return None
        head, *rest = variable.split(".")
        found = self.lookup(head)
        if isinstance(found, _Binding):
            return found, tuple(rest)
        return None

    def read(self, variable: str, line: int, rendered: bool) -> _Binding | None:
        """Record a read of `variable` if it starts at a loop row; the binding it reaches."""
        found = self.binding_of(variable)
        if found is None:
            return None
        binding, rest = found
        chain = binding.chain + rest
        # `{% if row.event %}...{% else %}{{ row.organizer }}{% endif %}`: the other branch often runs
        # for none of the rows (the views filter on the first), so it is not counted
        if not any(f.alternative for f in self.frames[binding.depth + 1 :]):
            self.reads.append(LoopRead(binding.root, binding.loop, binding.loop_line, chain, line, rendered))
        return _Binding(binding.root, binding.loop, binding.loop_line, chain, binding.depth)

    def expression(self, expression: str, line: int, rendered: bool) -> _Binding | None:
        """A filter expression (`a.b|default:c.d`): its variables are read; returns the binding the
        main variable reaches when no filter changes what it is."""
        main, filters = _split_filters(_strip_strings(expression))
        for _, arg in filters:
            if arg:
                self.read(arg, line, False)
        shown = rendered and all(name in TEXT_FILTERS for name, _ in filters)
        reached = self.read(main, line, shown)
        return reached if not filters else None

    # -- tags -------------------------------------------------------------------------------------

    def tag(self, contents: str, line: int, source: str) -> None:
        bits = BIT_RE.findall(contents)
        if not bits:
            return
        name = bits[0]
        if name == "for":
            self.for_tag(bits, line, source)
        elif name == "empty":
            if self.frames and self.frames[-1].end == "endfor":
                self.frames[-1].names = dict.fromkeys(self.frames[-1].names)
        elif name in WITH_TAGS:
            self.with_tag(bits[1:], line, WITH_TAGS[name])
        elif name in IF_TAGS:
            self.generic_tag(bits[1:], line)
            self.frames.append(_Frame(IF_TAGS[name], {}))
        elif name in ("elif", "else"):
            if self.frames and self.frames[-1].end in IF_TAGS.values():
                self.frames[-1].alternative = True
            self.generic_tag(bits[1:], line)
        elif name.startswith("end"):
            self.end_tag(name)
        else:
            self.generic_tag(bits[1:], line)

    def for_tag(self, bits: list[str], line: int, source: str) -> None:
        reversed_ = bits[-1] == "reversed"
        in_index = -3 if reversed_ else -2
        if len(bits) < 4 or bits[in_index] != "in":
            self.frames.append(_Frame("endfor", {}))
            return
        names = [n for n in re.split(r" *, *", " ".join(bits[1:in_index])) if n]
        sequence = bits[in_index + 1]
        main, filters = _split_filters(_strip_strings(sequence))
        rows = None
        if all(f in ROW_FILTERS for f, _ in filters) and VARIABLE_RE.match(main):
            rows = self.rows_of(main, line, source)
        for _, arg in filters:
            if arg:
                self.read(arg, line, False)
        frame = _Frame("endfor", {})
        for loop_name in names:
            frame.names[loop_name] = rows if len(names) == 1 else None
        self.frames.append(frame)

    def rows_of(self, variable: str, line: int, source: str) -> _Binding | None:
        """What a loop over `variable` iterates: rows of a context variable, or rows of a to-many
        relation of an outer loop's row (`row.tags.all`)."""
        head, *rest = variable.split(".")
        found = self.lookup(head)
        if isinstance(found, _Binding):
            return self.read(variable, line, False)
        if found is UNKNOWN and tuple(rest) in ROW_SUFFIXES:
            return _Binding(head, source, line, (), len(self.frames))
        return None

    def with_tag(self, bits: list[str], line: int, end: str) -> None:
        frame = _Frame(end, {})
        index = 0
        while index < len(bits):
            bit = bits[index]
            if bit in WITH_KEYWORDS:
                index += 1
            elif "=" in bit:
                target, _, value = bit.partition("=")
                frame.names[target] = self.expression(value, line, False)
                index += 1
            elif index + 2 < len(bits) and bits[index + 1] == "as":
                frame.names[bits[index + 2]] = self.expression(bit, line, False)
                index += 3
            else:
                self.expression(bit, line, False)
                index += 1
        self.frames.append(frame)

    def end_tag(self, name: str) -> None:
        for position in range(len(self.frames) - 1, -1, -1):
            if self.frames[position].end == name:
                del self.frames[position:]
                return

    def generic_tag(self, bits: list[str], line: int) -> None:
        for position, bit in enumerate(bits):
            if position and bits[position - 1] == "as":
                self.bind(bit, None)  # `{% url ... as x %}`, `{% regroup ... as x %}`: x is something else
                continue
            value = bit.partition("=")[2] if "=" in bit and "==" not in bit else bit
            self.expression(value, line, False)


def template_tokens(text: str) -> Iterator[tuple[str, str, int]]:
    """(token, contents, line) for each `{{ }}` and `{% %}` outside `{# #}`, `{% comment %}` and
    `{% verbatim %}` (those tags themselves are not yielded)."""
    line = 1
    position = 0
    skip_until: str | None = None  # inside {% comment %} or {% verbatim %}
    for match in TOKEN_RE.finditer(text):
        line += text.count("\n", position, match.start())
        position = match.start()
        token = match.group(0)
        contents = token[2:-2].strip()
        if skip_until is not None:
            if token.startswith("{%") and contents == skip_until:
                skip_until = None
            continue
        if token.startswith("{#"):
            continue
        first = contents.split(" ", 1)[0] if token.startswith("{%") else ""
        if first == "comment":
            skip_until = "endcomment"
        elif first == "verbatim":
            skip_until = "end" + contents
        else:
            yield token, contents, line


def loop_reads(text: str) -> tuple[LoopRead, ...]:
    """Every attribute read on the rows of every `{% for %}` loop over a context variable."""
    reader = _LoopReader()
    for token, contents, line in template_tokens(text):
        if token.startswith("{{"):
            reader.expression(contents, line, True)
        else:
            reader.tag(contents, line, token)
    return tuple(reader.reads)


# ---- finding a template by name, the way Django's loaders would -----------------------------------

TemplateStamp = tuple[str, int, int, int, int]  # path, mtime, size, ctime, inode
_CACHE: dict[TemplateStamp, tuple[LoopRead, ...]] = {}


def template_loop_reads(path: Path) -> tuple[LoopRead, ...] | None:
    """The loop reads of a template file (cached by modification time), None when unreadable."""
    return _parsed(path, _CACHE, loop_reads)


def _parsed(path: Path, cache: dict[TemplateStamp, T], parse: Callable[[str], T]) -> T | None:
    """`parse` of a template file's text, cached by path and stat (an editor process lives long: an
    edit that keeps the size and the modification time still changes the inode's ctime, or the
    inode when the file is replaced); None when unreadable."""
    try:
        stat = path.stat()
        if stat.st_size > MAX_TEMPLATE_BYTES:
            return None
        key = (str(path), stat.st_mtime_ns, stat.st_size, stat.st_ctime_ns, stat.st_ino)
        if key not in cache:
            if len(cache) > 512:
                cache.clear()
            cache[key] = parse(path.read_text(encoding="utf-8", errors="replace"))
        return cache[key]
    except OSError:
        return None


def _django_backends(index: ProjectIndex) -> list[dict[str, object]] | None:
    """The DjangoTemplates entries of TEMPLATES; None when the setting cannot be read."""
    if index.settings is None:
        return None
    value = index.settings.get("TEMPLATES")
    if value is None:
        return []
    if not isinstance(value, tuple):
        return None
    backends = []
    for backend in value:
        if not isinstance(backend, dict):
            return None
        name = backend.get("BACKEND")
        if isinstance(name, str) and not name.endswith("DjangoTemplates"):
            continue  # Jinja2 and other engines use another syntax
        backends.append(backend)
    return backends


def _search_dirs(index: ProjectIndex) -> tuple[tuple[Path, ...], int]:
    """Folders to look for templates in, in Django's order, and how many of the first ones are
    literal `DIRS` entries (searched before any app's folder)."""
    return shared("template-dirs", index, _collect_search_dirs)


def _collect_search_dirs(index: ProjectIndex) -> tuple[tuple[Path, ...], int]:
    root = Path(index.root)
    backends = _django_backends(index)
    dirs: list[Path] = []
    certain = backends is not None
    for backend in backends or ():
        entries = backend.get("DIRS", ())
        if not isinstance(entries, tuple):
            certain = False
            continue
        for entry in entries:
            if isinstance(entry, str):
                dirs.append(root / entry)
            else:
                certain = False
    literal = len(dirs) if certain else 0
    if not certain:
        dirs.append(root / "templates")  # `BASE_DIR / "templates"`, the usual unreadable entry
    packages = sorted({os.path.dirname(m.path) for m in index.modules.values() if m.is_package})
    dirs.extend(root / package / "templates" for package in packages)
    return (tuple(dict.fromkeys(dirs)), literal)


def find_template(index: ProjectIndex, name: str) -> Path | None:
    """The file Django would load for template `name`, or None when djvet cannot tell which."""
    if not name or name.startswith("/") or ".." in name.split("/"):
        return None
    record("templates", ALL)  # the answer depends on which files the template folders hold
    dirs, literal = _search_dirs(index)
    found = [(position, d / name) for position, d in enumerate(dirs) if (d / name).is_file()]
    if not found:
        return None
    texts = set()
    for _, path in found:
        try:
            texts.add(path.read_bytes())
        except OSError:
            return None
    if len(texts) == 1:
        return found[0][1]
    # Different files by that name: a literal DIRS entry wins, app folders' order is not known.
    position, path = found[0]
    return path if position < literal else None


def template_relpath(index: ProjectIndex, path: Path) -> str:
    """A template's path relative to the project root (posix), as findings name it."""
    return Path(path).relative_to(index.root).as_posix()


def template_dirs(index: ProjectIndex) -> tuple[Path, ...]:
    """Every folder a template may be looked up in (the cache fingerprints their files)."""
    return _search_dirs(index)[0]


# ---- what a template shows without escaping ------------------------------------------------------

# Filters after which a value shown with autoescape off is still the text it was (not a number,
# a date or an escaped string).
PASSING_FILTERS = frozenset(
    {"default", "default_if_none", "upper", "lower", "title", "capfirst", "truncatechars", "truncatewords",
     "linebreaks", "linebreaksbr", "safe", "safeseq", "cut", "ljust", "rjust", "center", "first", "last",
     "join", "urlize", "truncatechars_html", "truncatewords_html", "wordwrap", "striptags", "slice"}
)  # fmt: skip
ESCAPING_FILTERS = frozenset({"escape", "force_escape", "escapejs", "urlencode", "iriencode", "json_script"})


@dataclass(frozen=True, slots=True)
class UnescapedOutput:
    """A context variable a template shows without escaping it."""

    root: str  # the context variable ("bio"); for a loop row, the variable the loop iterates
    shown: str  # the tag as written: "{{ profile.bio|safe }}"
    how: str  # "|safe" | "{% autoescape off %}"
    line: int


def unescaped_outputs(text: str) -> tuple[UnescapedOutput, ...]:
    """Every `{{ value|safe }}` (or `|safeseq`), and every `{{ value }}` inside
    `{% autoescape off %}`, with the context variable the value starts from."""
    found: list[UnescapedOutput] = []
    autoescape: list[bool] = []
    frames: list[tuple[str, dict[str, str | None]]] = []  # (end tag, name -> context root or None)
    for token, contents, line in template_tokens(text):
        if token.startswith("{{"):
            output = _unescaped(contents, token, line, bool(autoescape) and not autoescape[-1], frames)
            if output is not None:
                found.append(output)
            continue
        bits = BIT_RE.findall(contents)
        name = bits[0] if bits else ""
        if name == "autoescape" and len(bits) > 1:
            autoescape.append(bits[1] == "on")
        elif name == "endautoescape" and autoescape:
            autoescape.pop()
        elif name == "for" and "in" in bits:
            where = bits.index("in")
            sequence = bits[where + 1] if where + 1 < len(bits) else ""
            root = _root(sequence.split("|")[0], frames)
            frames.append(("endfor", {n: root for n in re.split(r" *, *", " ".join(bits[1:where])) if n}))
        elif name in WITH_TAGS:
            frames.append((WITH_TAGS[name], {b.partition("=")[0]: None for b in bits[1:] if "=" in b}))
        elif name.startswith("end"):
            for at in range(len(frames) - 1, -1, -1):
                if frames[at][0] == name:
                    del frames[at:]
                    break
    return tuple(found)


def _root(variable: str, frames: list[tuple[str, dict[str, str | None]]]) -> str | None:
    """The context variable `variable` starts from, through the loops around it."""
    variable = variable.strip()
    if not VARIABLE_RE.match(variable):
        return None
    head = variable.split(".")[0]
    for _, names in reversed(frames):
        if head in names:
            return names[head]
    return head


def _unescaped(contents: str, token: str, line: int, autoescape_off: bool, frames: list[tuple[str, dict[str, str | None]]]) -> UnescapedOutput | None:
    main, filters = _split_filters(_strip_strings(contents))
    names = [n for n, _ in filters]
    marked = None
    escaped = False
    for name in names:
        if name in ("safe", "safeseq"):
            marked = marked or name
        elif name == "force_escape" or (name in ESCAPING_FILTERS and marked is None):
            escaped = True  # `escape` after `|safe` does nothing: it escapes only unsafe strings
    if marked is not None and not escaped:
        how = f"|{marked}"
    elif autoescape_off and not escaped and all(n in PASSING_FILTERS for n in names):
        how = "{% autoescape off %}"
    else:
        return None
    root = _root(main, frames)
    return UnescapedOutput(root, token, how, line) if root else None


_OUTPUTS: dict[TemplateStamp, tuple[UnescapedOutput, ...]] = {}


def template_unescaped_outputs(path: Path) -> tuple[UnescapedOutput, ...] | None:
    """The unescaped outputs of a template file (cached by modification time), None when unreadable."""
    return _parsed(path, _OUTPUTS, unescaped_outputs)
