"""The pretrained checkpoint that ships with stockcast (issue #17): where it is, and loading it
safely.

``forecasting/checkpoints/daily.stockcast`` is a global model trained by ``python -m
forecasting.pretrain --freq D`` on a broad corpus (the bundled real data sets and generated
demand); its card (``daily.stockcast.json``, and the readable ``MODEL_CARD.md``) says on what,
for how long, and with which checksum. A forecast run of a catalogue without a model of its own
starts from it (forecasting/starts.py). The file is read from disk only: no network, no hub.

A missing, truncated, replaced or unreadable file is a ``CheckpointError`` naming the file and
the fault; the caller (the run's start) falls back to training from scratch and says so.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from django.conf import settings

from forecasting.ml.train import GlobalForecaster
from forecasting.pretrain import shipped_checkpoint

# A bound on what is read into memory: the shipped file is a few MB, the limit is 30 MB.
MAX_BYTES = 64 * 1024 * 1024


class CheckpointError(RuntimeError):
    """The pretrained checkpoint cannot be used; the message names the file and why."""


def checkpoint_path() -> Path:
    """The STOCKCAST_PRETRAINED_CHECKPOINT setting, else the daily checkpoint in the repository."""
    configured = settings.STOCKCAST_PRETRAINED_CHECKPOINT
    return Path(configured) if configured else shipped_checkpoint("D")


def card(path: Path | None = None) -> dict | None:
    """The checkpoint's card (``<file>.json``), or None when there is none or it is unreadable."""
    path = path or checkpoint_path()
    try:
        return json.loads(Path(f"{path}.json").read_text())
    except (OSError, ValueError):
        return None


def load(path: Path | None = None) -> GlobalForecaster:
    """The checkpoint as a forecaster; CheckpointError when it cannot be used."""
    path = path or checkpoint_path()
    if not path.is_file():
        raise CheckpointError(f"the pretrained checkpoint {path} is missing")
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise CheckpointError(f"the pretrained checkpoint {path} is {size:,} bytes, over the limit of {MAX_BYTES:,}")
    blob = path.read_bytes()
    expected = (card(path) or {}).get("sha256")
    if expected and hashlib.sha256(blob).hexdigest() != expected:
        raise CheckpointError(f"the pretrained checkpoint {path} does not match the checksum on its card: "
                              "the file is damaged or was replaced")
    try:
        return GlobalForecaster.from_bytes(blob)
    except Exception as exc:  # torch's own messages run to a page and advise unsafe loading
        raise CheckpointError(f"the pretrained checkpoint {path} cannot be read ({type(exc).__name__}): "
                              "it is not a stockcast model file") from exc
