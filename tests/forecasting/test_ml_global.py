"""The global model on small generated panels: shapes, leakage, reproducibility, save/load,
fine-tuning, cold start, explanations, bad input.  Embeddings are off except in one test."""
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import torch

from forecasting.ml.base import QUANTILES
from forecasting.ml.data import DataError, panel_from_long
from forecasting.ml.explain import COMPONENTS, explain
from forecasting.ml.train import GlobalForecaster, TrainConfig

from ._synth import make_panel

H = 7


def small(arch="tide", seed=0, **kw):
    tc = TrainConfig(seed=seed, max_epochs=2, batches_per_epoch=4, batch_size=64, device="cpu")
    return GlobalForecaster(H, context=21, arch=arch, use_text=False, hidden=32, train=tc, **kw)


@pytest.fixture(scope="module")
def panel():
    return make_panel()


@pytest.fixture(scope="module")
def fitted(panel):
    torch.set_num_threads(1)
    return small().fit(panel, 130)


def test_forecast_shape_and_quantile_order(fitted, panel):
    fc = fitted.predict(panel, 130, H)
    assert fc.mean.shape == (8, H) and fc.quantiles.shape == (8, H, len(QUANTILES))
    assert np.all(np.diff(fc.quantiles, axis=-1) >= 0) and np.all(fc.quantiles >= 0)
    frame = fc.to_frame()
    assert list(frame.columns[:3]) == ["unique_id", "ds", "mean"] and "p01" in frame and "p99" in frame
    assert frame["ds"].min() == panel.dates[130]


def test_no_leakage_future_demand_does_not_move_the_forecast(fitted, panel):
    base = fitted.predict(panel, 130, H)
    altered = panel.truncate(panel.n_obs)
    altered.y = panel.y.copy()
    altered.y[:, 130:] = altered.y[:, 130:] * 10 + 50   # the future, wildly changed
    moved = fitted.predict(altered, 130, H)
    np.testing.assert_array_equal(base.mean, moved.mean)
    np.testing.assert_array_equal(base.quantiles, moved.quantiles)
    # and the past does move it (the test can fail)
    past = panel.truncate(panel.n_obs)
    past.y = panel.y.copy()
    past.y[:, 100:130] *= 5
    assert not np.allclose(fitted.predict(past, 130, H).mean, base.mean)


def test_training_ignores_days_after_the_end(panel):
    a = small().fit(panel, 120)
    changed = panel.truncate(panel.n_obs)
    changed.y = panel.y.copy()
    changed.y[:, 120:] = 99.0
    b = small().fit(changed, 120)
    np.testing.assert_allclose(a.predict(panel, 120, H).mean, b.predict(panel, 120, H).mean)


def test_same_seed_same_numbers_other_seed_other_numbers(panel):
    a = small(seed=1).fit(panel, 120).predict(panel, 120, H)
    b = small(seed=1).fit(panel, 120).predict(panel, 120, H)
    c = small(seed=2).fit(panel, 120).predict(panel, 120, H)
    np.testing.assert_array_equal(a.mean, b.mean)
    np.testing.assert_array_equal(a.quantiles, b.quantiles)
    assert not np.allclose(a.mean, c.mean)


def test_save_load_roundtrip_gives_identical_forecasts(fitted, panel):
    blob = fitted.to_bytes()
    back = GlobalForecaster.from_bytes(blob)
    np.testing.assert_array_equal(back.predict(panel, 130, H).mean, fitted.predict(panel, 130, H).mean)
    art = fitted.to_artifact()
    for key in ("weights", "model_config", "features", "data_window", "metrics", "device", "seconds"):
        assert key in art
    assert art["data_window"]["end"] == str(panel.dates[129].date())
    with pytest.raises(DataError):
        GlobalForecaster.from_artifact({"format": "something else"})


