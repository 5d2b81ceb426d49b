"""Generated and deformed Python never knocks djvet over: every run ends with findings or `errors`
entries (a file Python refuses is an error entry, a file Python accepts is analyzed), no internal
error, no traceback, within a time bound. Complements test_robustness.py (fixed bad files, and
random edits of real files) with odd encodings, generated Django code, deep nesting and long lines.

DJVET_FUZZ_EXAMPLES=2000 runs a longer local hunt (the examples are otherwise kept small for CI)."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tokenize
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from djvet.finding import Finding
from djvet.runner import Report, check_paths
from test_robustness import BOOKSHOP, DEEP, RULE_FIXTURES, _compiles, checked_files, python_says

REPO = Path(__file__).resolve().parents[1]
TIME_BOUND = 30.0  # seconds for one check of a tiny project, on a loaded 2-core machine
EXAMPLES = int(os.environ.get("DJVET_FUZZ_EXAMPLES", "0"))
MODELS = """\
from django.conf import settings
from django.db import models


class Author(models.Model):
    name = models.CharField(max_length=100)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)


class Tag(models.Model):
    name = models.CharField(max_length=20)


class Book(models.Model):
    title = models.CharField(max_length=200)
    price = models.IntegerField()
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="books")
    tags = models.ManyToManyField(Tag)
