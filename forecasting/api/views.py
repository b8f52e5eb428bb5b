"""Views of the forecasting API."""
from __future__ import annotations

import logging

from django.db.models import Q
from django_filters import rest_framework as df
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from forecasting import services
from forecasting.models import Forecast, ForecastRun, ModelVersion
from forecasting.tasks import forecast_signature
from inventory.models import Product, Warehouse
from inventory_site.api.base import StandardPagination, StockcastAutoSchema, error_response
from inventory_site.api.errors import Conflict, ServiceUnavailable, Unprocessable
from inventory_site.api.parsers import BoundedJSONParser
from inventory_site.api.throttles import LiveForecastRateThrottle, WriteRateThrottle
from inventory_site.celery import app
from inventory_site.roles import PlannerWriteOrReadOnly

from . import live, serializers

log = logging.getLogger(__name__)


class _Base:
    parser_classes = [BoundedJSONParser]
    pagination_class = StandardPagination
    throttle_classes = [WriteRateThrottle]
    permission_classes = [PlannerWriteOrReadOnly]
    schema = StockcastAutoSchema()
    lookup_value_regex = r"[0-9]{1,18}"  # longer: no such id (and too big for the database)


# --- model versions ---------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="Trained model versions and their backtest metrics", tags=["forecasting"]),
    retrieve=extend_schema(summary="One model version with its configuration and features", tags=["forecasting"]),
)
class ModelVersionViewSet(_Base, viewsets.ReadOnlyModelViewSet):
    queryset = ModelVersion.objects.defer("weights")
    filterset_fields = ["name", "arch"]
    ordering_fields = ["created_at", "id", "data_end"]

    def get_serializer_class(self):
        if self.action == "retrieve":
            return serializers.ModelVersionDetailSerializer
        return serializers.ModelVersionSerializer


# --- runs -------------------------------------------------------------------------------------


def broker_is_reachable(timeout: float = 2.0) -> bool:
    """True when tasks run in-process (eager) or the broker answers within `timeout` seconds."""
    if app.conf.task_always_eager:
        return True
    try:
        with app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=timeout)
        return True
    except Exception as error:  # kombu raises several types for "cannot connect"
        log.warning("broker unreachable: %s", error)
        return False


BROKER_DOWN = ("The task broker is unreachable, so no forecast run was started. Retry in a minute; if it "
               "persists, the Redis/Celery service needs attention.")


@extend_schema_view(
    list=extend_schema(summary="Forecast runs, newest first", tags=["forecasting"]),
    retrieve=extend_schema(summary="One forecast run (poll it after starting one)", tags=["forecasting"]),
)
class ForecastRunViewSet(_Base, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                         viewsets.GenericViewSet):
    queryset = ForecastRun.objects.all()
    filterset_fields = ["status", "model_name", "is_current"]
    ordering_fields = ["created_at", "id"]

    def get_serializer_class(self):
        if self.action == "create":
            return serializers.ForecastRunCreateSerializer
        return serializers.ForecastRunSerializer

    @extend_schema(
        summary="Start a forecast run (trains or reuses a model, predicts every series)", tags=["forecasting"],
        request=serializers.ForecastRunCreateSerializer,
        responses={202: serializers.ForecastRunStartedSerializer,
                   409: error_response("Another forecast run is queued or running."),
                   422: error_response("Nothing to forecast (no sales history yet), or a training option "
                                       "out of its bounds."),
                   503: error_response("The task broker is down: nothing was started.")},
        examples=[OpenApiExample("Nightly-style run", request_only=True,
                                 value={"model": "global_tide", "horizon": 28, "shards": 4})],
    )
    def create(self, request, *args, **kwargs):
        data = self.get_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        if not broker_is_reachable():
            raise ServiceUnavailable(BROKER_DOWN, code="broker_unavailable")
        try:
            run = services.create_run(data.validated_data["model"], data.validated_data["horizon"],
                                      data.validated_data["shards"], data.validated_data["options"])
        except services.RunInProgress as error:
            raise Conflict(str(error), code="run_in_progress") from None
        except services.ForecastError as error:
            raise Unprocessable(str(error), code="cannot_forecast") from None
        try:
            result = forecast_signature(run).apply_async()
        except Exception as error:  # the broker went away between the check and the send
            services.mark_failed(run.pk, f"could not queue the run: {error}")
            if not broker_is_reachable(timeout=0.5):
                raise ServiceUnavailable(BROKER_DOWN, code="broker_unavailable") from None
            raise
        run.refresh_from_db()
        body = {"run_id": run.pk, "task_id": result.id, "status": run.status,
                "status_url": reverse("forecast-run-detail", args=[run.pk], request=request)}
        return Response(body, status=status.HTTP_202_ACCEPTED,
                        headers={"Location": body["status_url"]})


