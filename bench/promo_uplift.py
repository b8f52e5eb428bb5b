"""Promotion uplift on held-out pasta_promo promotions: our pooled model vs the simple baseline.

    python -m bench.promo_uplift [--cut 2017-07-01] [--json var/bench/promo_uplift.json]
                                 [--calibration insights/promotions/calibration.json]

Data: ../shared/data/pasta_promo (one Italian store, 118 SKUs, real promotion flags).
Held-out set: every promotion episode that starts on or after ``--cut`` and has a measurable
baseline (>= 7 non-promotion days with positive mean units in the 28 open days before it).
Both predictors share that baseline; they differ only in the uplift multiplier:

- ``none``           multiplier 1 (the promotion changes nothing): a floor;
- ``product_mean``   the baseline the issue names: average measured uplift of the product's
                     earlier episodes (brand, then overall average when it has none);
- ``pooled_model``   insights.promotions.uplift.UpliftModel (shrunk product and brand effects +
                     length, gap, brand share, baseline level), refitted every quarter.

Only episodes that *ended* before a prediction's date are used by either predictor. The
ridge strength is picked on the last 12 months before the cut, never on the held-out set.
With ``--calibration`` the model is refitted on all episodes and written for the planner.
"""
from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np
import pandas as pd

from insights.promotions.uplift import UpliftModel, find_episodes, product_mean_uplift, read_pasta_promo

L2_GRID = (30.0, 100.0, 300.0, 1000.0, 3000.0)


def _ended_before(ep: pd.DataFrame, index: int) -> pd.DataFrame:
    return ep[ep["start"] + ep["length"] <= index]


def _scores(units: np.ndarray, pred: np.ndarray, measured: np.ndarray, mult: np.ndarray) -> dict:
    return {
        "episodes": int(len(units)),
        "wape_units": float(np.abs(pred - units).sum() / max(units.sum(), 1e-9)),
        "mae_uplift": float(np.mean(np.abs(mult - measured))),
        "median_ae_uplift": float(np.median(np.abs(mult - measured))),
        "mae_log_units": float(np.mean(np.abs(np.log1p(pred) - np.log1p(units)))),
    }


