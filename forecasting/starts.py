"""Where a forecast run's global model starts from, and why (issue #17).

A run asks for a start (``manage.py forecast --from``, the API's ``options.start``):

- ``latest``: fine-tune the catalogue's latest version of the model;
- ``pretrained``: the shipped checkpoint (forecasting/pretrained.py), trained on a broad corpus,
  used zero-shot or fine-tuned on the catalogue (``pretrained_plan``);
- ``scratch``: random weights, trained on the catalogue alone;
- ``auto`` (the default): ``latest`` when the catalogue has a version trained on its own sales,
  else ``pretrained``.

A start that cannot be used falls back to the next one, latest -> pretrained -> scratch, and the
run says which and why (``Start.note``): a broken checkpoint never stops forecasting.

The pretrained rule. Fine-tuning needs a holdout to show it helps: on the leave-one-out
benchmarks fine-tuning on 91 days of history beat the zero-shot checkpoint on the M5 slice
(WRMSSE 0.775 against 0.816) and lost on the pasta promotions (0.763 against 0.728), and on
pasta's full history too (0.666 against 0.655), so neither is right everywhere. With at least ``3 x horizon + 2`` days (a holdout horizon, a validation
horizon and training windows before them) both are scored on the last horizon and the better
one is kept; with less, the checkpoint is used zero-shot, as it is.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from forecasting.ml.train import GlobalForecaster

from . import pretrained, selectors
from .models import START_REQUESTS, ModelVersion, Start as Kind

log = logging.getLogger(__name__)


@dataclass
class Start:
    kind: str                           # "latest", "pretrained" or "scratch": what training begins from
    model: GlobalForecaster | None      # its weights (None: scratch)
    version: ModelVersion | None        # for "latest", the version fine-tuned (the new one's parent)
    note: str                           # why this start (a fallback names its cause)

    def told(self) -> str:
        """The start and why, as a progress line says it."""
        return f"from the pretrained checkpoint ({self.note})" if self.kind == "pretrained" else self.note


def resolve(requested: str, model_name: str, arch: str, horizon: int) -> Start:
    """The start of a run of ``model_name`` (``arch``) over ``horizon`` days, given ``requested``."""
    if requested not in START_REQUESTS:
        raise ValueError(f"start must be one of {', '.join(START_REQUESTS)}, got {requested!r}")
    if requested == "scratch":
        return Start("scratch", None, None, "trained from scratch, as asked")
    notes = []
    if requested in ("auto", "latest"):
        start, why_not = _latest(model_name, arch, horizon, explicit=requested == "latest")
        if start is not None:
            return start
        if requested == "latest":
            notes.append(why_not)
    checkpoint, why_not = _pretrained(arch, horizon)
    if checkpoint is not None:
        why = {"auto": ["this catalogue has no trained version of its own yet"], "pretrained": ["as asked"]}
        return Start("pretrained", checkpoint, None, "; ".join([*notes, *why.get(requested, [])]))
    notes.append(why_not)
    return Start("scratch", None, None, "; ".join([*notes, "trained from scratch instead"]))


def _latest(model_name: str, arch: str, horizon: int, explicit: bool) -> tuple[Start | None, str]:
    previous = selectors.latest_model_version(model_name, with_weights=True)
    if previous is None:
        return None, f"no earlier version of {model_name} to fine-tune"
    if previous.start == Kind.PRETRAINED_ZERO_SHOT and not explicit:
        # a copy of the checkpoint, never trained on this catalogue: the pretrained rule decides again
        return None, f"version {previous.pk} is the pretrained checkpoint, zero-shot"
    try:
        model = GlobalForecaster.from_bytes(bytes(previous.weights))
    except Exception as exc:  # a broken artifact must not block forecasting
        log.warning("cannot load model version %s for fine-tuning: %s", previous.pk, exc)
        return None, f"version {previous.pk} cannot be loaded ({type(exc).__name__})"
    if model.horizon != horizon or model.arch != arch:
        return None, (f"version {previous.pk} forecasts {model.horizon} days with {model.arch}, this run "
                      f"{horizon} days with {arch}")
    return Start("latest", model, previous, f"fine-tuned from version {previous.pk}"), ""


def _pretrained(arch: str, horizon: int) -> tuple[GlobalForecaster | None, str]:
    try:
        model = pretrained.load()
    except pretrained.CheckpointError as exc:
        log.warning("%s", exc)
        return None, str(exc)
    if model.horizon != horizon or model.arch != arch:
        return None, (f"the pretrained checkpoint forecasts {model.horizon} days with {model.arch}, this run "
                      f"{horizon} days with {arch}")
    return model, ""


def pretrained_plan(history_days: int, horizon: int) -> str | None:
    """None when the pretrained checkpoint is to be fine-tuned if the holdout says it helps; else
    why it is used zero-shot."""
    needed = 3 * horizon + 2
    if history_days < needed:
        return (f"{history_days} days of history are too few to fine-tune and check it on a holdout "
                f"(that takes {needed}): the checkpoint is used zero-shot")
    return None


def keep_fine_tuned(zero_shot: float | None, fine_tuned: float | None) -> bool:
    """Whether the fine-tuned checkpoint replaces the zero-shot one, from their holdout WRMSSE:
    only when it is strictly better (a tie keeps the model that never saw this catalogue's noise)."""
    if fine_tuned is None:
        return False
    return zero_shot is None or fine_tuned < zero_shot
