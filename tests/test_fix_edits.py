"""The queryset codemod: exact text out, formatting kept, idempotent, never an unparsable file."""

from __future__ import annotations

import pytest

from djvet.finding import Edit
from djvet.fixes.queryset import FixError, apply_edits


def edit_for(text: str, expression: str, method: str, argument: str) -> Edit:
    """An Edit spanning the first occurrence of `expression` (1-based columns, end exclusive)."""
    start = text.index(expression)
    line = text.count("\n", 0, start) + 1
    column = start - (text.rfind("\n", 0, start) + 1) + 1
    end = start + len(expression)
    end_line = text.count("\n", 0, end) + 1
    end_column = end - (text.rfind("\n", 0, end) + 1) + 1
    return Edit(line, column, end_line, end_column, method, argument)


def test_appends_a_call_after_the_expression_and_keeps_the_rest_of_the_line() -> None:
    text = "for book in Book.objects.filter(active=True):  # shelf\n    print(book.author.name)\n"
    edit = edit_for(text, "Book.objects.filter(active=True)", "select_related", "author")
    assert apply_edits(text, [edit]) == (
        'for book in Book.objects.filter(active=True).select_related("author"):  # shelf\n    print(book.author.name)\n'
    )


def test_adds_arguments_to_an_existing_call_of_the_same_method() -> None:
    text = 'qs = Book.objects.select_related(\n    "publisher",\n)\n'
    edit = edit_for(text, 'Book.objects.select_related(\n    "publisher",\n)', "select_related", "author")
    assert apply_edits(text, [edit]) == 'qs = Book.objects.select_related(\n    "publisher", "author",\n)\n'


def test_merges_edits_on_one_expression_in_a_stable_order() -> None:
    text = "qs = Order.objects.all()\n"
    expr = "Order.objects.all()"
    edits = [
        edit_for(text, expr, "prefetch_related", "items"),
        edit_for(text, expr, "select_related", "customer"),
        edit_for(text, expr, "prefetch_related", "items"),
        edit_for(text, expr, "prefetch_related", "discounts"),
    ]
    expected = 'qs = Order.objects.all().prefetch_related("discounts", "items").select_related("customer")\n'
    assert apply_edits(text, edits) == expected
    assert apply_edits(text, list(reversed(edits))) == expected


def test_a_second_run_changes_nothing() -> None:
    text = 'qs = Book.objects.all().select_related("author")\n'
    edit = edit_for(text, 'Book.objects.all().select_related("author")', "select_related", "author")
    assert apply_edits(text, [edit]) == text


def test_an_expression_that_moved_is_refused() -> None:
    text = "qs = Book.objects.all()\n"
    moved = edit_for(text, "Book.objects.all()", "select_related", "author")
    with pytest.raises(FixError, match="line 2: the expression to fix is no longer where it was found"):
        apply_edits(text, [Edit(2, moved.column, 2, moved.end_column, "select_related", "author")])


def test_text_that_does_not_parse_is_refused() -> None:
    with pytest.raises(FixError, match="cannot parse for fixing"):
        apply_edits("def broken(:\n", [Edit(1, 1, 1, 4, "select_related", "a")])
