"""index.tasks: which project functions are background tasks, and which Task classes decide
themselves when a task is sent (DJV702 / DJV703 stay silent on those)."""

from __future__ import annotations

from djvet.index import build_index
from djvet.index.tasks import task_book

CELERY_APP = """
    from celery import Celery

    app = Celery("shop")
"""
# mayan-edms builds its app through a factory djvet cannot follow; configuring it marks it
FACTORY_APP = """
    from django.utils.module_loading import import_string

    celery_class = import_string("celery.Celery")
    app = celery_class(main="shop")
    app.config_from_object("django.conf:settings", namespace="CELERY")
"""
TASKS = """
    from celery import Task, shared_task
    from django.db import transaction
    from dramatiq import actor
    from django_rq import job

    from shop.celery import app


    class CommitAwareTask(app.Task):
        def apply_async(self, *args, **kwargs):
            transaction.on_commit(lambda: super(CommitAwareTask, self).apply_async(*args, **kwargs))


    class Reindex(Task):
        def run(self, pk):
            print(pk)


    @shared_task
    def send_mail(pk):
        print(pk)


    @app.task(base=CommitAwareTask)
    def invoice(pk):
        print(pk)


    @actor
    def ping():
        pass


    @job("low")
    def export(pk):
        print(pk)


    def helper(pk):
        print(pk)
"""


def _book(make_project, app: str):  # type: ignore[no-untyped-def]
    root = make_project({"shop/__init__.py": "", "shop/celery.py": app, "shop/tasks.py": TASKS})
    return task_book(build_index(root))


def test_task_functions_by_framework(make_project) -> None:  # type: ignore[no-untyped-def]
    book = _book(make_project, CELERY_APP)
    found = {q: (t.framework, t.custom_enqueue) for q, t in book.functions.items()}
    assert found == {
        "shop.tasks.send_mail": ("celery", False),
        "shop.tasks.invoice": ("celery", True),
        "shop.tasks.ping": ("dramatiq", False),
        "shop.tasks.export": ("rq", False),
    }
    assert dict(book.classes) == {"shop.tasks.CommitAwareTask": True, "shop.tasks.Reindex": False}


def test_an_app_built_by_a_factory_is_known_by_its_configuration(make_project) -> None:  # type: ignore[no-untyped-def]
    book = _book(make_project, FACTORY_APP)
    assert book.functions["shop.tasks.invoice"].framework == "celery"
    assert "shop.tasks.CommitAwareTask" in book.classes
