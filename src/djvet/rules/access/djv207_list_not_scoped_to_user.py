"""DJV207 list-not-scoped-to-user: see rules/DJV207.yaml."""

from __future__ import annotations

from collections.abc import Iterator

from astroid import nodes

from djvet.astro.access import defines_views, is_test_code
from djvet.engine import ModuleContext
from djvet.index.facts import FieldFact
from djvet.index.policy import AUTHENTICATED, PolicyBook, ViewPolicy, policy_book
from djvet.index.scoping import (
    PUBLICATION_FIELDS,
    caller_gate,
    describe_owner,
    has_route_guard,
    is_list_operation,
    is_signed_in_only,
    owner_fields,
    route_logins,
    view_rows,
)
from djvet.rule import Hit, Rule

_DG = "django.views.generic."
DJANGO_LISTS = frozenset({_DG + "ListView", _DG + "list.ListView", _DG + "list.BaseListView"})


class ListNotScopedToUser(Rule):
    code = "DJV207"
    needs_text = ("queryset", "model")

    def applies_to(self, ctx: ModuleContext) -> bool:
        return super().applies_to(ctx) and not is_test_code(ctx) and defines_views(ctx)

    def check_classdef(self, node: nodes.ClassDef, ctx: ModuleContext) -> Iterator[Hit]:
        qualname = ctx.qualname(node)
        view = ctx.index.views.get(qualname)
        if view is None:
            return
        book = policy_book(ctx.index)
        policy = book.policy(qualname)
        if policy is None or policy.abstract or policy.guarded_by is not None or policy.public is not None:
            return
        if policy.drf and policy.objects_scoped:
            return  # a project get_queryset reading the user, or a filter backend that may
        signed_in = self._drf_signed_in(book, policy) if policy.drf else self._django_signed_in(policy, ctx)
        if not signed_in:
            return
        rows = view_rows(ctx.index, qualname)
        if rows is None:
            return
        owners = owner_fields(ctx.index, rows.model)
        narrowed = {lookup.split("__")[0] for lookup in rows.lookups}
        if not owners or narrowed & ({f.name for f in owners} | {f"{f.name}_id" for f in owners} | PUBLICATION_FIELDS):
            return
        yield Hit(node, {"view": node.name, "model": rows.model.rpartition(".")[2], "owner": _owner_text(rows.model, owners)})

    def _drf_signed_in(self, book: PolicyBook, policy: ViewPolicy) -> bool:
        """The list operations exist, DRF's own code serves them, and their permission classes ask
        for a signed-in user and nothing more before the rows are listed."""
        mro = book.index.mros.get(policy.view, ())
        lists = [op for op in policy.operations if is_list_operation(op, mro)]
        if not lists or has_route_guard(book.index, policy.view):
            return False
        return all(op.line == 0 and op.public is None and caller_gate(book, op) == AUTHENTICATED for op in lists)

    def _django_signed_in(self, policy: ViewPolicy, ctx: ModuleContext) -> bool:
        """A Django ListView behind `login_required` / `LoginRequiredMixin` only, whose `get` and
        `get_queryset` are Django's or do not read the user."""
        mro = ctx.index.mros.get(policy.view, ())
        if not any(c in DJANGO_LISTS for c in mro):
            return False
        for cls in mro:
            info = ctx.index.classes.get(cls)
            if info is not None and any(n in info.methods for n in ("get", "dispatch", "get_context_data")):
                if any(info.methods[n].uses_request_user for n in ("get", "dispatch", "get_context_data") if n in info.methods):
                    return False
            if info is not None and "get_queryset" in info.methods and info.methods["get_queryset"].uses_request_user:
                return False
        return is_signed_in_only(route_logins(ctx.index, policy.view))


def _owner_text(model: str, owners: tuple[FieldFact, ...]) -> str:
    return describe_owner(model, owners[:2])
