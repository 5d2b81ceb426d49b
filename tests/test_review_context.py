"""Step 3 of `djvet review`: guidance documents, their front matter, and the choice within a budget."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from djvet.catalog import FAMILIES
from djvet.review.base import GOALS, FrozenClock, ReviewOptions, ReviewState, ReviewStepError
from djvet.review.context import BUNDLED, ContextStep, FolderContextProvider, parse_doc
from djvet.review.memory import FileMemoryStore, MemoryUpdate, RecordedFinding, ReviewRecord
from djvet.review.recall import MemoryStep
from djvet.review.scope import ScopeStep

DAY = datetime.date(2025, 1, 15)
PROJECT = {
    "manage.py": 'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")\n',
    "mysite/__init__.py": "",
    "mysite/settings.py": 'INSTALLED_APPS = ["rest_framework", "shop"]\nSECRET_KEY = "x"\n',
    "mysite/wsgi.py": 'import os\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")\n',
    "shop/__init__.py": "",
    "shop/models.py": "from django.db import models\n\n\nclass Book(models.Model):\n    title = models.CharField(max_length=9)\n",
    "shop/serializers.py": "from rest_framework import serializers\nfrom shop.models import Book\n\n\nclass BookSerializer(serializers.ModelSerializer):\n    class Meta:\n        model = Book\n        fields = ['id']\n",
}


def contexted(root: Path, **options: object) -> ReviewState:
    state = ReviewState(ReviewOptions(path=root, **options), FrozenClock(DAY), 0.0, DAY, root)  # type: ignore[arg-type]
    for step in (ScopeStep(), MemoryStep(), ContextStep()):
        step.run(state)
    return state


def test_every_bundled_document_has_valid_front_matter_and_a_body() -> None:
    provider = FolderContextProvider()
    ids = sorted(d.id for d in provider.docs)
    assert ids == ["async-tasks", "deployment", "drf-permissions", "orm-performance", "serializers", "settings-hardening", "testing"]
    for doc in provider.docs:
        assert doc.title and doc.applies_when and doc.topics and doc.signals, doc.id
        assert set(doc.families) <= set(FAMILIES) and set(doc.goals) <= set(GOALS)
        body = provider.load(doc)
        assert body.startswith(f"# {doc.title}\n") and "## When it applies" in body and not body.startswith("---")


def test_bundled_documents_ship_inside_the_package() -> None:
    assert BUNDLED == Path(__import__("djvet.review").review.__file__).parent / "guidance"


def test_provider_interface_answers_by_domain_topic_and_across_domains() -> None:
    provider = FolderContextProvider()
    assert {d.id for d in provider.get_domain_index("django")} == {"async-tasks", "drf-permissions", "orm-performance", "serializers"}
    assert [d.id for d in provider.get_conditional_context("django", "celery")] == ["async-tasks"]
    assert {d.id for d in provider.get_cross_domain_context("django", ["secrets", "gunicorn"])} == {"settings-hardening", "deployment"}


def test_the_budget_caps_the_loaded_documents_and_says_what_was_left_out(make_project) -> None:  # type: ignore[no-untyped-def]
    state = contexted(make_project(PROJECT), context_budget=2)
    assert state.context is not None
    assert len(state.context.loaded) == 2
    assert all(d.reason and d.text for d in state.context.loaded)
    assert any("over the budget of 2" in why for _, why in state.context.left_out)


def test_a_budget_of_zero_loads_nothing(make_project) -> None:  # type: ignore[no-untyped-def]
    state = contexted(make_project(PROJECT), context_budget=0)
    assert state.context is not None and state.context.loaded == ()


def test_the_goal_pulls_its_documents_in(make_project) -> None:  # type: ignore[no-untyped-def]
    state = contexted(make_project(PROJECT), goal="security", context_budget=2)
    assert state.context is not None
    # three documents tie (goal, DRF, production settings); ties go by id
    assert [d.doc.id for d in state.context.loaded] == ["drf-permissions", "serializers"]
    assert all("goal `security`" in d.reason for d in state.context.loaded)
    assert [d.id for d, _ in state.context.left_out][:1] == ["settings-hardening"]


def test_findings_remembered_from_the_last_review_pull_their_family_in(make_project) -> None:  # type: ignore[no-untyped-def]
    root = make_project(PROJECT)
    finding = RecordedFinding("fp", "DJV701", "warning", "shop/tasks.py", 3, "m", "2025-01-01", "2025-01-01")
    FileMemoryStore(root / ".djvet" / "memory").update(
        "django", "project", MemoryUpdate({}, {"fp": finding}, (), (), ReviewRecord("2025-01-01", None, None, 1, 1, 0, 0, 0, "0"))
    )
    state = contexted(root, context_budget=1)
    assert state.context is not None
    assert [(d.doc.id, d.reason) for d in state.context.loaded] == [
        ("async-tasks", "1 open finding in async and background tasks at the last review")
    ]


def test_your_own_documents_are_candidates_and_outrank_equal_bundled_ones(make_project, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    root = make_project(PROJECT)
    own = root / ".djvet" / "context"
    own.mkdir(parents=True)
    (own / "our-api-rules.md").write_text("---\ntitle: Our API rules\nsignals: [drf]\n---\n# Our API rules\n\nEvery viewset filters by tenant.\n")
    (own / "notes.md").write_text("Plain notes without front matter.\n")
    state = contexted(root, context_budget=7)
    assert state.context is not None
    loaded = {d.doc.id: d for d in state.context.loaded}
    assert loaded["our-api-rules"].reason == "your own document; the project has DRF"
    assert loaded["our-api-rules"].text == "# Our API rules\n\nEvery viewset filters by tenant.\n"
    assert loaded["notes"].reason == "your own document"


@pytest.mark.parametrize(
    "text, message",
    [
        ("---\ntitel: x\n---\nbody\n", "front matter: unknown key 'titel'"),
        ("---\nfamilies: [9]\n---\nbody\n", "families: expected digits 1-8; got '9'"),
        ("---\ngoals: [speed]\n---\nbody\n", "goals: expected some of feature"),
        ("---\ntitle: x\nbody\n", "front matter: expected a closing `---` line"),
    ],
)
def test_a_broken_user_document_stops_step_3_naming_the_file(make_project, text: str, message: str) -> None:  # type: ignore[no-untyped-def]
    root = make_project(PROJECT)
    own = root / "guides"
    own.mkdir()
    (own / "bad.md").write_text(text)
    with pytest.raises(ReviewStepError) as error:
        contexted(root, context_dirs=(own,))
    assert str(error.value).startswith("review step 3 (context): ") and "bad.md" in str(error.value) and message in str(error.value)


def test_parse_doc_defaults_for_a_plain_user_document(tmp_path: Path) -> None:
    doc = parse_doc(tmp_path / "team_rules.md", "# Rules\n", "user")
    assert (doc.id, doc.title, doc.domain, doc.applies_when) == ("team_rules", "Team rules", "django", "written for this project")