def test_yearly_lag_option_sees_last_year_but_never_the_future():
    """yearly=True (off by default): each forecast day also sees the same weekday a year before.
    That input moves the forecast, future demand does not, and a saved model keeps the option."""
    long_panel = make_panel(n=6, t=420, seed=3)
    model = small(yearly=True).fit(long_panel, 400)
    assert model.net.cfg.season_lag == 364
    base = model.predict(long_panel, 400, H)
    future = long_panel.truncate(long_panel.n_obs)
    future.y = long_panel.y.copy()
    future.y[:, 400:] = 500.0
    np.testing.assert_array_equal(model.predict(future, 400, H).mean, base.mean)
    last_year = long_panel.truncate(long_panel.n_obs)
    last_year.y = long_panel.y.copy()
    last_year.y[:, 36:36 + H] *= 20  # 364 days before the forecast days 400..406
    assert not np.allclose(model.predict(last_year, 400, H).mean, base.mean)
    back = GlobalForecaster.from_bytes(model.to_bytes())
    assert back.net.cfg.season_lag == 364
    np.testing.assert_array_equal(back.predict(long_panel, 400, H).mean, base.mean)
    assert small().fit(long_panel, 400).net.cfg.season_lag == 0


def test_finetune_starts_from_previous_weights_and_grows_vocabulary(fitted):
    bigger = make_panel(n=10, seed=3)  # two products the previous version never saw
    ft = small().fit(bigger, 140, init_from=fitted)
    assert ft.parent["data_window"] == fitted.data_window
    assert len(ft.item_vocab) == len(fitted.item_vocab) + 2
    old = fitted.net.state_dict()["dense.weight"]
    new = ft.net.state_dict()["dense.weight"]
    # close to the previous weights (a few small steps), not a fresh random init
    fresh = small(seed=5).fit(bigger, 140).net.state_dict()["dense.weight"]
    assert (new - old).abs().mean() < (fresh - old).abs().mean()
    assert np.isfinite(ft.predict(bigger, 140, H).mean).all()


def test_lstm_architecture_trains_and_predicts(panel):
    m = small(arch="lstm").fit(panel, 120)
    fc = m.predict(panel, 120, H)
    assert np.isfinite(fc.mean).all() and m.net.cfg.arch == "lstm"


def test_cold_start_product_without_history(fitted, panel):
    new = panel.subset(np.array([1, 2]))
    new.ids = np.array(["brand_new_1", "brand_new_2"], dtype=object)
    new.y = new.y.copy()
    new.y[:, :] = np.nan   # no history at all
    fc = fitted.predict(new, 130, H)
    assert np.isfinite(fc.mean).all() and (fc.mean > 0).all()
    forced = fitted.predict_cold(panel, 130)
    assert forced.mean.shape == (8, H)


def test_explanation_parts_add_up_to_the_forecast(fitted, panel):
    ex = explain(fitted, panel.truncate(130), 130)
    total = ex[list(COMPONENTS)].sum(axis=1)
    np.testing.assert_allclose(total, ex["mean"], rtol=1e-4, atol=1e-4)
    assert len(ex) == 8 * H


def test_bad_input_gives_clear_errors_or_forecasts(fitted, panel):
    with pytest.raises(DataError, match="empty"):
        panel_from_long(pd.DataFrame(columns=["unique_id", "ds", "y"]))
    one_day = panel_from_long(pd.DataFrame({"unique_id": ["a"], "ds": ["2024-01-01"], "y": [3]}))
    with pytest.raises(DataError, match="at least"):
        small().fit(one_day)
    # a fitted model forecasts a single-day history (and an all-zero one) without crashing
    fc = fitted.predict(one_day)
    assert fc.mean.shape == (1, H) and np.isfinite(fc.mean).all()
    zeros = panel.truncate(panel.n_obs)
    zeros.y = np.zeros_like(panel.y)
    assert np.isfinite(fitted.predict(zeros, 130, H).mean).all()
    with pytest.raises(DataError, match="no observed demand"):
        small().fit(panel.truncate(0), 130)
    nanprice = panel.truncate(panel.n_obs)
    nanprice.price = np.full_like(panel.price, np.nan)
    assert np.isfinite(small().fit(nanprice, 120).predict(nanprice, 120, H).mean).all()
    with pytest.raises(DataError, match="horizon"):
        fitted.predict(panel, 120, H + 1)


def test_text_embeddings_on_a_handful_of_texts(tmp_path, monkeypatch):
    monkeypatch.setenv("STOCKCAST_CACHE_DIR", str(tmp_path))
    from forecasting.ml.text import embed_texts
    e = embed_texts(["red ceramic coffee mug", "blue ceramic tea cup", "garden hose 20m", ""])
    assert e.shape == (4, 384) and np.all(e[3] == 0)
    assert e[0] @ e[1] > e[0] @ e[2]
    again = embed_texts(["red ceramic coffee mug"])  # from the cache
    np.testing.assert_allclose(again[0], e[0], rtol=1e-6)
    assert len(list((tmp_path / "text_emb").glob("*.npy"))) == 3


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine")
def test_training_step_on_cuda(panel):
    tc = TrainConfig(max_epochs=1, batches_per_epoch=2, batch_size=64, device="cuda")
    m = GlobalForecaster(H, context=21, use_text=False, hidden=32, train=tc).fit(panel, 120)
    assert next(m.net.parameters()).is_cuda and m.report.device.startswith("cuda")
    assert np.isfinite(m.predict(panel, 120, H).mean).all()


