"""DJV509 drf-no-default-pagination: see rules/DJV509.yaml."""

from __future__ import annotations

from collections.abc import Iterator

from djvet.astro.deployment import Issue, SettingsRule, issue_at, named_few
from djvet.engine import ModuleContext
from djvet.index.deployment import SettingsTarget
from djvet.index.deps import shared
from djvet.index.facts import ProjectIndex
from djvet.index.serving import LIST_VIEWS


def unpaginated_list_views(index: ProjectIndex) -> list[str]:
    """DRF list views (outside tests) where no project class sets `pagination_class` or `list()`."""
    names = []
    for view in sorted(index.views.values(), key=lambda v: (v.path, v.line)):
        if view.kind not in ("drf-generic", "drf-viewset") or "tests" in index.modules[view.module].kinds:
            continue
        if not set(view.ancestors) & LIST_VIEWS or "list" in view.methods:
            continue
        if any("pagination_class" in index.classes[a].attrs for a in view.ancestors if a in index.classes):
            continue
        if view.name not in names:
            names.append(view.name)
    return names


class DrfNoDefaultPagination(SettingsRule):
    code = "DJV509"

    def inspect(self, target: SettingsTarget, ctx: ModuleContext) -> Iterator[Issue]:
        drf = target.reading("REST_FRAMEWORK")
        if not drf.known or not isinstance(drf.value, dict) or drf.value.get("DEFAULT_PAGINATION_CLASS") is not None:
            return
        if not target.holds("INSTALLED_APPS", "rest_framework"):
            return
        views = shared('unpaginated list views', ctx.index, unpaginated_list_views)
        if views:
            yield issue_at(drf, self.meta.severity, views=named_few(views), module=target.fact.module)
