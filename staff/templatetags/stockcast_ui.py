"""Template helpers for the staff UI: roles, query strings that keep filters, number formats."""
from decimal import Decimal

from django import template
from django.utils.http import urlencode

from inventory_site.roles import can_plan as _can_plan
from staff import sources
from staff.dashboard import catalogue_figures_cached
from staff.product_page import product_insight

register = template.Library()


@register.filter
def can_plan(user) -> bool:
    return _can_plan(user)


@register.simple_tag(takes_context=True)
def query_with(context, **changes) -> str:
    """The current query string with some parameters replaced (e.g. page=2), keeping the filters."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    return "?" + urlencode(sorted(params.lists()), doseq=True) if params else "?"


@register.filter
def percent(value, digits: int = 1) -> str:
    """0.9731 -> '97.3 %'; None -> an em dash (a figure that cannot be computed is not zero)."""
    if value is None:
        return "—"
    return f"{float(value) * 100:.{int(digits)}f} %"


@register.filter
def money(value) -> str:
    """A whole-unit amount with thousands separators: 12345.6 -> '12,346'."""
    if value is None:
        return "—"
    return f"{Decimal(value):,.0f}"


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None


@register.simple_tag(takes_context=True)
def nav_class(context, prefix: str, exact: bool = False) -> str:
    path = context["request"].path
    active = path == prefix if exact else path.startswith(prefix)
    return 'aria-current="page"' if active else ""


@register.simple_tag
def key_figures() -> dict:
    """The figures the admin index shows (the same helpers as the staff dashboard)."""
    runs = sources.recent_runs(1)
    return {
        # the dashboard's cached figure (a SeriesHealth per pair was seconds at 30,000 pairs)
        "at_risk": catalogue_figures_cached()["risk"].at_risk_products,
        "alerts": sources.open_alerts_by_severity(),
        "suggestions": sources.pending_suggestion_count(),
        "last_run": runs[0] if runs else None,
        "accuracy": sources.current_accuracy(),
    }


# --- panels for the Django admin's change pages ------------------------------------------------
# An admin change_form template drops these in (e.g. {% product_insight_panel original %}) so
# that an administrator sees the same charts and explanations as the staff pages.


@register.inclusion_tag("staff/admin_product_panel.html", takes_context=True)
def product_insight_panel(context, product):
    if product is None or product.pk is None:
        return {"product": None}
    return {**product_insight(product), "user": context.get("user"), "request": context.get("request")}


@register.inclusion_tag("staff/admin_run_panel.html")
def run_insight_panel(run):
    metrics = dict(getattr(run, "metrics", None) or {})
    per_class = metrics.pop("per_class", {})
    return {"run": run, "metrics": metrics, "per_class": per_class}


@register.inclusion_tag("staff/admin_product_panel.html", takes_context=True)
def suggestion_insight_panel(context, suggestion):
    if suggestion is None or suggestion.pk is None:
        return {"product": None}
    data = product_insight(suggestion.product, suggestion.warehouse)
    return {**data, "user": context.get("user"), "request": context.get("request"), "focus_suggestion": suggestion}
