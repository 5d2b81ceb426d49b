"""DJV104 serializer-method-field-query: see rules/DJV104.yaml."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from astroid import nodes

from djvet.astro.exprs import dotted
from djvet.engine import ModuleContext
from djvet.index.deps import shared
from djvet.index.expr import Call, Const
from djvet.index.facts import ProjectIndex
from djvet.index.objreads import COUNT, LOAD, QUERY, Access, Segment, first_unloaded, lookup, manager_model, model_name, walk
from djvet.index.serving import Visit, renders, serializer_visits
from djvet.rule import Hit, Rule

SKIPPED_KINDS = frozenset({"tests", "migrations"})
METHOD_FIELD = "SerializerMethodField"
# The method checks what the queryset brought before querying: djvet cannot tell which branch runs.
GUARDS = frozenset({"hasattr", "getattr"})


@dataclass(frozen=True, slots=True)
class MethodUse:
    """A SerializerMethodField whose `get_<name>` method is written in the module being checked."""

    serializer: str  # qualname of the serializer that declares or inherits the field
    field: str
    method: str  # qualname of the method


class SerializerMethodFieldQuery(Rule):
    code = "DJV104"

    def applies_to(self, ctx: ModuleContext) -> bool:
        # only the method fields here: where serializers render (every view and call site) is
        # computed when a module has some
        return not (ctx.kinds & SKIPPED_KINDS) and bool(_method_uses_by_module(ctx.index).get(ctx.module))

    def check_module(self, node: nodes.Module, ctx: ModuleContext) -> Iterator[Hit]:
        project = _project(ctx.index)
        uses = project.uses.get(ctx.module, [])
        if not uses:
            return
        functions = {ctx.qualname(f): f for f in node.nodes_of_class(nodes.FunctionDef)}
        reported: set[tuple[int, int]] = set()
        visits = project.visits
        for use in uses:
            function = functions.get(use.method)
            if function is None:
                continue
            fact = ctx.index.serializers[use.serializer]
            own = visits.get(use.serializer, [])
            models = sorted({m for m in (fact.model, *(v.model for v in own)) if m is not None}) or [None]
            for model in models:
                for target, access in _method_reads(function, model, ctx):
                    hit = _judge(ctx.index, project, use, fact.name, target, access, [v for v in own if v.model == model], own)
                    key = (target.lineno or 0, target.col_offset or 0)
                    if hit is not None and key not in reported:
                        reported.add(key)
                        yield hit


@dataclass(frozen=True, slots=True)
class Project:
    uses: Mapping[str, list[MethodUse]]  # module -> the method fields whose method is written there
    visits: Mapping[str, list[Visit]]  # serializer -> where it renders objects
    bases: frozenset[str]  # serializers other project serializers subclass


def _method_uses_by_module(index: ProjectIndex) -> Mapping[str, list[MethodUse]]:
    return shared("djv104-uses", index, _method_uses)


def _project(index: ProjectIndex) -> Project:
    """Computed once per index; each piece is looked up by key (see index.deps)."""
    return Project(
        _method_uses_by_module(index),
        shared("serializer-visits-by-serializer", index, _visits_by_serializer),
        shared("serializer-bases", index, _serializer_bases),
    )


def _visits_by_serializer(index: ProjectIndex) -> dict[str, list[Visit]]:
    visits: dict[str, list[Visit]] = {}
    for visit in serializer_visits(index):
        visits.setdefault(visit.serializer, []).append(visit)
    return visits


def _serializer_bases(index: ProjectIndex) -> frozenset[str]:
    return frozenset(a for fact in index.serializers.values() for a in fact.ancestors[1:])


def _method_uses(index: ProjectIndex) -> dict[str, list[MethodUse]]:
    uses: dict[str, list[MethodUse]] = {}
    for fact in index.serializers.values():
        for field in fact.declared.values():
            if field.field_class.rsplit(".", 1)[-1] != METHOD_FIELD or not renders(fact, field.name):
                continue
            name = f"get_{field.name}"
            value = index.classes[field.declared_in].attrs.get(field.name)
            if isinstance(value, Call):
                given = value.arg(0, "method_name")
                if given is not None:
                    if not (isinstance(given, Const) and isinstance(given.value, str)):
                        continue
                    name = given.value
            for ancestor in fact.ancestors:
                info = index.classes.get(ancestor)
                if info is not None and name in info.methods:
                    uses.setdefault(info.module, []).append(MethodUse(fact.qualname, field.name, info.methods[name].qualname))
                    break
    return {module: sorted(found, key=lambda u: (u.method, u.serializer, u.field)) for module, found in uses.items()}


# ---- what the method reads ------------------------------------------------------------------------


def _method_reads(function: nodes.FunctionDef, model: str | None, ctx: ModuleContext) -> Iterator[tuple[nodes.NodeNG, Access]]:
    obj = _object_parameter(function)
    if obj is None:
        return
    if _is_guarded(function, obj):
        return
    for name in function.nodes_of_class(nodes.Name):
        if name.name != obj or model is None:
            continue
        segments, top = _chain(name)
        for access in walk(ctx.index, model, segments, text=obj):
            yield top, access
    for attribute in function.nodes_of_class(nodes.Attribute):
        written = dotted(attribute)
        if written is None or manager_model(ctx.index, ctx.module, written) is None:
            continue
        segments, top = _chain(attribute)
        if segments and segments[0].called:
            text = written + "".join(s.text() for s in segments)
            yield top, Access((), QUERY, text)


def _object_parameter(function: nodes.FunctionDef) -> str | None:
    """The parameter DRF passes the object in: `get_x(self, obj)`, or `get_x(obj)` if static."""
    args = [a.name for a in function.args.args or []]
    decorators = function.decorators.nodes if function.decorators is not None else []
    if not decorators:
        return args[1] if len(args) >= 2 else None
    if len(decorators) == 1 and isinstance(decorators[0], nodes.Name) and decorators[0].name == "staticmethod":
        return args[0] if args else None
    return None


def _is_guarded(function: nodes.FunctionDef, obj: str) -> bool:
    """`hasattr(obj, "x")` / `getattr(obj, "x", default)`, a cache lookup (`cache.get_or_set`),
    a reassigned `obj`: djvet cannot tell how often the query runs. Silence."""
    for call in function.nodes_of_class(nodes.Call):
        if isinstance(call.func, nodes.Name) and call.func.name in GUARDS and call.args:
            first = call.args[0]
            if isinstance(first, nodes.Name) and first.name == obj:
                return True
        written = dotted(call.func) or ""
        if "cache" in written.lower() and not written.startswith(obj + "."):
            return True
    if any(a.name == obj and not isinstance(a.parent, nodes.Arguments) for a in function.nodes_of_class(nodes.AssignName)):
        return True
    return "_prefetched_objects_cache" in function.as_string()


def _chain(node: nodes.NodeNG) -> tuple[list[Segment], nodes.NodeNG]:
    """The attributes read and methods called on `node`, and the outermost expression of the chain."""
    segments: list[Segment] = []
    current = node
    while isinstance(current.parent, nodes.Attribute) and current.parent.expr is current:
        attribute = current.parent
        current = attribute
        call = current.parent if isinstance(current.parent, nodes.Call) and current.parent.func is current else None
        if call is not None:
            current = call
        segments.append(Segment(attribute.attrname, call is not None, bool(call is not None and (call.args or call.keywords))))
    return segments, current


# ---- whether it runs once per object of a list -------------------------------------------------------


def _judge(
    index: ProjectIndex,
    project: Project,
    use: MethodUse,
    serializer: str,
    target: nodes.NodeNG,
    access: Access,
    visits: list[Visit],
    every: list[Visit],
) -> Hit | None:
    lists = [v for v in every if v.many]
    if every and not lists:
        return None  # rendered one object at a time only (detail views): no N+1
    unknown = not every and use.serializer not in project.bases
    known = [v for v in visits if v.many and v.serving.loaded is not None]
    missing = [v for v in known if first_unloaded(index, v.serving.loaded, v.prefix, access.path) is not None]  # type: ignore[arg-type]
    context = ""
    if access.cost == QUERY:
        if not (lists or unknown):
            return None
        if lists:
            context = _listed_by(lists)
    elif known and missing:
        first = _first(missing)
        position = first_unloaded(index, first.serving.loaded, first.prefix, access.path)  # type: ignore[arg-type]
        steps = (*first.prefix, *access.path[: (position or 0) + 1])
        context = f", and the queryset of `{first.serving.view}` ({first.serving.where}) does not load `{lookup(steps)}`"
        context += _more(missing)
    elif access.cost == COUNT and not known and (lists or unknown) and access.path:
        context = _listed_by(lists) if lists else ""
    else:
        return None
    what = _what(index, access)
    method = use.method.rsplit(".", 1)[-1]
    return Hit(target, {"serializer": serializer, "field": use.field, "what": what, "method": method, "context": context})


def _what(index: ProjectIndex, access: Access) -> str:
    through = f" through `{access.via}`" if access.via else ""
    if access.cost == LOAD and access.path:
        step = access.path[-1]
        return f"loads `{model_name(index, step.owner)}.{step.attr}` (`{access.query}`){through}"
    return f"runs `{access.query}`{through}"


def _first(visits: list[Visit]) -> Visit:
    # the serializer's own list first, then lists that nest it
    return min(visits, key=lambda v: (len(v.prefix), v.serving.path, v.serving.line, v.serving.view))


def _listed_by(visits: list[Visit]) -> str:
    first = _first(visits)
    return f", listed by `{first.serving.view}` ({first.serving.where})" + _more(visits)


def _more(visits: list[Visit]) -> str:
    others = len({v.serving for v in visits}) - 1
    return f" (and {others} more view{'s' if others > 1 else ''})" if others else ""