"""


def fuzz_settings(examples: int) -> settings:
    return settings(
        max_examples=EXAMPLES or examples,
        deadline=None,
        derandomize=not EXAMPLES,  # reproducible in CI; a local hunt explores
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
        database=None,
    )


class Sandbox:
    """A tiny project (a models module and the rule fixtures' templates) that one file is dropped into."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.files: set[Path] = set()  # the files of the last check
        (root / "app").mkdir(parents=True)
        (root / "pyproject.toml").write_text("[tool.djvet]\n", encoding="utf-8")
        (root / "app" / "__init__.py").write_text("", encoding="utf-8")
        (root / "app" / "models.py").write_text(MODELS, encoding="utf-8")
        shutil.copytree(RULE_FIXTURES / "templates", root / "templates")

    def check(self, rel: str, data: bytes, cache: bool = False) -> tuple[Report, Path]:
        target = self.root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        original = target.read_bytes() if target.exists() else None
        target.write_bytes(data)
        try:
            started = time.perf_counter()
            report = check_paths([self.root], {"select": ["ALL"]}, cache=cache)
            seconds = time.perf_counter() - started
            self.files = checked_files(self.root)
        finally:
            if original is None:
                target.unlink()
            else:
                target.write_bytes(original)
        assert seconds < TIME_BOUND, f"{seconds:.1f} s for {rel}"
        return report, target


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    yield Sandbox(tmp_path_factory.mktemp("sandbox") / "project")


def assert_findings_or_errors(report: Report, sandbox: Sandbox, target: Path, data: bytes, also: dict[Path, bytes] | None = None) -> None:
    """Every file is analyzed or is one error entry; only the deformed files (target, and those in
    `also`) may be errors, each exactly when Python refuses it (or it is nested too deeply)."""
    files = sandbox.files
    assert report.files == len(files)
    errors: dict[Path, str] = {}
    for error in report.errors:
        assert not error.internal, f"{error.path}: {error.message}"
        path = Path(error.path).resolve()
        assert path not in errors, f"two errors for {error.path}"
        errors[path] = error.message
    finding_files = {Path(f.path).resolve() for f in report.findings}
    assert finding_files <= files
    assert not (set(errors) & finding_files)
    deformed = {path.resolve(): content for path, content in {target: data, **(also or {})}.items()}
    assert set(errors) <= set(deformed), errors
    for path, content in deformed.items():
        if path in errors:
            message = errors[path]
            if _compiles(content):  # CPython 3.11 lets invalid UTF-8 pass in a comment; djvet holds the whole file to its encoding
                assert message == DEEP or (message.startswith("cannot decode") and not _decodes(content)), message
        else:
            assert _compiles(content), f"{path.name}: a file Python refuses was analyzed without an error"


def _decodes(data: bytes) -> bool:
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        data.decode(encoding)
    except (SyntaxError, UnicodeDecodeError, LookupError):
        return False
    return True


def facts(report: Report) -> tuple[list[tuple[object, ...]], list[tuple[str, str]]]:
    fields = Finding.__dataclass_fields__
    return [tuple(getattr(f, name) for name in fields) for f in report.findings], [(e.path, e.message) for e in report.errors]


# --- odd encodings of real files ---------------------------------------------------------------

SEED_FILES = sorted(
    [p for p in RULE_FIXTURES.glob("DJV*.py") if not p.name.endswith(".fixed.py")]
    + [p for p in checked_files(BOOKSHOP) if p.stat().st_size > 200]
)
COOKIES = [
    "utf-8", "UTF8", "utf_8", "utf-8-sig", "latin-1", "iso-8859-15", "cp1252", "ascii", "utf-16", "utf-32",
    "rot13", "hex", "base64", "unicode_escape", "klingon", "", "utf-8 ", "latin-1 -*- foo",
]  # fmt: skip
BAD_BYTES = [b"\x00", b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xef\xbb\xbf", b"\x0c", b"\r", b"\x1a", b"\\", b"\xe9", b"\x80\x80"]
POSITION = st.integers(min_value=0, max_value=10**6)
ENCODING_STEP = st.one_of(
    st.tuples(st.just("bom"), st.none()),
    st.tuples(st.just("cookie"), st.tuples(st.sampled_from(COOKIES), st.booleans(), st.sampled_from(["# -*- coding: {} -*-", "# vim: set fileencoding={} :", "#coding={}"]))),
    st.tuples(st.just("newlines"), st.sampled_from([b"\r\n", b"\r", b"\n\r", b"\x0c\n", b" \\\n"])),
    st.tuples(st.just("mixed-newlines"), POSITION),
    st.tuples(st.just("bytes"), st.tuples(POSITION, st.sampled_from(BAD_BYTES))),
    st.tuples(st.just("strip-final-newline"), st.none()),
    st.tuples(st.just("tabs"), st.none()),
)


def deform(data: bytes, steps: list[tuple[str, object]]) -> bytes:
    for kind, arg in steps:
        if kind == "bom":
            data = b"\xef\xbb\xbf" + data
        elif kind == "cookie":
            name, second_line, form = arg  # type: ignore[misc]
            cookie = form.format(name).encode() + b"\n"
            if name in ("latin-1", "iso-8859-15", "cp1252"):  # the file's text in the cookie's codec, where it fits
                data = data.decode("utf-8", "replace").encode(name.split()[0], "replace")
            data = b"#!/usr/bin/env python\n" + cookie + data if second_line else cookie + data
        elif kind == "newlines":
            data = data.replace(b"\n", arg)  # type: ignore[arg-type]
        elif kind == "mixed-newlines":
            rows = data.split(b"\n")
            data = b"".join(row + (b"\r\n", b"\n", b"\r")[(i + int(arg)) % 3] for i, row in enumerate(rows))  # type: ignore[call-overload]
        elif kind == "bytes":
            position, chunk = arg  # type: ignore[misc]
            at = position % (len(data) + 1)
            data = data[:at] + chunk + data[at:]
        elif kind == "strip-final-newline":
            data = data.rstrip(b"\r\n")
        elif kind == "tabs":
            data = data.replace(b"    ", b"\t")
    return data


@fuzz_settings(50)
@given(seed=st.sampled_from(SEED_FILES), steps=st.lists(ENCODING_STEP, min_size=1, max_size=4))
def test_odd_encodings_of_real_files_are_findings_or_errors(sandbox, seed, steps):
    data = deform(seed.read_bytes(), steps)
    report, target = sandbox.check(f"app/{seed.name}", data)
    assert_findings_or_errors(report, sandbox, target, data)


@pytest.mark.parametrize("seed", [RULE_FIXTURES / "DJV101.py", RULE_FIXTURES / "DJV301.py", BOOKSHOP / "catalog" / "views.py"], ids=lambda p: p.name)
@pytest.mark.parametrize(
    "steps",
    [
        [("bom", None)],
        [("newlines", b"\r\n")],
        [("newlines", b"\r")],
        [("bom", None), ("newlines", b"\r")],
        [("cookie", ("latin-1", False, "# -*- coding: {} -*-"))],
        [("cookie", ("utf-8", True, "# vim: set fileencoding={} :")), ("newlines", b"\r\n")],
    ],
    ids=["bom", "crlf", "cr", "bom-cr", "latin-1", "cookie-on-line-2-crlf"],
)
def test_an_encoding_python_accepts_gives_the_same_findings_as_utf8(sandbox, seed, steps):
    """Same code, other bytes: the same findings on the same lines (a cookie line moves them down)."""
    plain, _ = sandbox.check(f"app/{seed.name}", seed.read_bytes())
    data = deform(seed.read_bytes(), steps)
    report, target = sandbox.check(f"app/{seed.name}", data)
    assert report.errors == []
    shift = 1 + steps[0][1][1] if steps[0][0] == "cookie" else 0  # type: ignore[index]
    # a message names lines of the file itself as "line 12" or "app/DJV101.py:12"
    here = re.compile(rf"(\bline |\b{re.escape(f'app/{seed.name}')}:)(\d+)")
    # only the deformed file's own findings move (select ALL also reports in the sandbox's other
    # files, whose messages may name a line of the deformed file)
    moved = [
        (f.path, f.code, f.line - (shift if f.path.endswith(f"app/{seed.name}") else 0), f.column, here.sub(lambda m: f"{m[1]}{int(m[2]) - shift}", f.message))
        for f in report.findings
    ]
    assert sorted(moved) == sorted((f.path, f.code, f.line, f.column, f.message) for f in plain.findings)
    assert plain.findings  # the seeds are chosen to have findings


# --- generated Django code --------------------------------------------------------------------

VARS = ["book", "books", "author", "item", "qs", "self", "request", "user", "obj", "row", "tag", "data", "serializer"]
ATTRS = [
    "author", "name", "title", "objects", "all", "filter", "exclude", "select_related", "prefetch_related", "tags",
    "count", "get", "first", "user", "pk", "id", "books", "price", "data", "save", "create", "update", "delete",
    "values", "exists", "is_staff", "password", "Meta", "queryset", "serializer_class", "get_queryset", "annotate",
    "only", "iterator", "reviews", "owner", "validated_data", "action", "method", "POST", "GET", "query_params",
]  # fmt: skip
CLASSES = ["Book", "Author", "BookSerializer", "BookViewSet", "BookAdmin", "BookForm", "Meta", "IsOwner", "Thing"]
BASES = [
    "models.Model", "serializers.ModelSerializer", "serializers.Serializer", "serializers.HyperlinkedModelSerializer",
    "forms.ModelForm", "admin.ModelAdmin", "viewsets.ModelViewSet", "viewsets.ReadOnlyModelViewSet", "APIView",
    "generics.ListCreateAPIView", "permissions.BasePermission", "View", "Book", "BookSerializer", "object", "Meta",
    "AbstractUser", "models.Manager", "models.QuerySet", "mixins.CreateModelMixin, viewsets.GenericViewSet",
]  # fmt: skip
FUNCS = [
    "get_queryset", "list", "get", "post", "perform_create", "get_permissions", "has_permission",
    "has_object_permission", "validate", "create", "update", "to_representation", "get_serializer_class",
    "view", "__str__", "save", "get_author", "get_context_data", "dispatch", "task",
]  # fmt: skip
DECORATORS = [
    "api_view(['GET', 'POST'])", "login_required", "csrf_exempt", "property", "action(detail=True, methods=['post'])",
    "permission_classes([AllowAny])", "staticmethod", "classmethod", "receiver(post_save, sender=Book)",
    "shared_task", "admin.register(Book)", "transaction.atomic", "require_POST", "cached_property", "method_decorator(csrf_exempt)",
]  # fmt: skip
CLASS_ATTRS = [
    "model", "fields", "exclude", "queryset", "serializer_class", "permission_classes", "authentication_classes",
    "list_display", "read_only_fields", "depth", "extra_kwargs", "list_select_related", "password", "owner",
    "author", "title", "abstract", "ordering", "objects", "template_name", "lookup_field", "filterset_fields",
]  # fmt: skip
LITERALS = [
    '"__all__"', '"author"', '"author__name"', '"pk"', '"app.Author"', '"auth.User"', "None", "True", "0", "1", '""',
    "[]", "()", "{}", '["title", "author"]', '("password",)', "...", "models.CASCADE", "AllowAny", "IsAuthenticated",
    "settings.AUTH_USER_MODEL", "F('price')", "Q(author=None)", "Prefetch('tags')", "lambda: None", "b'x'", "1.5",
]  # fmt: skip
FIELDS = [
    "models.ForeignKey({}, on_delete=models.CASCADE)", "models.ManyToManyField({})", "models.OneToOneField({}, models.CASCADE)",
    "models.CharField(max_length=10)", "serializers.SerializerMethodField()", "{}Serializer(many=True, read_only=True)",
    "serializers.PrimaryKeyRelatedField(queryset={}.objects.all())", "serializers.CharField(source='{}.name')",
    "models.ForeignKey({}, related_name='+', on_delete=models.SET_NULL, null=True)", "GenericForeignKey()",
]  # fmt: skip
HEADER = [
    "from django.db import models", "from django.db.models import F, Q, Prefetch", "from rest_framework import serializers, viewsets, permissions, generics, mixins",
    "from rest_framework.views import APIView", "from rest_framework.permissions import AllowAny, IsAuthenticated",
    "from rest_framework.decorators import api_view, action, permission_classes", "from django import forms",
    "from django.contrib import admin", "from django.conf import settings", "from app.models import Book",
    "from app.models import *", "from .models import Book as Author", "from django.views import View",
    "from django.contrib.auth.models import AbstractUser", "import app.models", "from . import models",
]  # fmt: skip

# idioms the rules look for, so generated code reaches their deeper branches (then gets nested,
# renamed and surrounded by anything)
SNIPPETS = [
    "for book in Book.objects.all():\n    print(book.author.name)",
    "for book in Book.objects.filter(price=1):\n    Tag.objects.get(pk=book.pk)\n    book.tags.count()",
    "for author in Author.objects.all():\n    for book in author.books.all():\n        book.tags.all()",
    "class BookSerializer(serializers.ModelSerializer):\n    class Meta:\n        model = Book\n        fields = '__all__'",
    "class BookSerializer(serializers.ModelSerializer):\n    author = serializers.CharField(source='author.name')\n"
    "    class Meta:\n        model = Book\n        exclude = ['price']\n        read_only_fields = ('title',)",
    "class BookViewSet(viewsets.ModelViewSet):\n    queryset = Book.objects.all()\n    serializer_class = BookSerializer\n"
    "    permission_classes = [AllowAny]",
    "class BookAdmin(admin.ModelAdmin):\n    list_display = ('title', 'author', 'get_author')\n\n"
    "    def get_author(self, obj):\n        return obj.author.name",
    "def shelf(request):\n    return render(request, 'djv107/shelf.html', {'volumes': Book.objects.all()})",
    "@api_view(['POST'])\n@permission_classes([AllowAny])\ndef create_book(request):\n    Book.objects.create(**request.data)",
    "class IsOwner(permissions.BasePermission):\n    def has_permission(self, request, view):\n        return True",
    "@csrf_exempt\ndef edit(request, pk):\n    book = Book.objects.get(pk=pk)\n    book.title = request.POST['title']\n    book.save()",
    "class Meta:\n    model = Book\n    fields = '__all__'\n    depth = 2",
    "class BookForm(forms.ModelForm):\n    class Meta:\n        model = Book\n        fields = '__all__'",
]
IMPORTS = [
    "from django.db import models", "from django.shortcuts import render",
    "from django.views.decorators.csrf import csrf_exempt", "from django.contrib import admin", "from django import forms",
    "from rest_framework import serializers, viewsets, permissions", "from rest_framework.permissions import AllowAny",
    "from rest_framework.decorators import api_view, permission_classes", "from app.models import Author, Book, Tag",
]  # fmt: skip
name = st.sampled_from(VARS)
atom = st.one_of(name, st.sampled_from(CLASSES), st.sampled_from(LITERALS), st.integers(-3, 300).map(str))


def _exprs(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    keyword = st.tuples(st.sampled_from(["queryset", "many", "source", "pk", "author", "id", "fields"]), inner).map("=".join)
    args = st.tuples(st.lists(st.one_of(inner, inner.map("*{}".format)), max_size=2), st.lists(keyword, max_size=2)).map(lambda t: ", ".join(t[0] + t[1]))
    return st.one_of(
        st.tuples(inner, st.sampled_from(ATTRS)).map(lambda t: f"({t[0]}).{t[1]}" if t[0][:1].isdigit() or t[0][:1] == "-" else f"{t[0]}.{t[1]}"),
        st.tuples(inner, args).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(inner, inner).map(lambda t: f"{t[0]}[{t[1]}]"),
        st.tuples(inner, st.sampled_from(["+", "==", "in", "and", "or", "|", "is not", "%"]), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.lists(inner, max_size=3).map(lambda items: f"[{', '.join(items)}]"),
        st.tuples(inner, inner).map(lambda t: f"{{{t[0]}: {t[1]}}}"),
        st.tuples(inner, name, inner).map(lambda t: f"[{t[0]} for {t[1]} in {t[2]}]"),
        st.tuples(inner, name, inner).map(lambda t: f"{{{t[1]}: {t[0]} for {t[1]} in {t[2]}}}"),
        st.tuples(inner, inner, inner).map(lambda t: f"({t[0]} if {t[1]} else {t[2]})"),
        inner.map("(lambda: {})".format),
        inner.map("(await {})".format),
        st.tuples(name, inner).map(lambda t: f"({t[0]} := {t[1]})"),
        st.tuples(name, st.sampled_from(ATTRS)).map(lambda t: f'f"{{{t[0]}.{t[1]}!r}} {{{t[0]}}}"'),
        inner.map("(not {})".format),
    )


expr = st.recursive(atom, _exprs, max_leaves=8)
target = st.one_of(name, name.map("self.{}".format), st.sampled_from(CLASS_ATTRS), st.tuples(name, name).map(", ".join))


def _simple() -> st.SearchStrategy[list[str]]:
    field_def = st.tuples(st.sampled_from(CLASS_ATTRS + VARS), st.sampled_from(FIELDS), st.sampled_from(CLASSES + ['"app.Book"', '"self"', "settings.AUTH_USER_MODEL"]))
    return st.one_of(
        st.tuples(target, expr).map(lambda t: [f"{t[0]} = {t[1]}"]),
        st.tuples(st.sampled_from(CLASS_ATTRS), expr).map(lambda t: [f"{t[0]} = {t[1]}"]),
        field_def.map(lambda t: [f"{t[0]} = {t[1].format(t[2].strip(chr(34)) if '{}Serializer' in t[1] else t[2])}"]),
        expr.map(lambda e: [e]),
        expr.map(lambda e: [f"return {e}"]),
        expr.map(lambda e: [f"yield {e}"]),
        st.sampled_from(["pass", "break", "continue", "raise", "return", "del book", "global book", "nonlocal qs", "..."]).map(lambda s: [s]),
        st.tuples(name, expr).map(lambda t: [f"{t[0]} += {t[1]}"]),
        st.tuples(name, expr, expr).map(lambda t: [f"{t[0]}: {t[1]} = {t[2]}"]),
        st.sampled_from(HEADER).map(lambda s: [s]),
        st.sampled_from(SNIPPETS).map(str.splitlines),
        st.sampled_from(SNIPPETS).map(str.splitlines),
    )


def _indent(lines: list[str]) -> list[str]:
    return ["    " + line for line in lines]


def _compound(body: st.SearchStrategy[list[str]]) -> st.SearchStrategy[list[str]]:
    block = st.lists(body, min_size=1, max_size=3).map(lambda parts: _indent([line for part in parts for line in part]))
    decorators = st.lists(st.sampled_from(DECORATORS), max_size=2).map(lambda ds: [f"@{d}" for d in ds])
    params = st.sampled_from(["self", "self, request", "request", "self, request, *args, **kwargs", "self, obj", "self, attrs", "self, request, view, obj", ""])
    return st.one_of(
        st.tuples(name, expr, block).map(lambda t: [f"for {t[0]} in {t[1]}:", *t[2]]),
        st.tuples(name, expr, block).map(lambda t: [f"async for {t[0]} in {t[1]}:", *t[2]]),
        st.tuples(expr, block, st.none() | block).map(lambda t: [f"if {t[0]}:", *t[1], *(["else:", *t[2]] if t[2] else [])]),
        st.tuples(expr, block).map(lambda t: [f"while {t[0]}:", *t[1]]),
        st.tuples(expr, name, block).map(lambda t: [f"with {t[0]} as {t[1]}:", *t[2]]),
        st.tuples(block, block).map(lambda t: ["try:", *t[0], "except Exception as exc:", *t[1]]),
        st.tuples(decorators, st.sampled_from(["def", "async def"]), st.sampled_from(FUNCS), params, block).map(
            lambda t: [*t[0], f"{t[1]} {t[2]}({t[3]}):", *t[4]]
        ),
        st.tuples(decorators, st.sampled_from(CLASSES), st.sampled_from(BASES), block).map(lambda t: [*t[0], f"class {t[1]}({t[2]}):", *t[3]]),
        st.tuples(expr, name, block).map(lambda t: [f"match {t[0]}:", f"    case {t[1]}:", *_indent(t[2])]),
    )


statement = st.recursive(_simple(), _compound, max_leaves=12)
module = st.tuples(
    st.booleans().map(lambda usual: IMPORTS if usual else []), st.lists(st.sampled_from(HEADER), max_size=3), st.lists(statement, min_size=1, max_size=6)
).map(lambda t: "\n".join([*t[0], *t[1], *(line for part in t[2] for line in part)]) + "\n")
KIND_FILES = ["views.py", "serializers.py", "admin.py", "forms.py", "tasks.py", "urls.py", "api/views.py", "permissions.py", "signals.py"]


@fuzz_settings(60)
@given(source=module, rel=st.sampled_from(KIND_FILES))
def test_generated_django_code_is_findings_or_errors_and_the_cache_agrees(sandbox, source, rel):
    data = source.encode("utf-8")
    report, target = sandbox.check(f"app/{rel}", data)
    assert_findings_or_errors(report, sandbox, target, data)
    cached, _ = sandbox.check(f"app/{rel}", data, cache=True)  # the cache folder lives across examples
    assert facts(cached) == facts(report)


@fuzz_settings(20)
@given(source=module)
def test_generated_models_do_not_knock_over_the_rest_of_the_project(sandbox, source):
    """A models module is read by every cross-file rule: whatever it holds, the other files are still checked."""
    views = (BOOKSHOP / "catalog" / "views.py").read_bytes()
    (sandbox.root / "app" / "views.py").write_bytes(views)
    try:
        data = (MODELS + source).encode("utf-8")
        report, target = sandbox.check("app/models.py", data)
    finally:
        (sandbox.root / "app" / "views.py").unlink()
    assert_findings_or_errors(report, sandbox, target, data)


# --- deep nesting and long lines -------------------------------------------------------------


def _nest(opening: Callable[[int], str], closing: str, depth: int, leaf: str) -> str:
    return "".join(opening(i) for i in range(depth)) + leaf + closing * depth


def _blocks(header: Callable[[int], str], depth: int, leaf: str = "pass") -> str:
    return "".join("    " * i + header(i) + "\n" for i in range(depth)) + "    " * depth + leaf + "\n"


DEEP_SOURCES: dict[str, Callable[[int], str]] = {
    "ifs": lambda d: _blocks(lambda i: "if book:", d, "book.author.name"),
    "for-loops-over-querysets": lambda d: "from app.models import Book\n" + _blocks(lambda i: f"for b{i} in Book.objects.all():", d, "print(b0.author.name)"),
    "nested-defs": lambda d: _blocks(lambda i: f"def f{i}(request):", d, "return Book.objects.all()"),
    "nested-classes": lambda d: _blocks(lambda i: f"class Meta{i}(serializers.ModelSerializer):", d, 'fields = "__all__"'),
    "with-while": lambda d: _blocks(lambda i: "with x:" if i % 2 else "while Book.objects.exists():", d, "Book.objects.get(pk=1)"),
    "parens": lambda d: "x = " + _nest(lambda i: "(", ")", d, "1") + "\n",
    "lists": lambda d: "fields = " + _nest(lambda i: "[", "]", d, '"title"') + "\n",
    "calls": lambda d: "qs = " + _nest(lambda i: "f(", ")", d, "Book.objects.all()") + "\n",
    "lambdas": lambda d: "f = " + "lambda: " * d + "Book.objects.all()\n",
    "subscripts": lambda d: "x = book" + "[0]" * d + "\n",
    "attribute-chain": lambda d: "x = book" + ".author" * d + "\n",
    "queryset-chain": lambda d: "from app.models import Book\nqs = Book.objects" + ".filter(price=1)" * d + "\nfor b in qs:\n    print(b.author.name)\n",
    "binop-chain": lambda d: "x = " + " + ".join(["book.price"] * d) + "\n",
    "not-chain": lambda d: "x = " + "not " * d + "book\n",
    "unary-chain": lambda d: "x = " + "-" * d + "1\n",
    "comprehensions": lambda d: "x = " + _nest(lambda i: f"[y{i} for y{i} in ", "]", d, "Book.objects.all()") + "\n",
    "fstrings": lambda d: "x = " + _nest(lambda i: "f'{" if i % 2 == 0 else 'f"{', "", d, "1") + "".join("}'" if i % 2 == 0 else '}"' for i in reversed(range(d))) + "\n",
    "alias-chain": lambda d: "from app.models import Book\nq0 = Book.objects.all()\n" + "".join(f"q{i + 1} = q{i}\n" for i in range(d)) + f"for b in q{d}:\n    print(b.author.name)\n",
    "alias-cycle": lambda d: "".join(f"q{i} = q{(i + 1) % d}\n" for i in range(d)) + "for b in q0:\n    print(b.author.name)\n",
    "inheritance-chain": lambda d: "from django.db import models\nclass M0(models.Model):\n    pass\n" + "".join(f"class M{i + 1}(M{i}):\n    pass\n" for i in range(d)),
    "inheritance-cycle": lambda d: "from django.db import models\n" + "".join(f"class M{i}(M{(i + 1) % d}, models.Model):\n    pass\n" for i in range(d)),
    "serializer-chain": lambda d: "from rest_framework import serializers\nfrom app.models import Book\n"
    + "class S0(serializers.ModelSerializer):\n    class Meta:\n        model = Book\n        fields = '__all__'\n"
    + "".join(f"class S{i + 1}(S{i}):\n    class Meta(S{i}.Meta):\n        pass\n" for i in range(d)),
    "recursive-functions": lambda d: "".join(f"def f{i}(x):\n    return f{(i + 1) % d}(x)\n" for i in range(d)) + "for b in f0(1):\n    b.author.name\n",
    "decorators": lambda d: "".join(f"@d{i}\n" for i in range(d)) + "def view(request):\n    return Book.objects.all()\n",
    "elif-chain": lambda d: "if x == 0:\n    pass\n" + "".join(f"elif x == {i}:\n    y = Book.objects.get(pk={i})\n" for i in range(1, d)),
}


# astroid's standard build of a class whose bases chain through `Other.Meta` costs about
# depth**3.5 (a brain transform walks every class's ancestors): 400 deep took 11 minutes, and still
# does in pylint. djvet's builder (djvet.astro.build) runs no transforms: every depth is checked.
@pytest.mark.parametrize("depth", [30, 100, 400])
@pytest.mark.parametrize("shape", sorted(DEEP_SOURCES))
def test_deep_nesting_is_findings_or_errors(sandbox, shape, depth):
    data = DEEP_SOURCES[shape](depth).encode("utf-8")
    report, target = sandbox.check("app/views.py", data)
    assert_findings_or_errors(report, sandbox, target, data)


LONG_LINES = {
    "string": lambda: 'x = "' + "a" * 1_000_000 + '"\n',
    "list": lambda: "fields = [" + ", ".join(f'"f{i}"' for i in range(50_000)) + "]\n",
    "dict": lambda: "x = {" + ", ".join(f"{i}: Book" for i in range(20_000)) + "}\n",
    "call-args": lambda: "x = Book.objects.filter(" + ", ".join(f"a{i}=1" for i in range(5_000)) + ")\n",
    "select-related": lambda: 'for b in Book.objects.select_related("' + "__".join(["author"] * 20_000) + '"):\n    b.author.name\n',
    "semicolons": lambda: "; ".join(f"b{i} = Book.objects.get(pk={i})" for i in range(5_000)) + "\n",
    "comment": lambda: "# " + "é" * 500_000 + "\nx = 1\n",
}


@pytest.mark.parametrize("shape", sorted(LONG_LINES))
def test_very_long_lines_are_findings_or_errors(sandbox, shape):
    data = ("from app.models import Book\n" + LONG_LINES[shape]()).encode("utf-8")
    report, target = sandbox.check("app/views.py", data)
    assert_findings_or_errors(report, sandbox, target, data)


def test_a_finding_far_to_the_right_has_its_real_column(sandbox):
    prefix = '"' + "é" * 100_000 + '", '
    data = f"from app.models import Book\nfor b in Book.objects.all():\n    x = {prefix}b.author.name\n".encode()
    report, _ = sandbox.check("app/views.py", data)
    assert [(f.code, f.line, f.column) for f in report.findings if f.path.endswith("views.py")] == [("DJV101", 3, 9 + len(prefix))]


# --- the same through the command line --------------------------------------------------------


def test_the_command_line_reports_every_deformed_file_in_one_line_each(tmp_path):
    """The console script on a project full of bad files: one stderr line per file, no traceback."""
    root = tmp_path / "project"
    Sandbox(root)
    files = {
        "app/nul.py": b"x = 1\x00\n",
        "app/bogus_cookie.py": b"# -*- coding: no-such-codec -*-\nx = 1\n",
        "app/rot13.py": b"# -*- coding: rot13 -*-\nk = 1\n",
        "app/invalid_utf8.py": b"x = '\xc3('\n",
        "app/deep.py": DEEP_SOURCES["parens"](1000).encode(),
        "app/long.py": LONG_LINES["list"]().encode(),
        "app/cr_only.py": (BOOKSHOP / "catalog" / "views.py").read_bytes().replace(b"\n", b"\r"),
        "app/bom_latin1.py": b"\xef\xbb\xbf# coding: latin-1\nx = 1\n",
    }
    for rel, data in files.items():
        (root / rel).write_bytes(data)
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"))
    result = subprocess.run(
        [sys.executable, "-m", "djvet", "check", "--format", "json", "--no-timing", "--no-cache", "."],
        cwd=root, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert "Traceback" not in result.stderr
    report = json.loads(result.stdout)
    expected = {rel: python_says(data) for rel, data in files.items() if not _compiles(data)}
    expected["app/bogus_cookie.py"] = "cannot decode: unknown encoding: no-such-codec"
    expected["app/rot13.py"] = "cannot decode as rot13: 'rot13' is not a text encoding; use codecs.decode() to handle arbitrary codecs"
    expected["app/invalid_utf8.py"] = "cannot decode: invalid or missing encoding declaration"
    expected["app/bom_latin1.py"] = "cannot decode: encoding problem: latin-1 with BOM"
    assert {e["path"]: e["message"] for e in report["errors"]} == expected
    assert {f["path"] for f in report["findings"]} == {"app/cr_only.py"}
    assert result.stderr.splitlines() == [f"{path}: {message}" for path, message in sorted(expected.items())]
    assert report["summary"]["files"] == len(files) + 2
    assert result.returncode == 1