def pick_l2(ep: pd.DataFrame, dates: pd.DatetimeIndex, cut: int) -> tuple[float, dict]:
    val_start = int(dates.searchsorted(dates[cut] - pd.Timedelta(days=365)))
    train = _ended_before(ep, val_start)
    val = ep[(ep["start"] >= val_start) & (ep["start"] < cut) & (ep["base_rate"] > 0)]
    scores = {}
    for l2 in L2_GRID:
        pred = UpliftModel(l2_series=l2, l2_group=l2).fit(train).predict_units(val)
        scores[l2] = float(np.abs(pred - val["units"]).sum() / val["units"].sum())
    return min(scores, key=scores.get), scores


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=None, help="pasta_promo folder or CSV (default ../shared/data/pasta_promo)")
    ap.add_argument("--cut", default="2017-07-01", help="held-out episodes start on or after this date")
    ap.add_argument("--refit-days", type=int, default=91, help="refit the pooled model this often (days)")
    ap.add_argument("--json", default="var/bench/promo_uplift.json")
    ap.add_argument("--calibration", default=None, help="also refit on all episodes and write the planner's JSON")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()

    y, promo, dates, ids, groups = read_pasta_promo(args.data)
    ep = find_episodes(y, promo, dates, ids, groups)
    cut = int(dates.searchsorted(pd.Timestamp(args.cut)))
    l2, l2_scores = pick_l2(ep, dates, cut)
    held = ep[(ep["start"] >= cut) & (ep["base_rate"] > 0)].copy()
    skipped_zero_base = int(((ep["start"] >= cut) & (ep["base_rate"] <= 0)).sum())

    # Pooled model, refitted on a fixed calendar every --refit-days with what had ended by then.
    held["mult_model"] = np.nan
    block_starts = pd.date_range(dates[cut], dates[-1] + pd.Timedelta(days=1), freq=f"{args.refit_days}D")
    for b0, b1 in zip(block_starts, list(block_starts[1:]) + [dates[-1] + pd.Timedelta(days=1)]):
        i0 = int(dates.searchsorted(b0))
        rows = (held["start_date"] >= b0) & (held["start_date"] < b1)
        if rows.any():
            model = UpliftModel(l2_series=l2, l2_group=l2).fit(_ended_before(ep, i0))
            held.loc[rows, "mult_model"] = np.exp(model.log_multiplier(held[rows]))
    held["mult_product_mean"] = product_mean_uplift(ep, held)
    held["mult_none"] = 1.0
    held["past_episodes"] = [int(((ep["series"] == r.series) & (ep["start"] + ep["length"] <= r.start)
                                  & ep["measured"].notna()).sum()) for r in held.itertuples()]

    predictors = ("none", "product_mean", "model")
    def table(frame: pd.DataFrame) -> dict:
        e = frame["base_rate"] * frame["length"]
        return {p: _scores(frame["units"].to_numpy(), (e * frame[f"mult_{p}"]).to_numpy(),
                           frame["measured"].to_numpy(), frame[f"mult_{p}"].to_numpy()) for p in predictors}

    overall = table(held)
    slices = {}
    buckets = {
        "length 1 day": held["length"] == 1, "length 2-6 days": held["length"].between(2, 6),
        "length 7+ days": held["length"] >= 7,
        "product history 0-4 episodes": held["past_episodes"] <= 4,
        "product history 5-19 episodes": held["past_episodes"].between(5, 19),
        "product history 20+ episodes": held["past_episodes"] >= 20,
        "baseline < 1 unit/day": held["base_rate"] < 1, "baseline >= 1 unit/day": held["base_rate"] >= 1,
    }
    for g in sorted(held["group"].unique()):
        buckets[f"brand {g}"] = held["group"] == g
    for name, mask in buckets.items():
        if mask.sum():
            slices[name] = table(held[mask])
    # Paired bootstrap over held-out episodes: is the WAPE difference more than noise?
    rng = np.random.default_rng(0)
    e = (held["base_rate"] * held["length"]).to_numpy()
    u = held["units"].to_numpy()
    err_m = np.abs(e * held["mult_model"].to_numpy() - u)
    err_b = np.abs(e * held["mult_product_mean"].to_numpy() - u)
    diffs = []
    for _ in range(1000):
        i = rng.integers(0, len(u), len(u))
        diffs.append((err_m[i].sum() - err_b[i].sum()) / u[i].sum())
    ci = [float(np.quantile(diffs, 0.025)), float(np.quantile(diffs, 0.975))]
    closer = np.abs(held["mult_model"] - held["measured"]) < np.abs(held["mult_product_mean"] - held["measured"])
    out = {
        "data": "pasta_promo (Mancuso et al., 1 store, 118 SKUs, 2014-2018)",
        "cut": args.cut, "l2_chosen": l2, "l2_validation_wape": l2_scores,
        "episodes_total": int(len(ep)), "held_out": int(len(held)), "held_out_skipped_zero_baseline": skipped_zero_base,
        "model_closer_than_product_mean_share": float(closer.mean()),
        "wape_difference_model_minus_product_mean_95ci": ci,
        "overall": overall, "slices": slices, "seconds": round(time.perf_counter() - t0, 1),
    }

    print(f"pasta_promo: {len(ep)} episodes, {len(held)} held out from {args.cut} "
          f"({skipped_zero_base} skipped: zero baseline); ridge l2={l2}")
    head = f"{'slice':34s} {'n':>5s} " + " ".join(f"{p + ' ' + m:>22s}" for m in ("WAPE", "MAE uplift")
                                                 for p in predictors)
    print(head)
    for name, tab in [("ALL", overall)] + list(slices.items()):
        n = tab["model"]["episodes"]
        cells = [f"{tab[p]['wape_units']:22.3f}" for p in predictors] + \
                [f"{tab[p]['mae_uplift']:22.3f}" for p in predictors]
        print(f"{name:34s} {n:5d} " + " ".join(cells))
    ratio = overall["model"]["wape_units"] / overall["product_mean"]["wape_units"]
    print(f"model / product_mean WAPE ratio: {ratio:.3f}; model closer on {closer.mean():.1%} of episodes; "
          f"WAPE difference 95% CI (paired bootstrap) [{ci[0]:+.3f}, {ci[1]:+.3f}]")

    if args.calibration:
        full = UpliftModel(l2_series=l2, l2_group=l2).fit(ep)
        cal = {"source": out["data"], "fitted_on_episodes": int(full.n_episodes), "model": full.to_dict(),
               "held_out_wape_units": overall["model"]["wape_units"],
               "held_out_wape_units_product_mean": overall["product_mean"]["wape_units"]}
        with open(args.calibration, "w") as f:
            json.dump(cal, f, indent=1, sort_keys=True)
        print(f"wrote {args.calibration}")
    os.makedirs(os.path.dirname(args.json) or ".", exist_ok=True)
    with open(args.json, "w") as f:
        json.dump(out, f, indent=1, default=float)
    print(f"wrote {args.json}")
    return out


if __name__ == "__main__":
    main()
