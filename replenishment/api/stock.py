"""The reorder point the stock-level API compares against, from replenishment's own numbers.

A pair's reorder point is the `target_level` of its latest reorder suggestion: the level that
the deciding policy orders up to (base-stock, newsvendor, RL) or reorders at ((s, S), (R, Q)),
computed from the forecast over lead time plus safety stock. A pair never assessed has none.
"""
from django.db.models import FloatField, OuterRef, QuerySet, Subquery

from replenishment.models import ReorderSuggestion


def annotate_reorder_point(stock_levels: QuerySet) -> QuerySet:
    latest = (ReorderSuggestion.objects.filter(product=OuterRef("product"), warehouse=OuterRef("warehouse"))
              .order_by("-created_at", "-id").values("target_level")[:1])
    return stock_levels.annotate(reorder_point=Subquery(latest, output_field=FloatField()))
