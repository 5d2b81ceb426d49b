"""Which expressions in a function body are model instances, and of which model: `self` in a model
method, `request.user`, a local fetched with `.get()` / `await .aget()`, a row of a loop over a
queryset, a parameter annotated with a model, a signal receiver's `instance`, and forward relations
of those. Shared by the async and background-task rules (DJV701, DJV702). Silent (None) wherever
djvet cannot know."""

from __future__ import annotations

from dataclasses import dataclass

from astroid import nodes

from djvet.astro.exprs import dotted
from djvet.astro.loops import enclosing_loops, find_rows, target_names
from djvet.astro.names import resolve_dotted
from djvet.astro.querysets import enclosing_function, find_local_value, loaded_by
from djvet.engine import ModuleContext
from djvet.index.querysets import Loaded, relation_step

# Manager / queryset methods returning one instance (sync, and awaited async)
FETCH_ONE = frozenset({"get", "first", "last", "earliest", "latest", "create"})
AFETCH_ONE = frozenset({"aget", "afirst", "alast", "aearliest", "alatest", "acreate"})
GET_OBJECT = frozenset({"django.shortcuts.get_object_or_404", "rest_framework.generics.get_object_or_404"})
MODEL_SIGNALS = frozenset({"pre_save", "post_save", "pre_delete", "post_delete", "m2m_changed", "post_init"})
USER_MODEL = "django.contrib.auth.models.User"
_MAX_DEPTH = 4


@dataclass(frozen=True, slots=True)
class Instance:
    model: str  # qualname of the model (a project model, or Django's User)
    # what the queryset it was fetched from loads (its select_related), when djvet traced it
    loaded: Loaded | None = None
    awaited: bool = False  # fetched with an awaited async method (`await qs.aget()`)


def find_instance(node: nodes.NodeNG, ctx: ModuleContext, depth: int = 0) -> Instance | None:
    """The model instance `node` evaluates to, or None when djvet cannot know."""
    if depth > _MAX_DEPTH or ctx.module not in ctx.index.modules:
        return None
    if isinstance(node, nodes.Name):
        return _name_instance(node, ctx, depth)
    if isinstance(node, nodes.Attribute):
        if node.attrname == "user" and dotted(node.expr) in ("request", "self.request", "info.context"):
            return Instance(ctx.index.user_model or USER_MODEL)
        owner = find_instance(node.expr, ctx, depth + 1)
        if owner is None:
            return None
        step = relation_step(ctx.index, owner.model, node.attrname)
        if step is None or step[0] not in ("fk", "o2o", "o2o-reverse") or step[1] is None:
            return None
        return Instance(step[1])
    return _value_instance(node, ctx, depth)


def _name_instance(node: nodes.Name, ctx: ModuleContext, depth: int) -> Instance | None:
    function = enclosing_function(node)
    if function is None:
        return None
    if node.name in function.argnames():
        return _parameter_instance(function, node.name, ctx)
    for loop in enclosing_loops(node):
        if node.name in target_names(loop.target):
            rows = find_rows(loop, ctx)
            if rows is None or rows.var != node.name:
                return None
            awaited = isinstance(loop.node, nodes.AsyncFor) or getattr(loop.node, "is_async", False) is True
            return Instance(rows.loaded.model, rows.loaded, awaited)
    value = find_local_value(function, node.name, node.lineno or 0)
    return _value_instance(value, ctx, depth + 1) if value is not None else None


def _value_instance(value: nodes.NodeNG, ctx: ModuleContext, depth: int) -> Instance | None:
    awaited = isinstance(value, nodes.Await)
    if awaited:
        value = value.value
    if not isinstance(value, nodes.Call):
        plain = isinstance(value, (nodes.Name, nodes.Attribute)) and not awaited
        return find_instance(value, ctx, depth + 1) if plain else None
    func = value.func
    if isinstance(func, nodes.Attribute) and func.attrname in (AFETCH_ONE if awaited else FETCH_ONE):
        if func.attrname in ("get", "aget") and dotted(func.expr) == "self":
            return None
        loaded = loaded_by(func.expr, ctx)
        return Instance(loaded.model, loaded, awaited) if loaded is not None and not loaded.values else None
    if awaited:
        return None
    if isinstance(func, nodes.Attribute) and func.attrname == "get_object" and dotted(func.expr) == "self":
        return _view_model_instance(value, ctx)
    resolved = resolve_dotted(func, ctx)
    if resolved is not None and resolved in ctx.index.models:
        return Instance(resolved)
    if resolved in GET_OBJECT and value.args:
        model = resolve_dotted(value.args[0], ctx)
        if model is not None and model in ctx.index.models:
            return Instance(model)
        loaded = loaded_by(value.args[0], ctx)
        return Instance(loaded.model, loaded) if loaded is not None and not loaded.values else None
    return None


def _view_model_instance(node: nodes.NodeNG, ctx: ModuleContext) -> Instance | None:
    function = enclosing_function(node)
    if function is None or not isinstance(function.parent, nodes.ClassDef):
        return None
    view = ctx.index.views.get(ctx.qualname(function.parent))
    model = view.queryset.model if view is not None and view.queryset is not None else None
    return Instance(model) if model is not None else None


def _parameter_instance(function: nodes.FunctionDef, name: str, ctx: ModuleContext) -> Instance | None:
    """`self` of a model method, a parameter annotated with a model, a model signal receiver's
    `instance`, and the `instance` DRF hands to `perform_destroy`."""
    cls = function.parent if isinstance(function.parent, nodes.ClassDef) else None
    written = function.decorators.nodes if function.decorators else []
    decorators = [dotted(d.func if isinstance(d, nodes.Call) else d) or "" for d in written]
    if name == "self" and cls is not None and function.argnames()[:1] == ["self"]:
        if any(d.rpartition(".")[2] in ("classmethod", "staticmethod") for d in decorators):
            return None
        qualname = ctx.qualname(cls)
        return Instance(qualname) if qualname in ctx.index.models else None
    annotation = _annotation(function, name)
    if annotation is not None:
        model = resolve_dotted(annotation, ctx)
        return Instance(model) if model is not None and model in ctx.index.models else None
    if name == "instance" and cls is None:
        return _signal_sender(function, ctx)
    if name == "instance" and cls is not None and function.name == "perform_destroy":
        return _view_model_instance(function.body[0] if function.body else function, ctx)
    return None


def _annotation(function: nodes.FunctionDef, name: str) -> nodes.NodeNG | None:
    args = function.args
    pairs = [
        *zip(args.posonlyargs or [], args.posonlyargs_annotations or []),
        *zip(args.args or [], args.annotations or []),
        *zip(args.kwonlyargs or [], args.kwonlyargs_annotations or []),
    ]
    for arg, annotation in pairs:
        if arg.name == name:
            return annotation if isinstance(annotation, (nodes.Name, nodes.Attribute)) else None
    return None


def _signal_sender(function: nodes.FunctionDef, ctx: ModuleContext) -> Instance | None:
    """`@receiver(post_save, sender=Book)`: `instance` is a Book."""
    for decorator in function.decorators.nodes if function.decorators else ():
        if not isinstance(decorator, nodes.Call) or (dotted(decorator.func) or "").rpartition(".")[2] != "receiver":
            continue
        signal = dotted(decorator.args[0]) if decorator.args else None
        sender = next((k.value for k in decorator.keywords or () if k.arg == "sender"), None)
        if signal is None or signal.rpartition(".")[2] not in MODEL_SIGNALS or sender is None:
            continue
        model = resolve_dotted(sender, ctx)
        if model is not None and model in ctx.index.models:
            return Instance(model)
    return None