# --- forecasts --------------------------------------------------------------------------------


class ForecastFilter(df.FilterSet):
    product = df.CharFilter(field_name="product__sku", help_text="Product SKU.")
    warehouse = df.CharFilter(field_name="warehouse__code", help_text="Warehouse code.")
    date_from = df.DateFilter(field_name="date", lookup_expr="gte")
    date_to = df.DateFilter(field_name="date", lookup_expr="lte")
    run = df.NumberFilter(field_name="run_id", min_value=1, max_value=2**63 - 1,
                          help_text="A run id; default: the current run.")

    class Meta:
        model = Forecast
        fields = ["product", "warehouse", "date_from", "date_to", "run", "demand_class"]


@extend_schema_view(
    list=extend_schema(summary="Stored forecasts (current run unless `run` is given) with quantiles",
                       tags=["forecasting"]),
    retrieve=extend_schema(summary="One forecast row", tags=["forecasting"]),
)
class ForecastViewSet(_Base, viewsets.ReadOnlyModelViewSet):
    serializer_class = serializers.ForecastSerializer
    filterset_class = ForecastFilter
    ordering_fields = ["date", "mean", "id"]
    ordering = ["product__sku", "warehouse__code", "date"]

    def get_queryset(self):
        queryset = Forecast.objects.select_related("product", "warehouse")
        if self.action == "list" and not self.request.query_params.get("run"):
            queryset = queryset.filter(Q(run__is_current=True))
        return queryset


class LiveForecastView(APIView):
    permission_classes = [PlannerWriteOrReadOnly]
    throttle_classes = [LiveForecastRateThrottle]
    schema = StockcastAutoSchema()

    @extend_schema(
        summary="Forecast one product x warehouse now, from the current model and the latest sales",
        description="Computed on demand (not stored): includes sales pushed a minute ago. The model is loaded "
                    "once per server process and kept warm.",
        tags=["forecasting"],
        parameters=[
            OpenApiParameter("product", str, required=True, description="SKU."),
            OpenApiParameter("warehouse", str, required=True, description="Warehouse code."),
            OpenApiParameter("horizon", int, required=False, description="Days ahead, 1-90 (default 28)."),
        ],
        responses={200: serializers.LiveForecastSerializer,
                   422: error_response("No trained model version exists yet.")},
    )
    def get(self, request):
        params = request.query_params
        problems = {}
        for name in ("product", "warehouse"):
            if not params.get(name):
                problems[name] = ["required."]
        horizon_raw = params.get("horizon", "28")
        try:
            horizon = int(horizon_raw)
            if not 1 <= horizon <= 90:
                raise ValueError
        except ValueError:
            problems["horizon"] = [f"a whole number of days from 1 to 90, got {horizon_raw!r}."]
        if problems:
            raise ValidationError(problems)
        product = Product.objects.filter(sku=params["product"]).first()
        warehouse = Warehouse.objects.filter(code=params["warehouse"]).first()
        if product is None or warehouse is None:
            raise ValidationError({**({"product": [f"no product with SKU {params['product']!r}."]} if product is None
                                      else {}),
                                   **({"warehouse": [f"no warehouse {params['warehouse']!r}."]} if warehouse is None
                                      else {})})
        try:
            result = live.forecast_live(product, warehouse, horizon)
        except live.NoModel as error:
            raise Unprocessable(str(error), code="no_model") from None
        body = {"product": product.sku, "warehouse": warehouse.code, "model_version": result.model_version,
                "model_name": result.model_name, "as_of": result.as_of, "horizon": horizon,
                "computed_ms": result.computed_ms, "days": result.days}
        return Response(serializers.LiveForecastSerializer(body).data)
