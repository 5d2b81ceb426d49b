"""Shared analysis of the injection rules: what a template shows unescaped, and the exact text of
findings that follow values through a function."""

from __future__ import annotations

import textwrap
from pathlib import Path

from djvet.index.templates import UnescapedOutput, unescaped_outputs
from djvet.runner import check_paths


def test_unescaped_outputs_follow_safe_autoescape_and_loops() -> None:
    text = textwrap.dedent(
        """\
        {{ bio|safe }} {{ a|escape|safe }} {{ b|safe|escape }} {{ c|safe|force_escape }}
        {% for tag in tags %}{{ tag.name|safe }}{% endfor %}
        {% autoescape off %}{{ q }} {{ n|length }} {{ e|escape }}{% endautoescape %}{{ q }}
        """
    )
    assert unescaped_outputs(text) == (
        UnescapedOutput("bio", "{{ bio|safe }}", "|safe", 1),
        UnescapedOutput("b", "{{ b|safe|escape }}", "|safe", 1),
        UnescapedOutput("tags", "{{ tag.name|safe }}", "|safe", 2),
        UnescapedOutput("q", "{{ q }}", "{% autoescape off %}", 3),
    )


def _findings(tmp_path: Path, source: str) -> list[str]:
    (tmp_path / "pyproject.toml").write_text('[tool.djvet]\nselect = ["DJV4"]\n', encoding="utf-8")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "app" / "views.py").write_text(textwrap.dedent(source), encoding="utf-8")
    report = check_paths([tmp_path])
    assert report.errors == []
    return [f"{f.line}: {f.code} {f.message}" for f in report.findings]


def test_url_arguments_count_only_when_their_route_allows_any_text(tmp_path: Path) -> None:
    found = _findings(
        tmp_path,
        """\
        from django.http import HttpResponse
        from django.urls import path, re_path


        def by_name(request, name):
            return HttpResponse(name)


        def by_pk(request, pk):
            return HttpResponse(pk)


        def by_digits(request, code):
            return HttpResponse(code)


        urlpatterns = [
            path("n/<str:name>/", by_name),
            path("p/<int:pk>/", by_pk),
            re_path(r"^c/(?P<code>[0-9]+)/$", by_digits),
        ]
        """,
    )
    assert found == ["6: DJV406 `HttpResponse` writes the URL argument `name` into an HTML page unescaped"]


def test_a_value_replaced_before_its_use_is_judged_by_its_last_value(tmp_path: Path) -> None:
    found = _findings(
        tmp_path,
        """\
        from django.utils.html import conditional_escape
        from django.utils.safestring import mark_safe


        def message(value, level):
            if level == "error":
                value = conditional_escape(value)
                return mark_safe(f"<pre>{value}</pre>")
            return mark_safe(f"<p>{value}</p>")
        """,
    )
    assert found == ["9: DJV402 `mark_safe()` marks `value` as safe HTML (an f-string, line 9)"]
