"""Recalibrating a model's quantiles on a shop's own recent days, without training (pure numpy).

A pretrained checkpoint used zero-shot learned its quantiles on the corpus, and a shop's demand
may sit elsewhere in them: on the pasta promotions, held out of the corpus, the checkpoint's
median was exceeded on 67 % of days rather than half, so its median forecast was too low.
Quantile recalibration (Kuleshov, Fenner and Ermon, 2018) fixes the levels, not the weights:
the recent days' empirical coverage of each of the model's quantile levels gives a monotone map
from a wanted level to the model level that reaches it, and each forecast quantile is then read
off the model's own quantile curve at the mapped level. The mean is left alone.

Guarded against making things worse, because a shop's last weeks can be unlike its next ones (a
seasonal ramp, a launch): the map is fitted on the horizon before the last and kept only if it
lowers the scaled pinball loss on the last horizon; it is then refitted on the last horizon,
the newest evidence, for the forecast. On Online Retail (held out) the check refuses it at every
origin; on the pasta promotions it passes at every origin.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from . import metrics as M
from .base import QUANTILES, Forecast

LEVELS = np.asarray(QUANTILES, float)
MIN_CASES = 200  # observed series-days a map is fitted on, at the least


def level_map(quantiles, actual, levels=LEVELS) -> np.ndarray:
    """(Q,) model level per wanted level, from ``quantiles`` (N, H, Q) and ``actual`` (N, H) (NaN:
    not observed). A tie (a count equal to the quantile, common for small counts) counts half."""
    q, y = np.asarray(quantiles, float), np.asarray(actual, float)
    ok = ~np.isnan(y)
    if ok.sum() < MIN_CASES:
        raise ValueError(f"recalibration needs at least {MIN_CASES} observed cases, got {int(ok.sum())}")
    yy = y[ok][:, None]
    qq = q[ok]
    covered = (yy < qq).mean(0) + 0.5 * (yy == qq).mean(0)
    # coverage can only grow with the level; a plateau (levels tied with the demand) is given a
    # slope too small to matter, so that the interpolation below is defined
    covered = np.maximum.accumulate(covered) + 1e-9 * np.arange(len(levels))
    return np.interp(levels, covered, levels)          # outside the observed range: the end levels


def apply(quantiles, mapping, levels=LEVELS) -> np.ndarray:
    """``quantiles`` (..., Q) read at the mapped levels, by linear interpolation along the model's
    quantile curve (sorted, so never crossing)."""
    q = np.asarray(quantiles, float)
    m = np.clip(np.asarray(mapping, float), levels[0], levels[-1])
    k = np.clip(np.searchsorted(levels, m, side="right") - 1, 0, len(levels) - 2)
    w = (m - levels[k]) / (levels[k + 1] - levels[k])
    out = q[..., k] * (1 - w) + q[..., k + 1] * w
    return np.sort(out, axis=-1)


def fit_guarded(predict: Callable[[int], Forecast], y, origin: int, horizon: int) -> tuple[np.ndarray | None, dict]:
    """The map for forecasts made at ``origin`` from ``predict(o)`` (the model's own quantiles at
    origin ``o``) and demand ``y`` (N, T): (map, evidence) or (None, evidence saying why not)."""
    H = horizon
    if origin - 2 * H < H:
        return None, {"used": False, "why": f"needs {3 * H} periods of history, has {origin}"}
    y = np.asarray(y, float)
    try:
        older = level_map(predict(origin - 2 * H).quantiles, y[:, origin - 2 * H:origin - H])
        last = predict(origin - H)
        actual = y[:, origin - H:origin]
        raw = M.scaled_pinball(actual, last.quantiles, QUANTILES, y[:, :origin - H])
        mapped = M.scaled_pinball(actual, apply(last.quantiles, older), QUANTILES, y[:, :origin - H])
        if not np.isfinite(raw) or not np.isfinite(mapped):
            return None, {"used": False, "why": "no observed demand to score the check on"}
        evidence = {"check_pinball_raw": round(float(raw), 5), "check_pinball_recalibrated": round(float(mapped), 5)}
        if mapped >= raw:
            return None, {"used": False, "why": "it did not lower the pinball loss on the last horizon", **evidence}
        mapping = level_map(last.quantiles, actual)
    except ValueError as exc:  # too few observed days to fit a map on
        return None, {"used": False, "why": str(exc)}
    return mapping, {"used": True, "median_reads_level": round(float(mapping[list(QUANTILES).index(0.5)]), 4),
                     **evidence}
