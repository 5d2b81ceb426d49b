"""Which rows each serializer renders (djvet.index.serving) and what reading an attribute path of a
model instance loads or queries (djvet.index.objreads)."""

from __future__ import annotations

from djvet.index import build_index
from djvet.index.objreads import COUNT, LOAD, QUERY, Segment, first_unloaded, lookup, walk
from djvet.index.querysets import Loaded
from djvet.index.serving import serializer_visits

MODELS = """
    from django.db import models


    class Author(models.Model):
        name = models.CharField(max_length=100)


    class Book(models.Model):
        title = models.CharField(max_length=200)
        author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="books")

        @property
        def author_name(self):
            return self.author.name

        @property
        def review_total(self):
            return Review.objects.filter(book=self).count()


    class Review(models.Model):
        book = models.ForeignKey(Book, on_delete=models.CASCADE, related_name="reviews")
"""

SERIALIZERS = """
    from rest_framework import serializers

    from shop.models import Author, Book


    class AuthorSerializer(serializers.ModelSerializer):
        class Meta:
            model = Author
            fields = ["id", "name"]


    class BookSerializer(serializers.ModelSerializer):
        author = AuthorSerializer()

        class Meta:
            model = Book
            fields = ["id", "author"]
"""

VIEWS = """
    from rest_framework import generics, viewsets
    from rest_framework.response import Response

    from shop.models import Book
    from shop.serializers import BookSerializer


    class BookList(generics.ListAPIView):
        queryset = Book.objects.select_related("author")
        serializer_class = BookSerializer


    class BookDetail(generics.RetrieveAPIView):
        queryset = Book.objects.all()
        serializer_class = BookSerializer


    class Chooser(generics.ListAPIView):
        queryset = Book.objects.all()

        def get_serializer_class(self):
            if self.request.GET.get("x"):
                return BookSerializer
            return None


    class Books(viewsets.GenericViewSet):
        queryset = Book.objects.all()
        serializer_class = BookSerializer

        def recent(self, request):
            rows = self.get_queryset().prefetch_related("reviews")
            page = self.paginate_queryset(rows)
            return Response(self.get_serializer(page, many=True).data)
"""


def _index(make_project):  # type: ignore[no-untyped-def]
    root = make_project(
        {
            "shop/__init__.py": "",
            "shop/models.py": MODELS,
            "shop/serializers.py": SERIALIZERS,
            "shop/views.py": VIEWS,
        }
    )
    return build_index(root)


def test_list_views_detail_views_and_explicit_calls_are_where_serializers_render(make_project) -> None:  # type: ignore[no-untyped-def]
    index = _index(make_project)
    seen = {
        (v.serializer.rsplit(".", 1)[-1], v.serving.view, v.many, lookup(v.prefix), v.serving.loaded is not None)
        for v in serializer_visits(index)
    }
    assert seen == {
        ("BookSerializer", "BookList", True, "", True),
        ("AuthorSerializer", "BookList", True, "author", True),
        ("BookSerializer", "BookDetail", False, "", True),
        ("AuthorSerializer", "BookDetail", False, "author", True),
        ("BookSerializer", "Books.recent", True, "", True),
        ("AuthorSerializer", "Books.recent", True, "author", True),
    }
    recent = next(v for v in serializer_visits(index) if v.serving.view == "Books.recent")
    assert recent.serving.loaded is not None and recent.serving.loaded.prefetch == frozenset({"reviews"})
    assert recent.serving.where == "shop/views.py:34"


def test_walk_follows_relations_and_model_properties(make_project) -> None:  # type: ignore[no-untyped-def]
    index = _index(make_project)
    book = "shop.models.Book"
    loads = walk(index, book, [Segment("author"), Segment("name")])
    assert [(lookup(a.path), a.cost) for a in loads] == [("author", LOAD)]
    counts = walk(index, book, [Segment("reviews"), Segment("count", True)])
    assert [(lookup(a.path), a.cost) for a in counts] == [("reviews", COUNT)]
    filtered = walk(index, book, [Segment("reviews"), Segment("filter", True, True)])
    assert [(a.cost, a.query) for a in filtered] == [(QUERY, "obj.reviews.filter(...)")]
    via = walk(index, book, [Segment("author_name")]) + walk(index, book, [Segment("review_total")])
    assert [(lookup(a.path), a.cost, a.via) for a in via] == [
        ("author", LOAD, "Book.author_name"),
        ("", QUERY, "Book.review_total"),
    ]
    assert walk(index, book, [Segment("author_id")]) == []


def test_first_unloaded_knows_prefetch_querysets_and_the_way_back(make_project) -> None:  # type: ignore[no-untyped-def]
    index = _index(make_project)
    [back] = walk(index, "shop.models.Review", [Segment("book"), Segment("title")])
    [reviews] = walk(index, "shop.models.Book", [Segment("reviews")])
    [author] = walk(index, "shop.models.Book", [Segment("author")])
    plain = Loaded("shop.models.Book")
    assert first_unloaded(index, plain, (), author.path) == 0
    assert first_unloaded(index, plain, reviews.path, back.path) is None  # a review's book is its parent
    custom = Loaded("shop.models.Author", prefetch=frozenset({"books"}), custom_prefetch=frozenset({"books"}))
    [books] = walk(index, "shop.models.Author", [Segment("books")])
    assert first_unloaded(index, custom, books.path, reviews.path) is None  # below Prefetch(queryset=...)
    assert first_unloaded(index, Loaded("shop.models.Author"), books.path, reviews.path) == 0
    assert first_unloaded(index, Loaded("shop.models.Book", values=True), (), author.path) is None
