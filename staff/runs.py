"""Forecast runs and models: history, accuracy per model and demand class, start a run, progress.

Runs are started as Celery tasks (forecasting.tasks.run_forecast), so the request returns at
once on a real broker; the pages poll a small JSON view for progress. In the embedded default
(eager tasks) the run happens inside the request, as every other task does there.
"""
from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render

from forecasting.models import ForecastRun, ModelVersion
from forecasting.services import MODEL_CHOICES, ForecastError
from forecasting.tasks import run_forecast

from . import background, sources
from .metric_meanings import MEANINGS, explained
from .access import planner_required

ACTIVE = ("queued", "running")


def _accuracy_by_model() -> list[dict]:
    """Latest succeeded backtest per model name, against seasonal naive on the same holdout."""
    seen, rows = set(), []
    for run in ForecastRun.objects.filter(status="succeeded").order_by("-finished_at", "-id")[:200]:
        if run.model_name in seen:
            continue
        seen.add(run.model_name)
        m = run.metrics or {}
        value, naive = m.get("wrmsse"), m.get("seasonal_naive_wrmsse")
        rows.append({
            "model": run.model_name, "run": run.pk, "as_of": run.as_of, "wrmsse": value, "naive": naive,
            "ratio": value / naive if isinstance(value, (int, float)) and isinstance(naive, (int, float)) and naive else None,
            "coverage_80": m.get("coverage_80"), "coverage_80_pit": m.get("coverage_80_pit"),
            "mae_ratio": m.get("mae_vs_seasonal_naive"), "mase": m.get("mase"), "bias": m.get("bias"),
        })
    return rows


def _class_history(model_name: str | None) -> dict | None:
    """RMSSE per demand class over the succeeded runs of one model, oldest first (chart data)."""
    if not model_name:
        return None
    runs = list(ForecastRun.objects.filter(status="succeeded", model_name=model_name).order_by("finished_at", "id")[:50])
    classes = sorted({c for run in runs for c in (run.metrics or {}).get("per_class", {})})
    if not runs or not classes:
        return None
    latest = (runs[-1].metrics or {}).get("per_class", {})
    labels = [f"#{run.pk} {run.as_of or ''}".strip() for run in runs]
    series = []
    for c in classes:
        values = [((run.metrics or {}).get("per_class", {}).get(c) or {}).get("rmsse") for run in runs]
        series.append({"label": c.replace("_", " "), "values": values})
    return {"labels": labels, "series": series, "y_label": "RMSSE (lower is better)",
            "latest": sorted(latest.items()), "latest_run": runs[-1].pk}


def run_list(request):
    page = Paginator(ForecastRun.objects.order_by("-created_at", "-id"), 25).get_page(request.GET.get("page"))
    runs = [sources.run_summary(run) | {"obj": run} for run in page.object_list]
    accuracy = _accuracy_by_model()
    chosen = request.GET.get("model") or (accuracy[0]["model"] if accuracy else None)
    return render(request, "staff/run_list.html", {
        "meanings": MEANINGS,
        "available": True,
        "page": page,
        "runs": runs,
        "accuracy": accuracy,
        "chosen_model": chosen,
        "class_history": _class_history(chosen),
        "versions": ModelVersion.objects.defer("weights").order_by("-created_at", "-id")[:10],
        "model_choices": list(MODEL_CHOICES),
        "active": any(r["status"] in ACTIVE for r in runs),
    })


def run_detail(request, pk: int):
    run = get_object_or_404(ForecastRun, pk=pk)
    metrics = dict(run.metrics or {})
    per_class = metrics.pop("per_class", {})
    return render(request, "staff/run_detail.html", {
        "run": run, "summary": sources.run_summary(run), "metrics": explained(metrics), "per_class": per_class,
        "active": run.status in ACTIVE,
    })


def run_progress(request, pk: int):
    """Small JSON for the progress poller: status, shards done, error."""
    run = get_object_or_404(ForecastRun, pk=pk)
    summary = sources.run_summary(run)
    return JsonResponse({
        "id": run.pk, "status": run.status, "status_label": summary["status_label"],
        "shards_done": run.shards_done, "n_shards": run.n_shards, "progress": summary["progress"],
        "error": run.error, "finished": run.status not in ACTIVE, "line": run.progress,
    })


@planner_required
def run_start(request):
    model = request.POST.get("model", "")
    if model not in MODEL_CHOICES:
        messages.error(request, f"Unknown model {model!r}: choose one of {', '.join(MODEL_CHOICES)}.")
        return redirect("ui:runs")
    try:
        horizon = int(request.POST.get("horizon", "28"))
    except ValueError:
        messages.error(request, "The horizon must be a whole number of days.")
        return redirect("ui:runs")
    if not 1 <= horizon <= 365:
        messages.error(request, f"The horizon must be between 1 and 365 days, got {horizon}.")
        return redirect("ui:runs")
    try:
        result = background.start(run_forecast, model=model, horizon=horizon)
    except (ForecastError, background.QueueUnavailable) as error:
        messages.error(request, f"The run was not started: {error}")
        return redirect("ui:runs")
    messages.success(
        request, f"Forecast run requested ({model}, {horizon} days). It appears below with its progress "
        f"as soon as a worker takes it{f' (task {result.id})' if getattr(result, 'id', None) else ''}."
    )
    return redirect("ui:runs")
