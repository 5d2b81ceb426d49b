"""DJV702 task-called-with-model-instance: see rules/DJV702.yaml."""

from __future__ import annotations

from collections.abc import Iterator

from astroid import nodes

from djvet.astro.instances import find_instance
from djvet.astro.loops import is_production_code, short_source
from djvet.astro.tasks import enqueues_here, find_enqueue
from djvet.engine import ModuleContext
from djvet.rule import Hit, Rule


class TaskCalledWithModelInstance(Rule):
    code = "DJV702"

    def applies_to(self, ctx: ModuleContext) -> bool:
        return is_production_code(ctx) and bool(ctx.index.models) and enqueues_here(ctx)

    def check_call(self, node: nodes.Call, ctx: ModuleContext) -> Iterator[Hit]:
        enqueue = find_enqueue(node, ctx)
        if enqueue is None or enqueue.custom_enqueue:
            return
        for arg in enqueue.args:
            instance = find_instance(arg, ctx)
            if instance is not None:
                model = instance.model.rpartition(".")[2]
                yield Hit(arg, {"task": enqueue.task, "argument": short_source(arg), "model": model})
