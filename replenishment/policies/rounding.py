"""Minimum-order-quantity and pack-size rounding of raw order quantities."""
from __future__ import annotations

import numpy as np

from .validation import check_pack


def round_order(quantity, pack_size=1, moq=0):
    """Round a wanted quantity to something the supplier accepts.

    Nothing wanted (<= 0) stays 0. Otherwise the order is raised to the MOQ and then up to a
    whole number of packs (rounding up: a replenishment that falls short of the wanted
    position costs shortages, which are usually dearer than a part-pack of holding).
    Works elementwise on arrays; returns int for scalars.
    """
    check_pack(pack_size, moq)
    q = np.asarray(quantity, dtype=float)
    pack = np.asarray(pack_size, dtype=float)
    wanted = q > 1e-9
    raised = np.maximum(q, np.asarray(moq, dtype=float))
    packs = np.ceil(raised / pack - 1e-9)
    out = np.where(wanted, packs * pack, 0.0).astype(np.int64)
    return int(out) if out.ndim == 0 else out
