"""Staff decisions on suggestions: approving turns them into draft purchase orders (one per
supplier x warehouse), rejecting records why. Each is one transaction: any problem, nothing
is written."""
from __future__ import annotations

from collections import defaultdict

from django.db import transaction
from django.utils import timezone

from inventory.purchasing.models import PurchaseOrder
from inventory.purchasing.services import OrderLineRequest, create_purchase_order

from .errors import ReplenishmentError
from .models import ReorderSuggestion
from .revisions import SUGGESTIONS


def approve_suggestions(suggestion_ids, user=None) -> list[PurchaseOrder]:
    """Turn pending suggestions into draft purchase orders, one per supplier x warehouse,
    all in one transaction (any problem: nothing is written)."""
    ids = list(suggestion_ids)
    if not ids:
        raise ReplenishmentError("Select at least one suggestion to approve.")
    with transaction.atomic():
        sugg = list(ReorderSuggestion.objects.select_for_update(of=("self",)).select_related(
            "product__supplier", "warehouse").filter(pk__in=ids).order_by("pk"))
        missing = set(ids) - {s.pk for s in sugg}
        if missing:
            raise ReplenishmentError(f"Suggestion(s) {sorted(missing)} do not exist.")
        groups = defaultdict(list)
        for s in sugg:
            if s.status != ReorderSuggestion.Status.PENDING:
                raise ReplenishmentError(f"Suggestion {s.pk} ({s.product.sku}) is {s.status}, not pending.")
            supplier = s.product.supplier
            if supplier is None:
                raise ReplenishmentError(f"Suggestion {s.pk}: product {s.product.sku} has no supplier to order from.")
            groups[(supplier.pk, s.warehouse.pk)].append(s)
        orders, now = [], timezone.now()
        for (_, _), group in sorted(groups.items()):
            merged = defaultdict(int)
            for s in group:
                merged[s.product] += s.quantity
            order = create_purchase_order(
                supplier=group[0].product.supplier, warehouse=group[0].warehouse,
                lines=[OrderLineRequest(product=p, quantity=int(q)) for p, q in merged.items()], user=user,
                notes="From reorder suggestions " + ", ".join(str(s.pk) for s in group))
            ReorderSuggestion.objects.filter(pk__in=[s.pk for s in group]).update(
                status=ReorderSuggestion.Status.APPROVED, purchase_order=order, decided_at=now,
                decided_by=user if (user is not None and user.is_authenticated) else None)
            orders.append(order)
        SUGGESTIONS.note_changed()  # decided in bulk: no signals
        return orders


def reject_suggestions(suggestion_ids, reason: str, user=None) -> int:
    reason = (reason or "").strip()
    if not reason:
        raise ReplenishmentError("A reason is required to reject suggestions.")
    ids = list(suggestion_ids)
    with transaction.atomic():
        qs = ReorderSuggestion.objects.select_for_update().filter(pk__in=ids)
        not_pending = list(qs.exclude(status=ReorderSuggestion.Status.PENDING).values_list("pk", flat=True))
        if not_pending:
            raise ReplenishmentError(f"Suggestion(s) {sorted(not_pending)} are not pending.")
        SUGGESTIONS.note_changed()  # decided in bulk: no signals
        return qs.update(status=ReorderSuggestion.Status.REJECTED, reject_reason=reason, decided_at=timezone.now(),
                         decided_by=user if (user is not None and user.is_authenticated) else None)
