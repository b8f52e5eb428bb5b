"""Read-side queries for other apps (replenishment, alerts, API, UI)."""
from __future__ import annotations

from django.db.models import QuerySet

from .models import Forecast, ForecastRun, ModelVersion


def current_run() -> ForecastRun | None:
    return ForecastRun.objects.filter(is_current=True).first()


def current_run_id() -> int | None:
    return ForecastRun.objects.filter(is_current=True).values_list("id", flat=True).first()


def product_forecast_rows(run_id: int, product) -> list[dict]:
    """One product's daily forecast in a run, per warehouse: what the product API shows."""
    rows = (Forecast.objects.filter(run_id=run_id, product=product)
            .order_by("warehouse__code", "date")
            .values_list("warehouse__code", "date", "mean", "p10", "p50", "p90"))
    return [{"warehouse": w, "date": d, "mean": m, "p10": a, "p50": b, "p90": c} for w, d, m, a, b, c in rows]


def current_forecasts(product=None, warehouse=None, start=None, end=None) -> QuerySet[Forecast]:
    """Forecast rows of the current run (none if no run has succeeded yet), by date."""
    run = current_run()
    if run is None:
        return Forecast.objects.none()
    qs = Forecast.objects.filter(run=run)
    if product is not None:
        qs = qs.filter(product=product)
    if warehouse is not None:
        qs = qs.filter(warehouse=warehouse)
    if start is not None:
        qs = qs.filter(date__gte=start)
    if end is not None:
        qs = qs.filter(date__lte=end)
    return qs.order_by("product_id", "warehouse_id", "date")


def latest_model_version(name: str | None = None, with_weights: bool = False) -> ModelVersion | None:
    """The newest model version (of one model name); its weights (megabytes) only when asked."""
    qs = ModelVersion.objects.all() if with_weights else ModelVersion.objects.defer("weights")
    if name:
        qs = qs.filter(name=name)
    return qs.order_by("-created_at", "-id").first()


def accuracy_by_run(limit: int = 20) -> list[dict]:
    """Backtest accuracy of the last ``limit`` succeeded runs, oldest first: the model's WRMSSE
    and seasonal naive's on the same holdout (runs without both are left out)."""
    runs = ForecastRun.objects.filter(status=ForecastRun.Status.SUCCEEDED).order_by("-finished_at", "-id")[:limit]
    out = []
    for run in reversed(list(runs)):
        metrics = run.metrics or {}
        value, naive = metrics.get("wrmsse"), metrics.get("seasonal_naive_wrmsse")
        if isinstance(value, (int, float)) and isinstance(naive, (int, float)) and naive > 0:
            out.append({"run_id": run.pk, "finished": run.finished_at, "model": run.model_name,
                        "wrmsse": float(value), "naive": float(naive)})
    return out


def succeeded_runs() -> list[dict]:
    """Succeeded runs with a data end, oldest data first: ``{"id", "as_of", "is_current"}``."""
    return list(ForecastRun.objects.filter(status=ForecastRun.Status.SUCCEEDED, as_of__isnull=False)
                .order_by("as_of", "created_at").values("id", "as_of", "is_current"))


def issued_run_for(day, runs) -> int | None:
    """The run whose forecast for ``day`` was the one in force: the latest succeeded run whose
    history ended before that day (``runs`` as ``succeeded_runs`` returns them). What a forecast
    said about a day is judged against this run's row, and retention keeps exactly these rows."""
    chosen = None
    for r in runs:
        if r["as_of"] < day:
            chosen = r["id"]
    return chosen
