"""Pretrain the global model on the corpus and write a checkpoint with its model card.

    python -m forecasting.pretrain --freq D [--seconds 600] [--generated 4000] [--leave-out m5_tiny]
                                   [--seed 0] [--out var/pretrained/daily.stockcast]

The checkpoint is the model's own saved form (GlobalForecaster.to_bytes, the form a
ModelVersion keeps), so the product loads it as it loads any version; the card beside it
(``<out>.json``) says what it was trained on, for how long, on what device, and how it did on
its validation window. Seeded: the same arguments on the same device give the same weights.
On ``cuda`` when present (the model's own device rule).
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch

from forecasting.ml.train import GlobalForecaster, TrainConfig

from . import corpus

HORIZON = {"D": 28, "W": 8}  # the product's horizons: 28 days, 8 weeks


def pretrain(freq: str, *, seconds: float, generated: int, leave_out: str | None, seed: int,
             on_epoch=None) -> tuple[GlobalForecaster, dict]:
    started = time.perf_counter()
    panel = corpus.build(freq, leave_out=leave_out, generated=generated, seed=seed)
    built = time.perf_counter() - started
    # The budget bounds the training; epochs are only an upper limit. Forecasting on the corpus
    # is the pretraining: the masked-reconstruction stage (pretrain=True) is the same-catalogue
    # stage the issue questions, and is left out here.
    model = GlobalForecaster(horizon=HORIZON[freq], name=f"stockcast_pretrained_{freq.lower()}", pretrain=False,
                             train=TrainConfig(seed=seed, max_seconds=seconds, max_epochs=400, patience=12))
    model.on_epoch = on_epoch
    model.fit(panel)
    sources = {str(s): int(n) for s, n in zip(*np.unique(panel.extra["source"], return_counts=True))}
    card = {
        "name": model.name, "freq": freq, "horizon": HORIZON[freq], "seed": seed,
        "corpus": {"sources": sources, "left_out": leave_out, "grid": [str(panel.dates[0].date()),
                                                                       str(panel.dates[-1].date())],
                   "observed_cells": int(np.sum(~np.isnan(panel.y))), "seconds_to_build": round(built, 1)},
        "training": {"budget_seconds": seconds, "seconds": round(model.report.seconds, 1),
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
    ap.add_argument("--out", type=Path)
    args = ap.parse_args(argv)
    out = args.out or Path("var/pretrained") / f"{'daily' if args.freq == 'D' else 'weekly'}.stockcast"

    def tell(info):
        val = f", validation {info['val']:.4f}" if info["val"] is not None else ""  # none while pretraining
        print(f"pretrain {info.get('member', '')}: {info['stage']} epoch {info['epoch']}/{info['of']}, "
              f"loss {info['loss']:.4f}{val}, at most {info['budget_left']:.0f} s of the budget left", flush=True)

    model, card = pretrain(args.freq, seconds=args.seconds, generated=args.generated, leave_out=args.leave_out,
                           seed=args.seed, on_epoch=tell)
    out.parent.mkdir(parents=True, exist_ok=True)
    blob = model.to_bytes()
    out.write_bytes(blob)
    card["bytes"] = len(blob)
    Path(f"{out}.json").write_text(json.dumps(card, indent=2, default=str))
    print(f"checkpoint {out} ({len(blob) / 1e6:.1f} MB), card {out}.json", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
