"""The policy replay page: what each ordering method would have cost on the shop's own recent
history (per warehouse, with a chart), and per pair the method chosen and what it saves against
base-stock. Read-only: the replay itself runs after each forecast run and nightly
(replenishment.tasks.replay_policies) or from ``manage.py replay``."""
from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import F, FloatField, OuterRef, Subquery
from django.shortcuts import render

from replenishment.models import PolicyReplay, PolicyReplayRun, ReorderPolicy

PAGE_SIZE = 50
SORTS = {"saving": "-saving", "cost": "-total_cost", "sku": "product__sku", "warehouse": "warehouse__code"}
SORT_CHOICES = [("saving", "saving against base-stock"), ("cost", "replayed cost"), ("sku", "SKU"),
                ("warehouse", "warehouse")]


def replay_page(request):
    run = PolicyReplayRun.objects.order_by("-created_at", "-id").first()
    if run is None:
        return render(request, "staff/replay.html", {"run": None})
    labels = dict(ReorderPolicy.Method.choices)
    methods = sorted(run.totals, key=lambda m: run.totals[m]["total_cost"])
    base = PolicyReplay.objects.filter(run=run, product=OuterRef("product"), warehouse=OuterRef("warehouse"),
                                       method=ReorderPolicy.Method.BASE_STOCK).values("total_cost")[:1]
    rows = (PolicyReplay.objects.filter(run=run, selected=True).select_related("product", "warehouse")
            .annotate(base_cost=Subquery(base, output_field=FloatField()))
            .annotate(saving=F("base_cost") - F("total_cost")))
    sort = request.GET.get("sort", "saving")
    rows = rows.order_by(SORTS.get(sort, "-saving"), "product__sku", "warehouse__code")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    chart = {"labels": list(run.by_warehouse),
             "series": [{"label": labels.get(m, m), "values": [run.by_warehouse[w].get(m) for w in run.by_warehouse]}
                        for m in methods],
             "y_label": "replayed cost (holding + lost sales)"}
    return render(request, "staff/replay.html", {
        "run": run, "page": page, "sort": sort if sort in SORTS else "saving", "chart": chart,
        "totals": [(labels.get(m, m), m, run.totals[m]) for m in methods],
        "warehouses": [(w, [run.by_warehouse[w].get(m) for m in methods]) for w in run.by_warehouse],
        "method_labels": [labels.get(m, m) for m in methods],
        "selected": [(labels.get(m, m), n) for m, n in run.selected.get("pairs", {}).items()],
        "sort_choices": SORT_CHOICES,
    })
