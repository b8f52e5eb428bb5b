"""Who may do what on the staff pages: every logged-in user reads, planners write."""
from functools import wraps

from django.core.exceptions import PermissionDenied
from django.views.decorators.http import require_POST

from inventory_site.roles import can_plan


def planner_required(view):
    """A POST-only action for planners and admins; anyone else gets 403 (never a silent redirect)."""

    @require_POST
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not can_plan(request.user):
            raise PermissionDenied("This action needs the planner role.")
        return view(request, *args, **kwargs)

    return wrapped


def deny_unless_planner(request) -> None:
    """For views that show a page to everyone but change data on POST."""
    if request.method == "POST" and not can_plan(request.user):
        raise PermissionDenied("This action needs the planner role.")
