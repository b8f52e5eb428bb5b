"""Roles are Django groups: viewer (reads), planner (writes stock, approves, starts runs), admin.

Groups and their model permissions are created after every migrate, so a fresh database has
them; an administrator assigns people to groups in the admin. Superusers can do everything.
"""
from django.contrib.auth.models import Group, Permission
from rest_framework.permissions import SAFE_METHODS, BasePermission

VIEWER = "viewer"
PLANNER = "planner"
ADMIN = "admin"
ROLE_NAMES = (VIEWER, PLANNER, ADMIN)

# Apps whose data the roles cover.
DOMAIN_APPS = ("inventory", "forecasting", "replenishment", "insights")
# What a planner may add or change; everything else is read-only to them.
PLANNER_WRITABLE_ACTIONS = ("add", "change")
# Models a planner may read but not write in the admin. Webhooks: a URL the server posts to is an
# outbound door, so only administrators open one. The rest are written by the pipeline (imports,
# forecast runs, the ledger's services), never typed: a hand edit would bypass their rules.
PLANNER_READ_ONLY_MODELS = frozenset({
    "insights.webhookendpoint", "insights.webhookdelivery",
    "inventory.salesday", "inventory.stocklevel", "inventory.stockmovement",
    "forecasting.forecastrun", "forecasting.modelversion", "forecasting.forecast",
    "replenishment.policyreplayrun", "replenishment.policyreplay",
})


def user_roles(user) -> set[str]:
    if not getattr(user, "is_authenticated", False):
        return set()
    if user.is_superuser:
        return set(ROLE_NAMES)
    cached = getattr(user, "_stockcast_roles", None)
    if cached is None:
        cached = set(user.groups.filter(name__in=ROLE_NAMES).values_list("name", flat=True))
        user._stockcast_roles = cached
    return cached


def can_plan(user) -> bool:
    """May write stock, approve suggestions and orders, start forecast runs."""
    return bool(user_roles(user) & {PLANNER, ADMIN})


def is_admin(user) -> bool:
    return ADMIN in user_roles(user)


class PlannerWriteOrReadOnly(BasePermission):
    """REST: any authenticated user reads; writes need the planner or admin role."""

    message = "This action needs the planner role."

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return False
        return request.method in SAFE_METHODS or can_plan(request.user)


def sync_role_groups(sender=None, **kwargs) -> None:
    """post_migrate: create the groups and give them the model permissions of their role."""
    perms = Permission.objects.filter(content_type__app_label__in=DOMAIN_APPS).select_related("content_type")
    view = [p for p in perms if p.codename.startswith("view_")]
    write = [p for p in perms if p.codename.split("_", 1)[0] in PLANNER_WRITABLE_ACTIONS
             and f"{p.content_type.app_label}.{p.content_type.model}" not in PLANNER_READ_ONLY_MODELS]
    Group.objects.get_or_create(name=VIEWER)[0].permissions.set(view)
    Group.objects.get_or_create(name=PLANNER)[0].permissions.set(view + write)
    Group.objects.get_or_create(name=ADMIN)[0].permissions.set(list(perms))
