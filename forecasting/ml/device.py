"""Where the global model runs: cuda when present, else the CPU; bf16 autocast only on cuda."""
from __future__ import annotations

import numpy as np
import torch


def pick_device(pref: str | None = None) -> torch.device:
    if pref:
        return torch.device(pref)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def autocast(dev: torch.device):
    """Mixed precision on cuda; full precision on the CPU (bf16 there is slower and less exact)."""
    if dev.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return torch.autocast("cpu", enabled=False)


def seed_everything(seed: int) -> None:
    torch.manual_seed(seed)
    np.random.seed(seed % (2**32))
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)
