"""The planner's view of the uplift model: calibrated parameters plus discount scaling.

The calibration (``calibration.json``) is written by ``python -m bench.promo_uplift --calibration
insights/promotions/calibration.json`` from the real pasta_promo promotion flags. pasta_promo
records *whether* a SKU was on promotion, not how deep the discount was, so the discount
dependence is an explicit assumption: the calibrated uplift is taken to be that of a
``REFERENCE_DISCOUNT`` price cut, and other depths scale it with a constant price elasticity,

    log multiplier(d) = log multiplier(d_ref) * log(1 - d) / log(1 - d_ref),

so 0 % gives no uplift, deeper discounts never give fewer units, and the calibrated shape
(length, gap, category share, baseline level, product history) is kept.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from .uplift import UpliftModel

CALIBRATION_FILE = Path(__file__).with_name("calibration.json")
REFERENCE_DISCOUNT = 0.25  # assumed depth of the pasta_promo promotions (typical grocery price promotion)


@lru_cache(maxsize=1)
def calibrated_model() -> tuple[UpliftModel, dict]:
    data = json.loads(CALIBRATION_FILE.read_text())
    return UpliftModel.from_dict(data["model"]), {k: v for k, v in data.items() if k != "model"}


def discount_scale(discount: float) -> float:
    """Factor on the reference log-uplift for a ``discount`` in [0, 0.9]."""
    return float(np.log1p(-discount) / np.log1p(-REFERENCE_DISCOUNT))


def product_effect(model: UpliftModel, history_episodes: pd.DataFrame) -> tuple[float, float, int]:
    """Empirical-Bayes effect of one product from its own past episodes: ``(mean, sd, n)``.

    Normal-normal shrinkage of the log residuals against the pooled prediction: with no
    history the product gets the pool (0, prior sd); each measured episode pulls it towards
    its own record, weighted by the calibrated residual noise.
    """
    ep = history_episodes[history_episodes["base_rate"] > 0] if len(history_episodes) else history_episodes
    prior_var = model.series_effect_sd ** 2
    noise_var = model.residual_sd ** 2
    if not len(ep):
        return 0.0, float(np.sqrt(prior_var)), 0
    pooled = model.predict_units(ep.assign(series="__new__", group="__new__"))
    resid = np.log((ep["units"].to_numpy(float) + 1) / (pooled + 1))
    post_var = 1.0 / (len(resid) / noise_var + 1.0 / prior_var)
    return float(post_var * resid.sum() / noise_var), float(np.sqrt(post_var)), int(len(resid))
