"""The per-row query rules (DJV101, DJV102, DJV105): fixes, file kinds and where the queryset lives."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from djvet.astro.loops import is_management_command, is_test_support
from djvet.fixes.queryset import apply_edits
from djvet.runner import check_paths

REPO = Path(__file__).resolve().parents[1]
RULES = REPO / "fixtures" / "rules"
# What `djvet fix` makes of a rule fixture (outside fixtures/rules: the harness checks every file there).
CODES = ["DJV101", "DJV102", "DJV105"]

MODELS = """
    from django.db import models

    class Author(models.Model):
        name = models.CharField(max_length=100)

    class Book(models.Model):
        title = models.CharField(max_length=100)
        author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="books")

        def review_count(self):
            return self.reviews.filter(stars__gte=1).count()

    class Review(models.Model):
        book = models.ForeignKey(Book, on_delete=models.CASCADE, related_name="reviews")
        stars = models.IntegerField()
"""
PER_ROW = """
    from shop.models import Author, Book

    def run():
        for book in Book.objects.all():
            print(book.author.name, book.review_count())
            Author.objects.filter(pk=book.author_id).exists()
"""


@pytest.mark.parametrize(
    ("rel", "expected"),
    [
        ("shop/reports.py", [("shop/reports.py", 5, "DJV101"), ("shop/reports.py", 5, "DJV105"), ("shop/reports.py", 6, "DJV102")]),
        # offline, once, by an operator: only the relation reads DJV101 reports stay
        ("shop/management/commands/report.py", [("shop/management/commands/report.py", 5, "DJV101")]),
        ("shop/tests/test_report.py", []),
        ("shop/testing/helpers.py", []),
    ],
)
def test_which_files_the_rules_check(
    make_project: Callable[[dict[str, str]], Path], monkeypatch: pytest.MonkeyPatch, rel: str, expected: list[tuple[str, int, str]]
) -> None:
    root = make_project({"shop/__init__.py": "", "shop/models.py": MODELS, rel: PER_ROW})
    monkeypatch.chdir(root)
    report = check_paths([root / rel], {"select": CODES})
    assert sorted((f.path, f.line, f.code) for f in report.findings) == expected


def test_a_queryset_from_a_view_attribute_in_another_file_is_reported_without_a_fix(
    make_project: Callable[[dict[str, str]], Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project(
        {
            "shop/__init__.py": "",
            "shop/models.py": MODELS,
            "shop/base.py": """
                from django.views.generic import ListView
                from shop.models import Book

                class BookListBase(ListView):
                    queryset = Book.objects.filter(title__startswith="A")
            """,
            "shop/views.py": """
                from shop.base import BookListBase

                class BookList(BookListBase):
                    def get_context_data(self, **kwargs):
                        names = [book.author.name for book in self.queryset]
                        return {"names": names}
            """,
        }
    )
    monkeypatch.chdir(root)
    report = check_paths([root / "shop" / "views.py"], {"select": ["DJV101"]})
    assert [(f.line, f.fixable, f.message) for f in report.findings] == [
        (5, False, "`Book.author` is loaded once per row of `self.queryset` (`shop/base.py:5`)")
    ]


def test_the_fix_title_says_what_is_added(make_project: Callable[[dict[str, str]], Path], monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_project({"shop/__init__.py": "", "shop/models.py": MODELS, "shop/reports.py": PER_ROW})
    monkeypatch.chdir(root)
    report = check_paths([root / "shop" / "reports.py"], {"select": ["DJV101"]})
    assert [(f.fix_title, f.edit.argument if f.edit else None) for f in report.findings] == [
        ('Add `.select_related("author")` to `Book.objects.all()`', "author")
    ]


def test_path_helpers() -> None:
    assert is_management_command("shop/management/commands/report.py")
    assert not is_management_command("shop/management/report.py")
    assert is_test_support("netbox/utilities/testing/base.py")
    assert is_test_support("conftest.py")
    assert not is_test_support("shop/testimonials.py")
