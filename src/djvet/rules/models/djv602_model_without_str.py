"""DJV602 model-without-str: see rules/DJV602.yaml."""

from __future__ import annotations

from collections.abc import Iterator

from astroid import nodes

from djvet.astro.models import find_concrete_model
from djvet.engine import ModuleContext
from djvet.index.models import DJANGO_ABSTRACT_MODELS
from djvet.rule import Hit, Rule


class ModelWithoutStr(Rule):
    code = "DJV602"
    needs_text = ("Model",)

    def check_classdef(self, node: nodes.ClassDef, ctx: ModuleContext) -> Iterator[Hit]:
        model = find_concrete_model(node, ctx)
        if model is None:
            return  # a base outside the project (partial) may define __str__
        ancestors = ctx.index.mros.get(model.qualname, (model.qualname,))
        if any(a in DJANGO_ABSTRACT_MODELS for a in ancestors):
            return  # AbstractBaseUser defines __str__ (the username)
        for ancestor in ancestors:
            info = ctx.index.classes.get(ancestor)
            if info is not None and ("__str__" in info.methods or "__str__" in info.attrs):
                return
        yield Hit(node, {"model": model.name})
