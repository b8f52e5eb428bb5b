"""What each accuracy figure on the pages means, in one line: one home for the words, so that
the runs page, a run's page and the dashboard explain a number the same way."""

MEANINGS = {
    "wrmsse": "dollar-weighted RMSSE over the catalogue's levels (M5's metric): 1.0 = as good as a naive forecast on "
              "its own scale; lower is better",
    "wrmsse_bottom": "the same at the product x warehouse level only",
    "seasonal_naive_wrmsse": "WRMSSE of 'same day last week' on the same holdout: the bar to beat",
    "mae_vs_seasonal_naive": "absolute error of the model divided by that of seasonal naive on the same holdout: "
                             "below 1 beats it; robust on intermittent series",
    "mase": "mean over series of the error scaled by each series' one-step naive error; on intermittent series "
            "that scale is tiny and the mean explodes (6 is common and not '6 times worse'): read "
            "MAE ÷ seasonal naive instead",
    "pinball": "scaled pinball loss of p10/p50/p90: quantile accuracy, lower is better",
    "pinball_grid": "the same over every quantile of the grid",
    "coverage_80": "share of holdout days inside p10-p90 (80 % when calibrated; zero-sales days inflate it)",
    "coverage_80_pit": "the same for count data (non-randomised PIT): 80 % when calibrated",
    "coverage_98": "share inside p1-p99 (98 % when calibrated)",
    "bias": "mean forecast minus mean sales over the holdout, in units a day: above 0 over-forecasts",
    "holdout_start": "first day of the holdout the figures are measured on",
}


def explained(metrics: dict) -> list[tuple[str, object, str]]:
    """(name, value, meaning) for every figure that is a number or a date, known ones first."""
    scalars = {k: v for k, v in (metrics or {}).items() if v is None or isinstance(v, (int, float, str))}
    known = [(k, scalars.pop(k), MEANINGS[k]) for k in MEANINGS if k in scalars]
    return known + [(k, v, "") for k, v in sorted(scalars.items())]
