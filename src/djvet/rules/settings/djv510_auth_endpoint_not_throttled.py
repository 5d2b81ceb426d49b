"""DJV510 auth-endpoint-not-throttled: see rules/DJV510.yaml."""

from __future__ import annotations

import re
from collections.abc import Iterator

from djvet.astro.deployment import Issue, SettingsRule, issue_at, named_few
from djvet.engine import ModuleContext
from djvet.index.deployment import SettingsTarget
from djvet.index.deps import shared
from djvet.index.facts import ProjectIndex

# DRF, simplejwt, dj-rest-auth, knox, drf-jwt: views that take a password and hand out a session or token
LOGIN_VIEWS = frozenset(
    {
        "rest_framework.authtoken.views.ObtainAuthToken",
        "rest_framework.authtoken.views.obtain_auth_token",
        "rest_framework_simplejwt.views.TokenObtainPairView",
        "rest_framework_simplejwt.views.TokenObtainSlidingView",
        "rest_framework_simplejwt.views.token_obtain_pair",
        "dj_rest_auth.views.LoginView",
        "knox.views.LoginView",
        "rest_framework_jwt.views.ObtainJSONWebToken",
        "rest_framework_jwt.views.obtain_jwt_token",
    }
)
LOGIN_NAME_RE = re.compile(r"Login|ObtainAuthToken|TokenObtain|ObtainJSONWebToken|SignIn")
# brute-force protection outside DRF's throttling: django-axes locks out on authenticate()
LOCKOUT_APPS = ("axes", "defender")


def login_endpoints(index: ProjectIndex) -> list[str]:
    """Routed DRF login views with no `throttle_classes` of their own and no rate-limit decorator."""
    found: list[str] = []
    for route in index.routes:
        view = index.views.get(route.view or "")
        if route.view in LOGIN_VIEWS and route.view is not None:
            name = route.view.rsplit(".", 1)[-1]
        elif view is not None and view.kind.startswith("drf-") and "tests" not in index.modules[view.module].kinds:
            if not (set(view.ancestors) & LOGIN_VIEWS or LOGIN_NAME_RE.search(view.name)):
                continue
            if any("throttle_classes" in index.classes[a].attrs for a in view.ancestors if a in index.classes):
                continue
            if any("ratelimit" in d.lower() or "throttle" in d.lower() for d in (*view.decorators, *route.decorators)):
                continue
            name = view.name
        else:
            continue
        if name not in found:
            found.append(name)
    return found


class AuthEndpointNotThrottled(SettingsRule):
    code = "DJV510"

    def inspect(self, target: SettingsTarget, ctx: ModuleContext) -> Iterator[Issue]:
        drf = target.reading("REST_FRAMEWORK")
        if not drf.known or not isinstance(drf.value, dict) or drf.value.get("DEFAULT_THROTTLE_CLASSES", ()) != ():
            return
        if not target.holds("INSTALLED_APPS", "rest_framework"):
            return
        if any(target.holds("INSTALLED_APPS", app) is not False for app in LOCKOUT_APPS):
            return
        views = shared('login endpoints', ctx.index, login_endpoints)
        if views:
            yield issue_at(drf, self.meta.severity, views=named_few(views), module=target.fact.module)