def test_one_huge_order_does_not_dominate_training():
    """A wholesale order of 5,000 units among series selling ~4 a day: with the default robust
    loss for the mean, training losses stay on the scale of ordinary days and the forecasts of
    the ordinary series stay near their level; with plain squared error the spike dominates."""
    torch.set_num_threads(1)
    panel = make_panel(n=16, t=200, seed=3, start_late=False)
    panel.y[2, 120] = 5000.0
    panel.y[5, 150] = 5000.0
    losses = {}
    for delta in (TrainConfig().mean_huber_delta, None):
        tc = TrainConfig(seed=0, max_epochs=6, batches_per_epoch=8, batch_size=128, device="cpu",
                         mean_huber_delta=delta)
        model = GlobalForecaster(H, context=21, use_text=False, hidden=32, train=tc).fit(panel, 190)
        losses[delta] = max(h["loss"] for h in model.report.history if h["stage"] == "train")
        if delta:
            fc = model.predict(panel.truncate(190), 190, H)
            ordinary = [i for i in range(16) if i not in (2, 5)]
            level = np.nanmean(panel.y[ordinary, 160:190], axis=1)
            ratio = fc.mean[ordinary].mean(axis=1) / level
            # a model this small is noisy per series: the typical series near its level, none far off
            assert 0.7 < np.median(ratio) < 1.3 and np.all((ratio > 0.4) & (ratio < 2.5)), ratio
    assert TrainConfig().mean_huber_delta, "the robust mean loss is the default"
    assert losses[TrainConfig().mean_huber_delta] < losses[None] / 5, losses


def test_a_stock_out_run_is_unobserved_for_the_model_not_zero_demand():
    """The last 30 days of a steady seller are zeros:
    a stock-out. With masking the model treats them as unobserved, exactly as if the days were
    missing; without it, as 30 days of zero demand, which moves the forecast."""
    torch.set_num_threads(1)
    panel = make_panel(n=6, t=420, seed=5, start_late=False)
    panel.y[3] = np.random.default_rng(1).poisson(8, panel.n_days).astype(np.float32)
    panel.y[3, 390:420] = 0.0
    missing = panel.truncate(panel.n_obs)
    missing.y = panel.y.copy()
    missing.y[3, 390:420] = np.nan
    for mask in (True, False):
        tc = TrainConfig(seed=0, max_epochs=2, batches_per_epoch=4, batch_size=64, device="cpu",
                         mask_stockouts=mask)
        model = GlobalForecaster(H, context=21, use_text=False, hidden=32, train=tc).fit(panel, 390)
        as_zeros, as_missing = model.predict(panel, 420, H).mean[3], model.predict(missing, 420, H).mean[3]
        if mask:
            np.testing.assert_array_equal(as_zeros, as_missing)
        else:
            assert not np.allclose(as_zeros, as_missing)


def test_stockout_masking_is_saved_with_the_version_and_old_versions_load_without_it(fitted):
    art = fitted.to_artifact()
    art["train_config"] = {**art["train_config"], "mask_stockouts": True}
    assert GlobalForecaster.from_artifact(art).tc.mask_stockouts is True
    art["train_config"] = {k: v for k, v in art["train_config"].items() if k != "mask_stockouts"}
    assert GlobalForecaster.from_artifact(art).tc.mask_stockouts is False


