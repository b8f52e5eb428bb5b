"""REST API of insights (mounted at /api/v1/insights/): alerts, promotion what-if, recommendations.

Thin views: reads come from the models and insights services, writes go through insights.services.
Conventions of the v1 API (inventory_site.api.base): page-number pagination, one error body
({"error": {"code", "message", "fields"}}), write throttle, reads for any authenticated user and
writes for planners (PlannerWriteOrReadOnly). The promotion what-if is a POST because its input is
a document, but it writes nothing, so any authenticated user may ask it.
"""
from __future__ import annotations

from datetime import date

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from inventory.models import Warehouse
from inventory_site.api.base import StandardPagination, StockcastAutoSchema, WriteRateThrottle
from inventory_site.api.errors import ApiError, Conflict
from inventory_site.roles import PlannerWriteOrReadOnly

from . import recommendations, services, tasks
from .errors import AlertTransitionError, InsightsError
from .models import Alert, AlertKind, Severity
from .promotions import planner


def _invalid(exc: InsightsError) -> ApiError:
    field = exc.field or "non_field_errors"
    return ApiError(str(exc), code="invalid", fields={field: [str(exc)]})


class AlertSerializer(serializers.ModelSerializer):
    # null: alerts about a whole warehouse (stale data) or the whole catalogue (forecast drift)
    product = serializers.SlugRelatedField(slug_field="sku", read_only=True, allow_null=True)
    warehouse = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    acknowledged_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    resolved_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = Alert
        fields = ["id", "kind", "severity", "status", "product", "warehouse", "message", "evidence", "occurrences",
                  "opened_at", "updated_at", "last_seen_at", "acknowledged_by", "acknowledged_at", "resolved_by",
                  "resolved_at", "auto_resolved", "note"]
        read_only_fields = fields


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class AlertViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Alerts, newest first. Filters: `status` (comma list; default open,acknowledged; `all`),
    `kind`, `severity`, `warehouse` (code), `product` (sku)."""

    serializer_class = AlertSerializer
    pagination_class = StandardPagination
    throttle_classes = [WriteRateThrottle]
    permission_classes = [PlannerWriteOrReadOnly]
    schema = StockcastAutoSchema()
    # Only whole numbers route to an alert: anything else is a 404, never a 500 from the lookup.
    lookup_value_regex = r"[0-9]{1,18}"
    filter_backends = []

    def get_queryset(self):
        qs = Alert.objects.select_related("product", "warehouse", "acknowledged_by", "resolved_by")
        params = self.request.query_params
        wanted = params.get("status", "open,acknowledged")
        if wanted != "all":
            statuses = [s for s in wanted.split(",") if s]
            bad = [s for s in statuses if s not in Alert.Status.values]
            if bad:
                raise ApiError(f"unknown status {bad}; use {Alert.Status.values} or all", code="invalid",
                               fields={"status": [f"unknown: {', '.join(bad)}"]})
            qs = qs.filter(status__in=statuses)
        for name, values, lookup in (("kind", AlertKind.values, "kind"), ("severity", Severity.values, "severity")):
            if params.get(name):
                if params[name] not in values:
                    raise ApiError(f"unknown {name} {params[name]!r}", code="invalid",
                                   fields={name: [f"one of {values}"]})
                qs = qs.filter(**{lookup: params[name]})
        if params.get("warehouse"):
            qs = qs.filter(warehouse__code=params["warehouse"])
        if params.get("product"):
            qs = qs.filter(product__sku=params["product"])
        return qs.order_by("-opened_at", "-id")

    @extend_schema(parameters=[OpenApiParameter("status", str), OpenApiParameter("kind", str),
                               OpenApiParameter("severity", str), OpenApiParameter("warehouse", str),
                               OpenApiParameter("product", str)])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def _transition(self, request, pk, fn):
        body = NoteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        if not Alert.objects.filter(pk=pk).exists():
            raise NotFound(f"No alert {pk}.")
        try:
            alert = fn(int(pk), request.user, body.validated_data.get("note", ""))
        except AlertTransitionError as exc:
            raise Conflict(str(exc), code="invalid_transition", fields={"status": [str(exc)]}) from exc
        return Response(AlertSerializer(alert).data)

    @extend_schema(request=NoteSerializer, responses=AlertSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        return self._transition(request, pk, services.acknowledge)

    @extend_schema(request=NoteSerializer, responses=AlertSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        return self._transition(request, pk, services.resolve)

    @extend_schema(request=None, responses={202: dict})
    @action(detail=False, methods=["post"])
    def check(self, request):
        """Run every alert check now (queued on a worker; in-process in the embedded mode)."""
        result = tasks.run_checks.delay()
        return Response({"task_id": result.id}, status=status.HTTP_202_ACCEPTED)


class WhatIfSerializer(serializers.Serializer):
    products = serializers.ListField(child=serializers.CharField(), help_text="Product ids or SKUs.")
    warehouses = serializers.ListField(child=serializers.CharField(), required=False, default=list,
                                       help_text="Warehouse ids or codes; empty: every active warehouse.")
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    discount_pct = serializers.DecimalField(max_digits=5, decimal_places=2, help_text="0 to 90.")


class PromotionWhatIfView(APIView):
    """Units with and without the promotion (80 % interval), revenue and margin, stock and the order to place."""

    permission_classes = [IsAuthenticated]
    throttle_classes = [WriteRateThrottle]
    schema = StockcastAutoSchema()

    @extend_schema(request=WhatIfSerializer, responses={200: dict})
    def post(self, request):
        body = WhatIfSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        d = body.validated_data
        try:
            return Response(planner.what_if(d["products"], d["warehouses"], d["start_date"], d["end_date"],
                                            d["discount_pct"]))
        except InsightsError as exc:
            raise _invalid(exc) from exc


class PromotionReviewView(APIView):
    """After a promotion: forecast against actual, measured uplift."""

    permission_classes = [PlannerWriteOrReadOnly]
    schema = StockcastAutoSchema()

    @extend_schema(responses={200: dict})
    def get(self, request, promotion_id: int):
        try:
            return Response(planner.review(promotion_id))
        except InsightsError as exc:
            if "unknown promotion" in str(exc):
                    raise NotFound(str(exc)) from exc
            raise _invalid(exc) from exc


def _param_date(request, name):
    value = request.query_params.get(name)
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ApiError(f"{name} must be YYYY-MM-DD, got {value!r}", code="invalid", fields={name: ["not a date"]})


def _param_int(request, name, default, lo, hi):
    value = request.query_params.get(name)
    if value is None:
        return default
    if not value.isdigit() or not lo <= int(value) <= hi:
        raise ApiError(f"{name} must be an integer from {lo} to {hi}", code="invalid", fields={name: [value]})
    return int(value)


def _warehouses(request):
    code = request.query_params.get("warehouse")
    if not code:
        return None
    ids = list(Warehouse.objects.filter(code=code).values_list("pk", flat=True))
    if not ids:
        raise ApiError(f"unknown warehouse {code!r}", code="invalid", fields={"warehouse": ["unknown"]})
    return ids


class RecommendationView(APIView):
    """`push`: rising demand and stock to serve it; `clear`: overstock with the clearing discount
    (`target_date`); `substitutes`: for `product` out of stock in `warehouse`."""

    permission_classes = [PlannerWriteOrReadOnly]
    schema = StockcastAutoSchema()

    @extend_schema(parameters=[OpenApiParameter("warehouse", str), OpenApiParameter("product", str),
                               OpenApiParameter("target_date", str), OpenApiParameter("limit", int)],
                   responses={200: dict})
    def get(self, request, kind: str):
        limit = _param_int(request, "limit", 20, 1, 200)
        try:
            if kind == "push":
                rows = recommendations.products_to_push(warehouse_ids=_warehouses(request), limit=limit)
            elif kind == "clear":
                rows = recommendations.products_to_clear(target_date=_param_date(request, "target_date"),
                                                         warehouse_ids=_warehouses(request), limit=limit)
            elif kind == "substitutes":
                missing = [n for n in ("product", "warehouse") if not request.query_params.get(n)]
                if missing:
                    raise ApiError(f"substitutes needs {' and '.join(missing)}", code="invalid",
                                   fields={n: ["required"] for n in missing})
                rows = recommendations.substitutes(request.query_params["product"],
                                                   request.query_params["warehouse"], limit=limit)
            else:
                    raise NotFound(f"No recommendation kind {kind!r}; use push, clear or substitutes.")
        except InsightsError as exc:
            raise _invalid(exc) from exc
        return Response({"kind": kind, "count": len(rows), "results": rows})
