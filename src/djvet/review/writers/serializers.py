"""Guidance for family 3 (serializers): the explicit `fields` list that replaces `"__all__"` or
`exclude`, computed from the model in the index, as a patch against the file."""

from __future__ import annotations

from dataclasses import replace

from djvet.finding import Finding
from djvet.index.facts import ModelFact, ProjectIndex, SerializerFact
from djvet.review.guidance import GuidanceContext, Recommendation, RuleGroup, default_writer, first_paragraph, register_writer
from djvet.review.patches import insert_after, read, replace_statement, unified_diff, wrap_list

KEEP_NOTE = (
    "The list reproduces what the serializer publishes today, so the patch changes no response; "
    "then delete every name a client must not read or write."
)


def serializer_at(index: ProjectIndex, path: str, line: int) -> SerializerFact | None:
    """The innermost serializer class whose body holds `line` of `path`."""
    best = None
    for fact in index.serializers.values():
        info = index.classes.get(fact.qualname)
        if fact.path == path and info is not None and info.line <= line <= info.end_line:
            if best is None or info.line > index.classes[best.qualname].line:
                best = fact
    return best


def explicit_fields(model: ModelFact, serializer: SerializerFact, excluded: tuple[str, ...] = ()) -> list[str]:
    names = [] if any(f.options.get("primary_key") is True for f in model.fields.values()) else ["id"]
    names += [n for n in model.fields if n not in names]
    names += [n for n in serializer.declared if n not in names]
    return [n for n in names if n not in excluded]


def _subclasses(index: ProjectIndex, meta: str, serializer: str) -> list[SerializerFact]:
    return sorted((s for s in index.serializers.values() if s.fields_origin == meta and s.qualname != serializer), key=lambda s: (s.path, s.line))


def _patch(ctx: GuidanceContext, serializer: SerializerFact, origin: str | None, attr: str, lines: list[str]) -> str | None:
    """Replace `attr` in the serializer's own Meta when it is set there, else add the lines to it."""
    text = read(ctx.root, serializer.path)
    own = ctx.index.classes.get(serializer.own_meta or "")
    if text is None or own is None:
        return None
    if origin == serializer.own_meta and attr in own.attr_lines:
        updated = replace_statement(text, own.attr_lines[attr], lines)
    else:
        last = max(own.attr_lines.values(), default=None)
        if last is None:
            return None
        updated = insert_after(text, last, lines)
    return unified_diff(serializer.path, text, updated) if updated is not None else None


def _base_without_model(ctx: GuidanceContext, finding: Finding, serializer: SerializerFact, group: RuleGroup) -> Recommendation:
    text = read(ctx.root, serializer.path)
    own = ctx.index.classes.get(serializer.own_meta or "")
    patch = None
    if text is not None and own is not None and "fields" in own.attr_lines:
        updated = replace_statement(text, own.attr_lines["fields"], [])
        patch = unified_diff(serializer.path, text, updated) if updated is not None else None
    heirs = _subclasses(ctx.index, serializer.own_meta or "", serializer.qualname)
    listed = ", ".join(f"`{s.name}` ({s.path}:{s.line})" for s in heirs) or "none in the project"
    return Recommendation(
        title=f"`{serializer.name}`: let each subclass choose its fields",
        code=group.code,
        severity=group.meta.severity,
        what=(
            f"`{serializer.name}` has no model, so it cannot know which fields are safe: remove `fields` from its `Meta` "
            f"and give every subclass an explicit `fields` list. Subclasses that inherit `\"__all__\"` today: {listed}."
        ),
        findings=(finding,),
        patch=patch,
        why=first_paragraph(group.meta.docs.why),
        docs=ctx.docs_for("3"),
    )


def _explicit(ctx: GuidanceContext, finding: Finding, serializer: SerializerFact, model: ModelFact, group: RuleGroup) -> Recommendation:
    exclude = serializer.exclude if group.code == "DJV302" and isinstance(serializer.exclude, tuple) else ()
    names = explicit_fields(model, serializer, exclude)
    lines = wrap_list("fields = ", names)
    if group.code == "DJV302":
        origin, attr = serializer.exclude_origin, "exclude"
        if origin != serializer.own_meta:
            lines = lines + ["exclude = None"]
        what = f"Replace `exclude` in `{serializer.name}.Meta` by the allow list of fields it publishes today."
    else:
        origin, attr = serializer.fields_origin, "fields"
        where = "its" if origin == serializer.own_meta else f"its own `Meta` (it inherits `\"__all__\"` from `{(origin or '?').rsplit('.', 2)[-2]}`)"
        what = f"List the fields of `{serializer.name}` explicitly in {where}."
    return Recommendation(
        title=f"`{serializer.name}`: an explicit `fields` list",
        code=group.code,
        severity=group.meta.severity,
        what=f"{what} {KEEP_NOTE}",
        findings=(finding,),
        patch=_patch(ctx, serializer, origin, attr, lines),
        pattern=None,
        why=first_paragraph(group.meta.docs.why),
        docs=ctx.docs_for("3"),
    )


@register_writer("DJV301", "DJV302")
def serializer_fields(group: RuleGroup, ctx: GuidanceContext) -> list[Recommendation]:
    out = []
    leftovers = []
    for finding in group.findings:
        serializer = serializer_at(ctx.index, finding.path, finding.line)
        model = ctx.index.models.get(serializer.model or "") if serializer else None
        if serializer is not None and model is not None:
            recommendation = _explicit(ctx, finding, serializer, model, group)
        elif serializer is not None and serializer.model is None and serializer.model_written is None:
            recommendation = _base_without_model(ctx, finding, serializer, group)
        else:
            leftovers.append(finding)
            continue
        if recommendation.patch is None:
            recommendation = _with_pattern(recommendation, group)
        out.append(recommendation)
    if leftovers:
        out += default_writer(RuleGroup(group.meta, tuple(leftovers)), ctx)
    return out


def _with_pattern(recommendation: Recommendation, group: RuleGroup) -> Recommendation:
    return replace(recommendation, pattern=group.meta.docs.use_instead.rstrip() + "\n")