def test_both_trains_an_unmasked_and_a_masked_network_and_forecasts_their_mean(panel):
    """mask_stockouts="both" (the default): two networks with the same seed, each exactly what
    training with that setting alone gives; the forecast is their mean (quantiles re-calibrated
    once more); saving and loading keeps both; fine-tuning adapts each member from its namesake."""
    torch.set_num_threads(1)
    tc = TrainConfig(seed=0, max_epochs=2, batches_per_epoch=4, batch_size=64, device="cpu")
    assert tc.mask_stockouts == "both"
    pair = GlobalForecaster(H, context=21, use_text=False, hidden=32, train=tc).fit(panel, 130)
    assert [m.tc.mask_stockouts for m in pair.members] == [False, True]
    assert all(m.tc.max_seconds == tc.max_seconds / 2 for m in pair.members)  # the time budget is the pair's
    singles = [GlobalForecaster(H, context=21, use_text=False, hidden=32,
                                train=TrainConfig(**{**tc.to_dict(), "mask_stockouts": mask})).fit(panel, 130)
               for mask in (False, True)]
    fc = pair.predict(panel, 130, H)
    alone = [m.predict(panel, 130, H) for m in singles]
    np.testing.assert_allclose(fc.mean, (alone[0].mean + alone[1].mean) / 2, rtol=1e-6, atol=1e-6)
    assert np.all(np.diff(fc.quantiles, axis=-1) >= 0)
    reports = pair.report.members
    assert [r["mask_stockouts"] for r in reports] == [False, True]
    assert reports[1]["validation"] == singles[1].validation_error(panel, 130)
    back = GlobalForecaster.from_bytes(pair.to_bytes())
    assert len(back.members) == 2 and back.report.members == reports and back.interval_scale == pair.interval_scale
    np.testing.assert_array_equal(back.predict(panel, 130, H).quantiles, fc.quantiles)
    successor = GlobalForecaster(H, train=tc, init_from=back).fit(panel, 137)
    assert [m.tc.mask_stockouts for m in successor.members] == [False, True]
    assert all(m.parent is not None for m in successor.members)
    moved = successor.members[1].net.state_dict()["dense.weight"] - back.members[1].net.state_dict()["dense.weight"]
    assert 0 < float(moved.abs().max()) < 1.0   # adapted from the masked member, not trained afresh


def test_an_unknown_masking_setting_is_refused_by_name(panel):
    tc = TrainConfig(seed=0, max_epochs=1, batches_per_epoch=1, batch_size=16, device="cpu",
                     mask_stockouts="sometimes")
    with pytest.raises(DataError, match="mask_stockouts must be true, false or 'both', got 'sometimes'"):
        GlobalForecaster(H, context=21, use_text=False, hidden=32, train=tc).fit(panel, 130)


def test_the_kept_weights_are_a_moving_average_unless_turned_off(panel):
    """ema_decay: the weights validated and kept are an exponential moving average over the
    training steps. Turned off, the last step's weights are kept: a different model; each is
    reproducible, and the setting travels with the saved version."""
    torch.set_num_threads(1)

    def fit(decay):
        tc = TrainConfig(seed=3, max_epochs=2, batches_per_epoch=6, batch_size=64, device="cpu",
                         mask_stockouts=False, ema_decay=decay, lr=5e-3)
        return GlobalForecaster(H, context=21, use_text=False, hidden=32, train=tc).fit(panel, 130)

    averaged, last = fit(0.9), fit(0.0)
    a, b = (m.net.state_dict()["dense.weight"] for m in (averaged, last))
    assert not torch.allclose(a, b)
    torch.testing.assert_close(fit(0.9).net.state_dict()["dense.weight"], a, rtol=0, atol=0)
    assert averaged.to_artifact()["train_config"]["ema_decay"] == 0.9


class Interrupted(Exception):
    pass


