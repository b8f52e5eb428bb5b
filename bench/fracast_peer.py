"""fracast, a small pretrained forecaster from PyPI that ships its weights, as the outside
foundation-model peer of the pretrained global model (issue #17). Benchmarks only
(requirements-bench.txt).

It forecasts each series from its own past alone (no covariates, no catalogue): the last
``CONTEXT`` observed periods, unknown ones (before a launch, a stock-out) read as zero sales.
Its nine quantiles (p10..p90) are put on the project's grid by linear interpolation; levels
beyond them take the outer ones (narrower tails than the grid asks for: its p01/p99 are not
scored by the WRMSSE rows). The point forecast is its median.
"""
from __future__ import annotations

import numpy as np

from forecasting.ml.base import QUANTILES, Forecaster, finalize

CONTEXT = 512
BATCH = 256


class FracastPeer(Forecaster):
    name = "fracast"

    def __init__(self):
        # imported here: a benchmark-only dependency the product never loads
        from fracast import FracastModel

        self.model = FracastModel.from_pretrained()
        self.levels = np.asarray(self.model.quantiles, float)

    def predict(self, panel, origin: int, horizon: int):
        context = np.nan_to_num(panel.y[:, max(origin - CONTEXT, 0):origin].astype(np.float64))
        out = np.concatenate([self.model.forecast_batch(context[i:i + BATCH], horizon=horizon)
                              for i in range(0, len(context), BATCH)])  # [N, H, 9]
        grid = np.stack([np.apply_along_axis(lambda row: np.interp(q, self.levels, row), -1, out)
                         for q in QUANTILES], axis=-1)
        median = out[..., int(np.argmin(np.abs(self.levels - 0.5)))]
        return finalize(median, grid, panel.ids, panel.dates[origin:origin + horizon])
