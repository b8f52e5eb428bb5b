"""The stored form of a global model: one torch-saved dict of plain values (format, configs,
vocabularies, data window, metrics) with the network weights as nested bytes.

Loading is ``weights_only``: a stored artifact is data, and unpickling arbitrary objects from
a tampered database or backup would run code. The dict's fields are the forecaster's
(``GlobalForecaster.to_artifact``); this module owns the format and its safe reading.
"""
from __future__ import annotations

import io

import torch

from .data import DataError
from .model import GlobalNet, ModelConfig

ARTIFACT_FORMAT = "stockcast-global-v1"


def weights_bytes(net: GlobalNet) -> bytes:
    buf = io.BytesIO()
    torch.save({k: v.detach().cpu() for k, v in net.state_dict().items()}, buf)
    return buf.getvalue()


# Weights of heads that no longer exist, left in versions saved before they were removed: the
# masked-pretraining head ("recon") went with the self-supervised stage (forecasting/ml/trainer.py).
RETIRED_WEIGHTS = ("recon.",)


def net_from_weights(config: dict, blob: bytes, device: torch.device) -> GlobalNet:
    net = GlobalNet(ModelConfig(**config))
    state = torch.load(io.BytesIO(blob), map_location="cpu", weights_only=True)
    net.load_state_dict({k: v for k, v in state.items() if not k.startswith(RETIRED_WEIGHTS)})
    return net.to(device).eval()


def check(art) -> dict:
    if not isinstance(art, dict) or art.get("format") != ARTIFACT_FORMAT:
        raise DataError(f"not a {ARTIFACT_FORMAT} artifact")
    return art


def dumps(art: dict) -> bytes:
    buf = io.BytesIO()
    torch.save(check(art), buf)
    return buf.getvalue()


def loads(blob: bytes) -> dict:
    with torch.serialization.safe_globals([bytes]):  # the member networks' weights are nested bytes
        art = torch.load(io.BytesIO(blob), map_location="cpu", weights_only=True)
    return check(art)
