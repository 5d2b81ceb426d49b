"""Where a view renders a template: the template Django would load and the context it is given.

`render(request, "app/x.html", {...})`, `TemplateResponse`, `render_to_string`,
`get_template("app/x.html").render({...})` and `Template("...").render(Context({...}))`, with a dict
literal or a local dict changed only by `context["key"] = value`. Shared by the rules that read
templates (DJV107, DJV404)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from astroid import nodes

from djvet.astro.exprs import dotted
from djvet.astro.querysets import enclosing_function, find_local_value
from djvet.engine import ModuleContext
from djvet.index.querysets import index_resolver
from djvet.index.templates import find_template, template_relpath

# function -> (position of the template name, of the context) in its arguments
RENDER_FUNCTIONS = {
    "django.shortcuts.render": (1, 2),
    "django.shortcuts.render_to_response": (0, 1),
    "django.template.loader.render_to_string": (0, 1),
    "django.template.response.TemplateResponse": (1, 2),
    "django.template.response.SimpleTemplateResponse": (0, 1),
}
RENDER_CALL_NAMES = frozenset({*(f.rsplit(".", 1)[1] for f in RENDER_FUNCTIONS), "render"})
# A module that renders templates imports from these.
TEMPLATE_MODULES = ("django.shortcuts", "django.template")
TEMPLATE_CLASSES = frozenset({"django.template.Template", "django.template.base.Template"})
GET_TEMPLATE = frozenset({"django.template.loader.get_template"})
CONTEXT_CLASSES = frozenset({"django.template.Context", "django.template.RequestContext", "django.template.context.Context"})
MAX_HOPS = 4


@dataclass(frozen=True, slots=True)
class RenderedTemplate:
    name: str  # as shown in messages: the path from the project root, or "inline template"
    path: Path | None  # the file, None for an inline template
    source: str | None = None  # the inline template's text


def find_rendered(node: nodes.Call, ctx: ModuleContext) -> tuple[RenderedTemplate, nodes.NodeNG] | None:
    """The template a call renders and the context node it renders it with."""
    name = dotted(node.func)
    resolved = index_resolver(ctx.index).resolve(ctx.module, name) if name else None
    if resolved in RENDER_FUNCTIONS:
        template_at, context_at = RENDER_FUNCTIONS[resolved]
        template = _template_named(ctx, argument(node, template_at, "template_name") or argument(node, template_at, "template"))
        context = argument(node, context_at, "context")
    elif isinstance(node.func, nodes.Attribute) and node.func.attrname == "render":
        template = _template_object(ctx, node.func.expr, node)
        context = argument(node, 0, "context")
    else:
        return None
    if template is None or context is None:
        return None
    return template, context


def find_template_file(ctx: ModuleContext, name: str) -> RenderedTemplate | None:
    path = find_template(ctx.index, name)
    if path is None:
        return None
    # template_relpath reads index.root where index.deps allows it (the template folders are fingerprinted)
    return RenderedTemplate(template_relpath(ctx.index, path), Path(path))


def argument(node: nodes.Call, position: int, name: str) -> nodes.NodeNG | None:
    if position < len(node.args) and not isinstance(node.args[position], nodes.Starred):
        return node.args[position]
    return next((k.value for k in node.keywords or () if k.arg == name), None)


def _template_named(ctx: ModuleContext, node: nodes.NodeNG | None) -> RenderedTemplate | None:
    if not isinstance(node, nodes.Const) or not isinstance(node.value, str):
        return None
    return find_template_file(ctx, node.value)


def _template_object(ctx: ModuleContext, node: nodes.NodeNG, at: nodes.NodeNG) -> RenderedTemplate | None:
    """`get_template("name")` or `Template("{% for ... %}")`, directly or through a name."""
    for _ in range(MAX_HOPS):
        if not isinstance(node, nodes.Name):
            break
        value = _value_of(node, at)
        if value is None:
            return None
        node = value
    if not isinstance(node, nodes.Call) or not node.args:
        return None
    name = dotted(node.func)
    resolved = index_resolver(ctx.index).resolve(ctx.module, name) if name else None
    if resolved in GET_TEMPLATE:
        return _template_named(ctx, node.args[0])
    if resolved in TEMPLATE_CLASSES and isinstance(node.args[0], nodes.Const) and isinstance(node.args[0].value, str):
        return RenderedTemplate("inline template", None, node.args[0].value)
    return None


def _value_of(name: nodes.Name, at: nodes.NodeNG) -> nodes.NodeNG | None:
    """The value of a local assigned once before `at`, or of a module-level name assigned once."""
    function = enclosing_function(at)
    if function is not None and name.name in function.locals:
        return find_local_value(function, name.name, at.lineno or 0)
    assigned = name.root().locals.get(name.name, [])
    if len(assigned) != 1 or not isinstance(assigned[0], nodes.AssignName):
        return None
    statement = assigned[0].statement()
    return statement.value if isinstance(statement, nodes.Assign) and len(statement.targets) == 1 else None


def context_entries(node: nodes.NodeNG, at: nodes.Call, ctx: ModuleContext) -> dict[str, nodes.NodeNG]:
    """Context key -> value node, for a dict literal (or `dict(...)`, `Context(...)`) written in
    the call or assigned to a local that is changed only by `context["key"] = value` after."""
    if isinstance(node, nodes.Call):
        name = dotted(node.func)
        resolved = index_resolver(ctx.index).resolve(ctx.module, name) if name else None
        if resolved in CONTEXT_CLASSES:
            inner = node.args[-1] if node.args else None
            return context_entries(inner, at, ctx) if inner is not None else {}
        if name == "dict" and not node.args:
            return {k.arg: k.value for k in node.keywords or () if k.arg}
        return {}
    if isinstance(node, nodes.Dict):
        return {k.value: v for k, v in node.items if isinstance(k, nodes.Const) and isinstance(k.value, str)}
    if isinstance(node, nodes.Name):
        return _local_context(node, at, ctx)
    return {}


def _local_context(name: nodes.Name, at: nodes.Call, ctx: ModuleContext) -> dict[str, nodes.NodeNG]:
    function = enclosing_function(at)
    value = find_local_value(function, name.name, at.lineno or 0) if function is not None else None
    if value is None or isinstance(value, nodes.Name):
        return {}
    entries = context_entries(value, at, ctx)
    start = value.lineno or 0
    for use in function.nodes_of_class(nodes.Name):  # type: ignore[union-attr]
        if use.name != name.name or use is name or not start < (use.lineno or 0) <= (at.lineno or 0):
            continue
        parent = use.parent
        target = parent if isinstance(parent, nodes.Subscript) and parent.value is use else None
        statement = target.parent if target is not None else None
        if target is None or not isinstance(statement, nodes.Assign) or target not in statement.targets:
            return {}  # passed somewhere, updated, read: djvet cannot know what it holds
        key = target.slice.value if isinstance(target.slice, nodes.Const) else None
        if not isinstance(key, str) or statement.parent is not function:
            return {}
        entries[key] = statement.value
    return entries
