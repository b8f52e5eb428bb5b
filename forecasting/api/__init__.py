"""REST API (v1) of forecasting: runs (start and poll), forecasts, the live forecast, model versions."""