def test_an_interrupted_fit_resumes_where_it_stopped_and_ends_with_the_same_weights(panel, tmp_path):
    """ResumePoint: the loop's state is kept after every epoch; killed after epoch 2 of 4 (of each
    network of the pair), a second fit with the same settings goes on from there and ends with
    exactly the weights of a fit that was never interrupted; a finished fit resumed trains nothing."""
    torch.set_num_threads(1)
    tc = TrainConfig(seed=4, max_epochs=4, patience=10, batches_per_epoch=3, batch_size=64, device="cpu")

    def model(resume_at=None):
        m = GlobalForecaster(H, context=21, use_text=False, hidden=32, train=tc)
        m.resume_at = resume_at
        return m

    whole = model().fit(panel, 130)
    prefix = tmp_path / "run"
    first = model(prefix)

    def stop_after_two(info):
        if info["epoch"] == 2 and "network 1" in info["member"]:
            raise Interrupted

    first.on_epoch = stop_after_two
    with pytest.raises(Interrupted):
        first.fit(panel, 130)
    assert (tmp_path / "run-network1.pt").exists() and not (tmp_path / "run-network2.pt").exists()
    heard = []
    second = model(prefix)
    second.on_epoch = heard.append
    second.fit(panel, 130)
    # network 1 trains epochs 3 and 4 only, network 2 all four
    assert [(h["member"][:9], h["epoch"]) for h in heard] == [("network 1", 3), ("network 1", 4)] + \
        [("network 2", e) for e in (1, 2, 3, 4)]
    for a, b in zip(whole.members, second.members):
        for k, v in a.net.state_dict().items():
            torch.testing.assert_close(b.net.state_dict()[k], v, rtol=0, atol=0)
    assert second.report.epochs == whole.report.epochs == 8
    np.testing.assert_array_equal(second.predict(panel, 130, H).mean, whole.predict(panel, 130, H).mean)
    heard.clear()
    third = model(prefix)
    third.on_epoch = heard.append
    third.fit(panel, 130)
    assert heard == []  # both networks had finished: nothing is trained again
    np.testing.assert_array_equal(third.predict(panel, 130, H).mean, whole.predict(panel, 130, H).mean)


def test_a_resume_file_of_another_fit_or_a_broken_one_is_refused_by_name(panel, tmp_path):
    torch.set_num_threads(1)
    tc = TrainConfig(seed=0, max_epochs=1, batches_per_epoch=1, batch_size=16, device="cpu", mask_stockouts=False)
    m = GlobalForecaster(H, context=21, use_text=False, hidden=32, train=tc)
    m.resume_at = tmp_path / "a"
    m.fit(panel, 130)
    other = GlobalForecaster(H, context=21, use_text=False, hidden=32, train=TrainConfig(**{**tc.to_dict(), "lr": 1e-3}))
    other.resume_at = tmp_path / "a"
    with pytest.raises(DataError, match=r"a\.pt belongs to another training"):
        other.fit(panel, 130)
    (tmp_path / "a.pt").write_bytes(b"not a torch file")
    with pytest.raises(DataError, match=r"a\.pt cannot be read .*delete it to start over"):
        m.fit(panel, 130)


def test_a_version_saved_with_the_retired_pretraining_head_still_loads(panel):
    """Versions stored before the masked-pretraining stage was removed carry its head's weights
    ("recon.") and its settings (pretrain_epochs, mask_ratio): they load and forecast the same."""
    import io
    from forecasting.ml import artifact

    torch.set_num_threads(1)
    tc = TrainConfig(seed=0, max_epochs=1, batches_per_epoch=2, batch_size=32, device="cpu", mask_stockouts=False)
    fitted = GlobalForecaster(H, context=21, use_text=False, hidden=32, train=tc).fit(panel, 130)
    art = fitted.to_artifact()
    old = dict(art, pretrain=True, train_config={**art["train_config"], "pretrain_epochs": 6, "mask_ratio": 0.3})
    state = torch.load(io.BytesIO(art["weights"]), weights_only=True)
    state["recon.weight"] = torch.zeros(21, 32)
    buf = io.BytesIO()
    torch.save(state, buf)
    old["weights"] = buf.getvalue()
    back = GlobalForecaster.from_bytes(artifact.dumps(old))
    np.testing.assert_array_equal(back.predict(panel, 130, H).mean, fitted.predict(panel, 130, H).mean)


def test_fine_tuning_the_pretrained_checkpoint_takes_the_full_step_and_every_epoch(fitted, panel):
    """Nightly adaptation of a catalogue's own model: a third of the epochs at 0.3 x the step.
    Fine-tuning the pretrained checkpoint on a catalogue with a year of history or more
    (trainer.pretrained_finetuning): all of them at the full step, early stopping aside; with less,
    the gentle settings; either way the step is warmed up over the first epoch, and the fine-tuned
    weights are kept unblended unless the run asks for a blend."""
    from forecasting.ml.trainer import pretrained_finetuning

    torch.set_num_threads(1)
    tc = TrainConfig(seed=0, max_epochs=6, patience=10, batches_per_epoch=2, batch_size=32, device="cpu",
                     mask_stockouts=False)
    nightly = GlobalForecaster(H, train=tc, init_from=fitted).fit(panel, 137)
    assert nightly.report.epochs == 3
    gentle = pretrained_finetuning(tc, 363, "D")  # under a year: the nightly settings, warmed up over one epoch
    assert gentle == replace(tc, finetune_warmup_steps=tc.batches_per_epoch) == pretrained_finetuning(tc, 51, "W")
    assert pretrained_finetuning(replace(tc, finetune_blend=0.5), 51, "W").finetune_blend == 0.5  # asked for: kept
    tuned = pretrained_finetuning(tc, 364, "D")
    assert tuned.finetune_lr_scale == 1.0 and tuned.finetune_epochs == 6 and pretrained_finetuning(tc, 52, "W") == tuned
    assert tuned.finetune_warmup_steps == tc.batches_per_epoch and tuned.finetune_blend is None
    assert GlobalForecaster(H, train=tuned, init_from=fitted).fit(panel, 137).report.epochs == 6


