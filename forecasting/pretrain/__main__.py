"""Pretrain the global model on the corpus and write a checkpoint with its model card.

    python -m forecasting.pretrain --freq D [--seconds 600] [--generated 4000] [--leave-out m5_tiny]
                                   [--seed 0] [--threads N] [--fresh] [--out var/pretrained/daily.stockcast]

The checkpoint is the model's own saved form (GlobalForecaster.to_bytes, the form a
ModelVersion keeps), so the product loads it as it loads any version; the card beside it
(``<out>.json``) says what it was trained on, for how long, on what device, and how it did on
its validation window. Seeded: the same arguments on the same device give the same weights
(for a budget in epochs; a budget in seconds ends where the machine's speed lets it).
On ``cuda`` when present (the model's own device rule).

Resumable: the training loop's state is kept after every epoch under ``<out>.partial/``; run
the same command again after an interruption and it goes on from the last whole epoch, with
the seconds already spent counted against the budget (``--fresh`` starts over). The folder is
removed once the checkpoint is written.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import platform
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import torch

from forecasting.ml.train import GlobalForecaster, TrainConfig

from . import corpus

HORIZON = {"D": 28, "W": 8}  # the product's horizons: 28 days, 8 weeks


def pretrain(freq: str, *, seconds: float, generated: int, leave_out: str | None, seed: int,
             batches_per_epoch: int = 60, on_epoch=None, resume_at: Path | None = None) -> tuple[GlobalForecaster, dict]:
    started = time.perf_counter()
    started_resumed = resume_at is not None and resume_at.parent.exists()
    panel = corpus.build(freq, leave_out=leave_out, generated=generated, seed=seed)
    built = time.perf_counter() - started
    # The budget bounds the training; epochs are only an upper limit. Forecasting on the corpus
    # is the pretraining.
    model = GlobalForecaster(horizon=HORIZON[freq], name=f"stockcast_pretrained_{freq.lower()}",
                             train=TrainConfig(seed=seed, max_seconds=seconds, max_epochs=400, patience=12,
                                               batches_per_epoch=batches_per_epoch))
    model.on_epoch = on_epoch
    model.resume_at = resume_at
    model.fit(panel)
    sources = {str(s): int(n) for s, n in zip(*np.unique(panel.extra["source"], return_counts=True))}
    card = {
        "name": model.name, "freq": freq, "horizon": HORIZON[freq], "seed": seed,
        "corpus": {"sources": sources, "left_out": leave_out, "grid": [str(panel.dates[0].date()),
                                                                       str(panel.dates[-1].date())],
                   "observed_cells": int(np.sum(~np.isnan(panel.y))), "seconds_to_build": round(built, 1)},
        # seconds: this process's (a resumed run's earlier part is not in it)
        "training": {"budget_seconds": seconds, "seconds": round(model.report.seconds, 1),
                     "resumed": started_resumed,
                     "epochs": model.report.epochs, "device": model.report.device,
                     "members": model.report.members, "torch": torch.__version__, "machine": platform.machine()},
        "parameters": int(sum(p.numel() for m in (model.members or [model]) for p in m.net.parameters())),
    }
    return model, card


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--freq", choices=sorted(HORIZON), default="D")
    ap.add_argument("--seconds", type=float, default=600.0, help="training budget")
    ap.add_argument("--generated", type=int, default=4000, help="generated series in the corpus")
    ap.add_argument("--leave-out", choices=sorted(corpus.REAL), help="a real source to keep out (benchmarks)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--batches-per-epoch", type=int, default=60,
                    help="training steps between two validations (the step is halved on every epoch without progress)")
    ap.add_argument("--threads", type=int, help="CPU threads for torch (default: torch's own choice)")
    ap.add_argument("--fresh", action="store_true", help="discard an interrupted run's state and start over")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args(argv)
    out = args.out or Path("var/pretrained") / f"{'daily' if args.freq == 'D' else 'weekly'}.stockcast"
    if args.threads:
        torch.set_num_threads(args.threads)
    partial = Path(f"{out}.partial")
    if args.fresh and partial.exists():
        shutil.rmtree(partial)
    if partial.exists():
        print(f"resuming from {partial}/ (--fresh starts over)", flush=True)

    def tell(info):
        print(f"pretrain {info.get('member', '')}: {info['stage']} epoch {info['epoch']}/{info['of']}, "
              f"loss {info['loss']:.4f}, validation {info['val']:.4f}, at most {info['budget_left']:.0f} s of the "
              "budget left", flush=True)

    model, card = pretrain(args.freq, seconds=args.seconds, generated=args.generated, leave_out=args.leave_out,
                           seed=args.seed, batches_per_epoch=args.batches_per_epoch, on_epoch=tell,
                           resume_at=partial / "train")
    out.parent.mkdir(parents=True, exist_ok=True)
    blob = model.to_bytes()
    out.write_bytes(blob)
    card["command"] = "python -m forecasting.pretrain " + " ".join(sys.argv[1:] if argv is None else argv)
    card["bytes"] = len(blob)
    card["sha256"] = hashlib.sha256(blob).hexdigest()  # forecasting/pretrained.py checks it on load
    Path(f"{out}.json").write_text(json.dumps(_finite(card), indent=2, default=str))
    shutil.rmtree(partial, ignore_errors=True)
    print(f"checkpoint {out} ({len(blob) / 1e6:.1f} MB), card {out}.json", flush=True)
    return 0


def _finite(value):
    """The card with NaN and infinities as null: JSON has no NaN, and strict readers refuse it."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


if __name__ == "__main__":
    sys.exit(main())
