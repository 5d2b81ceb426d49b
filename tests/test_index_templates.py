"""Reading Django templates statically (djvet.index.templates) and what code reads on a row
(djvet.index.relation_walks.instance_reads)."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

from djvet.index.build import build_index
from djvet.index.relation_walks import instance_reads
from djvet.index.templates import find_template, loop_reads, template_loop_reads


def chains(text: str) -> list[tuple[str, tuple[str, ...], int, bool]]:
    return [(r.root, r.chain, r.line, r.rendered) for r in loop_reads(text)]


def test_a_loop_over_a_context_variable_reads_attribute_chains_of_its_rows() -> None:
    text = "{% for book in books %}\n{{ book.author.name }}{% if book.publisher %}x{% endif %}\n{% endfor %}"
    assert chains(text) == [("books", ("author", "name"), 2, True), ("books", ("publisher",), 2, False)]


def test_a_loop_nested_over_a_relation_continues_the_outer_rows_chain() -> None:
    text = "{% for o in orders %}{% for item in o.items.all %}{{ item.book.title }}{% endfor %}{% endfor %}"
    assert chains(text) == [("orders", ("items", "all"), 1, False), ("orders", ("items", "all", "book", "title"), 1, True)]


def test_with_aliases_and_filter_arguments_are_followed() -> None:
    text = '{% for b in books|slice:":5" %}{% with a=b.author %}{{ a.name|default:b.editor.name }}{% endwith %}{% endfor %}'
    assert chains(text) == [
        ("books", ("author",), 1, False),
        ("books", ("editor", "name"), 1, False),
        ("books", ("author", "name"), 1, True),
    ]


def test_comments_verbatim_empty_and_else_branches_read_nothing() -> None:
    text = textwrap.dedent(
        """\
        {% for b in books %}{# {{ b.a.x }} #}{% comment %}{{ b.c.x }}{% endcomment %}
        {% verbatim %}{{ b.d.x }}{% endverbatim %}
        {% if b.event %}{{ b.event.slug }}{% else %}{{ b.organizer.slug }}{% endif %}
        {% empty %}{{ b.e.x }}{% endfor %}
        """
    )
    assert chains(text) == [("books", ("event",), 3, False), ("books", ("event", "slug"), 3, True)]


def test_names_rebound_by_a_tag_are_not_rows() -> None:
    text = "{% for b in books %}{% url 'x' as b %}{{ b.author }}{% endfor %}{% firstof a as books %}{% for c in books %}{{ c.d }}{% endfor %}"
    assert chains(text) == []


def test_a_tag_never_spans_lines_as_in_djangos_lexer() -> None:
    assert chains("{% for b in books %}{{ b.author\n}}{% endfor %}") == []


def test_templates_are_found_in_app_folders_and_the_root_templates_folder(tmp_path: Path) -> None:
    (tmp_path / "manage.py").write_text("", encoding="utf-8")
    for folder in ("shop", "blog"):
        (tmp_path / folder / "templates" / folder).mkdir(parents=True)
        (tmp_path / folder / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "shop" / "templates" / "shop" / "list.html").write_text("a", encoding="utf-8")
    (tmp_path / "templates" / "blog").mkdir(parents=True)
    (tmp_path / "templates" / "blog" / "post.html").write_text("b", encoding="utf-8")
    (tmp_path / "blog" / "templates" / "blog" / "post.html").write_text("c", encoding="utf-8")
    index = build_index(tmp_path)
    assert find_template(index, "shop/list.html") == tmp_path / "shop" / "templates" / "shop" / "list.html"
    assert find_template(index, "shop/missing.html") is None
    assert find_template(index, "../manage.py") is None
    # two different files by one name and DIRS unknown (no settings): djvet cannot tell which
    assert find_template(index, "blog/post.html") is None


def test_instance_reads_count_only_reads_that_always_happen() -> None:
    function = ast.parse(
        textwrap.dedent(
            """\
            def show(self, obj):
                label = f"{obj.author}: {obj.reviews.count()}"
                name = obj.title or obj.editor.name
                if obj.publisher_id:
                    return obj.publisher.name
                return obj.tags.all()
            """
        )
    ).body[0]
    assert isinstance(function, ast.FunctionDef)
    reads = [(r.chain, r.called, r.rendered) for r in instance_reads(function, "obj")]
    assert reads == [
        (("author",), False, True),
        (("reviews", "count"), True, False),
        (("title",), False, False),
        (("publisher_id",), False, False),
    ]


def test_a_template_rewritten_with_the_same_size_and_modification_time_is_read_again(tmp_path: Path) -> None:
    """What a long-lived editor process sees: the cache must not serve the old text."""
    import os

    path = tmp_path / "list.html"
    path.write_text("{% for b in books %}{{ b.author.name }}{% endfor %}\n", encoding="utf-8")
    first = template_loop_reads(path)
    assert first is not None and [r.chain for r in first] == [("author", "name")]
    stat = path.stat()
    path.write_text("{% for b in books %}{{ b.editor.name }}{% endfor %}\n", encoding="utf-8")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_size == stat.st_size and path.stat().st_mtime_ns == stat.st_mtime_ns
    again = template_loop_reads(path)
    assert again is not None and [r.chain for r in again] == [("editor", "name")]
