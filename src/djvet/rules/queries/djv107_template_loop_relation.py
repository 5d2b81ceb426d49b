"""DJV107 template-loop-relation: see rules/DJV107.yaml."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from astroid import nodes

from djvet.astro.classes import find_class_assignment
from djvet.astro.exprs import dotted
from djvet.astro.loops import Rows, origin, short_source
from djvet.astro.querysets import enclosing_function, find_local_value, loaded_by
from djvet.astro.rendering import (
    RENDER_CALL_NAMES,
    TEMPLATE_MODULES,
    RenderedTemplate,
    context_entries,
    find_rendered,
    find_template_file,
)
from djvet.engine import ModuleContext
from djvet.finding import Edit
from djvet.index.deps import shared
from djvet.index.facts import ProjectIndex
from djvet.index.querysets import Loaded, index_resolver
from djvet.index.relation_walks import Read, RelationWalker, default_loaded, find_method
from djvet.index.templates import LoopRead, loop_reads, template_loop_reads
from djvet.rule import Hit, Rule

LIST_VIEWS = frozenset({"django.views.generic.ListView", "django.views.generic.list.ListView"})
ROW_WRAPPERS = frozenset({"list", "tuple", "sorted"})
MAX_HOPS = 4


@dataclass(frozen=True, slots=True)
class TemplateReads:
    name: str  # as shown in messages: the path from the project root, or "inline template"
    reads: tuple[LoopRead, ...]


class TemplateLoopRelation(Rule):
    code = "DJV107"
    needs_text = ("render", "Template", "ListView", "template_name")

    def applies_to(self, ctx: ModuleContext) -> bool:
        if ctx.kinds & {"tests", "migrations"}:
            return False
        module = ctx.index.module_for_path(ctx.relpath)
        if module is None:
            return super().applies_to(ctx)
        imports_templates = any(v.startswith(TEMPLATE_MODULES) or v == "django" for v in module.imports.values())
        return (imports_templates and super().applies_to(ctx)) or _has_list_views(ctx)

    def check_call(self, node: nodes.Call, ctx: ModuleContext) -> Iterator[Hit]:
        name = node.func.attrname if isinstance(node.func, nodes.Attribute) else getattr(node.func, "name", None)
        if name not in RENDER_CALL_NAMES:
            return
        found = _rendered(node, ctx)
        if found is None:
            return
        template, context = found
        entries = context_entries(context, node, ctx)
        for key, value in entries.items():
            reads = [r for r in template.reads if r.root == key]
            if reads:
                yield from _check_rows(ctx, template, reads, *_rows_source(value, ctx))

    def check_classdef(self, node: nodes.ClassDef, ctx: ModuleContext) -> Iterator[Hit]:
        view = ctx.qualname(node)
        if not _is_list_view(ctx, view) or find_method(ctx.index, view, "get_template_names"):
            return
        if _is_base_view(ctx.index, view):
            return  # its subclasses are the views that render: each is checked with its own queryset
        found = _list_queryset(node, view, ctx)
        if found is None:
            return
        loaded, report, edit_target, where = found
        template = _list_template(ctx, view, loaded)
        if template is None:
            return
        names = {"object_list", "page_obj", *_context_object_names(ctx, view, loaded)}
        reads = [r for r in template.reads if r.root in names]
        if reads:
            yield from _hits(ctx, template, reads, loaded, report, edit_target, where)


def _check_rows(ctx: ModuleContext, template: TemplateReads, reads: list[LoopRead], source: nodes.NodeNG | None, report: nodes.NodeNG) -> Iterator[Hit]:
    if source is None:
        return
    loaded = loaded_by(source, ctx)
    if loaded is None or loaded.values:
        return
    yield from _hits(ctx, template, reads, loaded, report, source, _origin(source, loaded, ctx))


def _hits(
    ctx: ModuleContext, template: TemplateReads, reads: list[LoopRead], loaded: Loaded, report: nodes.NodeNG, target: nodes.NodeNG | None, origin: str
) -> Iterator[Hit]:
    walker = RelationWalker(ctx.index, loaded, python=False)
    first: dict[int, LoopRead] = {}
    for read in reads:
        before = len(walker.misses)
        walker.walk(Read(read.chain, True, read.rendered, read.line))
        for position in range(before, len(walker.misses)):
            first[id(walker.misses[position])] = read
    for miss in walker.final_misses():
        read = first[id(miss)]
        method, argument = ("select_related" if miss.select else "prefetch_related"), miss.path
        edit = _edit(target, method, argument, ctx) if not loaded.select_all else None
        yield Hit(
            report,
            {
                "relation": miss.describe(ctx.index),
                "via": f" (in `{miss.via}`)" if miss.via else "",
                "loop": read.loop,
                "template": template.name,
                "line": read.line,
                "origin": origin,
                "method": method,
                "argument": argument,
                "queryset": short_source(target) if target is not None else "the queryset",
            },
            edit=edit,
        )


def _origin(source: nodes.NodeNG, loaded: Loaded, ctx: ModuleContext) -> str:
    """`the queryset from line 12`, or from `path:line` when a helper in another file builds it."""
    return f"the queryset from {origin(Rows('', loaded, source, False, False), ctx)}"


def _edit(target: nodes.NodeNG | None, method: str, argument: str, ctx: ModuleContext) -> Edit | None:
    if not isinstance(target, nodes.Call) or target.lineno is None or target.end_lineno is None:
        return None
    return Edit(
        target.lineno,
        ctx.char_column(target.lineno, target.col_offset or 0) + 1,
        target.end_lineno,
        ctx.char_column(target.end_lineno, target.end_col_offset or 0) + 1,
        method,
        argument,
    )


# ---- function views: render(request, "name.html", {"books": qs}) and friends ----------------------


def _rendered(node: nodes.Call, ctx: ModuleContext) -> tuple[TemplateReads, nodes.NodeNG] | None:
    found = find_rendered(node, ctx)
    if found is None:
        return None
    template, context = found
    reads = _reads_of(template)
    return (reads, context) if reads is not None else None


def _reads_of(template: RenderedTemplate) -> TemplateReads | None:
    if template.path is None:
        return TemplateReads(template.name, loop_reads(template.source or ""))
    reads = template_loop_reads(template.path)
    return TemplateReads(template.name, reads) if reads is not None else None


def _rows_source(value: nodes.NodeNG, ctx: ModuleContext) -> tuple[nodes.NodeNG | None, nodes.NodeNG]:
    """(the queryset expression the rows come from, the node to report on)."""
    report, node = value, value
    function = enclosing_function(value)
    for _ in range(MAX_HOPS):
        if isinstance(node, nodes.Call) and isinstance(node.func, nodes.Name) and node.func.name in ROW_WRAPPERS and node.args:
            node = node.args[0]
        elif isinstance(node, nodes.Subscript) and isinstance(node.slice, nodes.Slice):
            node = node.value
        elif isinstance(node, nodes.Name) and function is not None:
            found = find_local_value(function, node.name, node.lineno or 0)
            if found is None:
                return None, report
            node = found
        else:
            break
    return node, report


# ---- class-based views: ListView ------------------------------------------------------------------


def _has_list_views(ctx: ModuleContext) -> bool:
    module = ctx.index.module_for_path(ctx.relpath)
    return module is not None and any(_is_list_view(ctx, cls) for cls in module.classes)


def _is_list_view(ctx: ModuleContext, view: str) -> bool:
    mro = ctx.index.mros.get(view, ())
    outside = [c for c in mro if c not in ctx.index.classes and c not in ("object", "builtins.object")]
    return bool(set(outside) & LIST_VIEWS) and all(c.startswith("django.") for c in outside)


def _is_base_view(index: ProjectIndex, view: str) -> bool:
    """A view that project classes subclass and no URL routes to."""
    return view in shared("unrouted-base-classes", index, _unrouted_bases)


def _unrouted_bases(index: ProjectIndex) -> dict[str, bool]:
    bases = {base for cls, mro in index.mros.items() for base in mro[1:] if base in index.classes}
    routed = {route.view for route in index.routes if route.view}
    return dict.fromkeys(sorted(bases - routed), True)


def _list_queryset(node: nodes.ClassDef, view: str, ctx: ModuleContext) -> tuple[Loaded, nodes.NodeNG, nodes.NodeNG | None, str] | None:
    """MultipleObjectMixin.get_queryset: an overridden get_queryset, else `queryset.all()`, else
    `model._default_manager.all()`: (what it loads, report node, edit target, origin)."""
    index = ctx.index
    found = find_method(index, view, "get_queryset")
    if found is not None:
        own = next((m for m in node.mymethods() if m.name == "get_queryset"), None) if found[0] == view else None
        returns = [r for r in own.nodes_of_class(nodes.Return) if r.scope() is own] if own is not None else []
        if len(returns) != 1 or returns[0].value is None:
            return None
        source, report = _rows_source(returns[0].value, ctx)
        loaded = loaded_by(source, ctx) if source is not None else None
        return (loaded, report, source, _origin(source, loaded, ctx)) if loaded is not None and source is not None else None
    for attr in ("queryset", "model"):
        for ancestor in index.mros.get(view, (view,)):
            info = index.classes.get(ancestor)
            if info is None or attr not in info.attrs:
                continue
            if ancestor != view:
                return None  # inherited: reported on the class that writes it
            statement = find_class_assignment(node, attr)
            value = statement.value if statement is not None else None
            if value is None:
                return None
            if attr == "queryset":
                loaded = loaded_by(value, ctx)
                return (loaded, value, value, _origin(value, loaded, ctx)) if loaded is not None else None
            model = index_resolver(index).resolve(ctx.module, dotted(value) or "")
            loaded = default_loaded(index, model) if model in index.models else None
            name = index.models[model].name if loaded is not None else ""
            return (loaded, value, None, f"`{name}._default_manager.all()` (`model = {name}`)") if loaded is not None else None
    return None


def _list_template(ctx: ModuleContext, view: str, loaded: Loaded) -> TemplateReads | None:
    index = ctx.index
    for ancestor in index.mros.get(view, (view,)):
        info = index.classes.get(ancestor)
        if info is not None and "template_name" in info.attrs:
            value = info.attrs["template_name"]
            name = getattr(value, "value", None)
            return _template_file(ctx, name) if isinstance(name, str) else None
    model = index.models[loaded.model]
    # MultipleObjectTemplateResponseMixin: "<app_label>/<model_name>_list.html"
    return _template_file(ctx, f"{model.app_label}/{model.name.lower()}_list.html")


def _template_file(ctx: ModuleContext, name: str) -> TemplateReads | None:
    template = find_template_file(ctx, name)
    return _reads_of(template) if template is not None else None


def _context_object_names(ctx: ModuleContext, view: str, loaded: Loaded) -> set[str]:
    if find_method(ctx.index, view, "get_context_object_name"):
        return set()
    for ancestor in ctx.index.mros.get(view, (view,)):
        info = ctx.index.classes.get(ancestor)
        if info is not None and "context_object_name" in info.attrs:
            name = getattr(info.attrs["context_object_name"], "value", None)
            return {name} if isinstance(name, str) else set()
    return {f"{ctx.index.models[loaded.model].name.lower()}_list"}