def _wrecking_start(panel):
    """A trained start, and fine-tuning settings whose step (100) wrecks the network."""
    torch.set_num_threads(1)
    start = GlobalForecaster(H, context=21, use_text=False, hidden=32, train=TrainConfig(
        seed=0, max_epochs=10, patience=10, batches_per_epoch=8, batch_size=64, device="cpu", mask_stockouts=False))
    start.fit(panel, 130)
    tc = TrainConfig(seed=0, max_epochs=3, patience=10, batches_per_epoch=2, batch_size=32, device="cpu",
                     mask_stockouts=False, lr=100.0, finetune_lr_scale=1.0, ema_decay=0.0)
    return start, tc


def test_the_warm_up_keeps_the_first_steps_of_fine_tuning_small(panel):
    """With a warm-up of 100,000 steps, the two steps of the first epoch are taken at 0.001 and
    0.002 (the warm-up's first steps of the full step of 100): the network stays near its trained
    start, where without the warm-up the same two steps wreck it."""
    start, tc = _wrecking_start(panel)
    first_val = {}
    for warmup in (0, 100_000):
        heard = []
        model = GlobalForecaster(H, train=replace(tc, max_epochs=1, finetune_epochs=1, finetune_warmup_steps=warmup),
                                 init_from=start)
        model.on_epoch = heard.append
        model.fit(panel, 130)
        first_val[warmup] = heard[0]["val"]
    assert first_val[100_000] < 0.75 * first_val[0]


def test_a_blended_fine_tuning_keeps_the_weights_between_its_start_and_the_fine_tuned_ones(fitted, panel):
    """finetune_blend 0.25 keeps start + 0.25 x (fine-tuned - start), entry by entry: the same
    fine-tuning (same seed) without the blend gives the fine-tuned end point, and the validation
    figure reported is the blend's own, not the fine-tuned one's."""
    torch.set_num_threads(1)
    tc = TrainConfig(seed=0, max_epochs=3, patience=10, batches_per_epoch=2, batch_size=32, device="cpu",
                     mask_stockouts=False, finetune_lr_scale=1.0)
    whole = GlobalForecaster(H, train=tc, init_from=fitted).fit(panel, 137)
    quarter = GlobalForecaster(H, train=replace(tc, finetune_blend=0.25), init_from=fitted).fit(panel, 137)
    start, end, kept = fitted.net.state_dict(), whole.net.state_dict(), quarter.net.state_dict()
    moved = 0
    for k, v in kept.items():
        if torch.is_floating_point(v):
            torch.testing.assert_close(v, start[k] + 0.25 * (end[k] - start[k]))
            moved += int(not torch.equal(end[k], start[k]))
    assert moved > 0  # the fine-tuning did change the weights, so the blend is a new point
    assert quarter.report.history[-1]["stage"] == "blend"
    assert quarter.report.best_val == quarter.report.history[-1]["val"] != whole.report.best_val


def test_a_fine_tuning_that_never_beats_its_starting_weights_keeps_them(panel):
    """The starting weights are validated first: with a step so large that training wrecks the
    network, every epoch is worse on the validation window than the trained start (0.42 against
    0.72 here) and the fine-tuned model keeps the weights it started from."""
    start, tc = _wrecking_start(panel)
    heard = []
    wrecked = GlobalForecaster(H, train=tc, init_from=start)
    wrecked.on_epoch = heard.append
    wrecked.fit(panel, 130)
    assert wrecked.report.epochs == 3 and wrecked.report.best_val < min(h["val"] for h in heard)
    for k, v in start.net.state_dict().items():
        torch.testing.assert_close(wrecked.net.state_dict()[k], v, rtol=0, atol=0)
