"""Row numbers of product x warehouse pairs, looked up for whole columns of ids at once.

Code that puts every pair's sales on one row of an array (the forecast panel, the anomaly
screen) maps millions of (product id, warehouse id) rows to row numbers; a dict look-up per
row was seconds of that at M5's full size. One int64 key per pair, searched sorted, is not.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np


class PairIndex:
    def __init__(self, pairs: Sequence[tuple[int, int]]):
        self.pairs = list(pairs)
        self.n = len(self.pairs)
        self._span = max((w for _, w in pairs), default=0) + 1
        keys = np.array([p * self._span + w for p, w in pairs], np.int64)
        self._order = np.argsort(keys, kind="stable")
        self._keys = keys[self._order]

    def rows(self, product_ids, warehouse_ids) -> np.ndarray:
        """The row of each (product_ids[i], warehouse_ids[i]) in ``pairs``, -1 where it is none."""
        product_ids = np.asarray(product_ids, np.int64)
        warehouse_ids = np.asarray(warehouse_ids, np.int64)
        out = np.full(len(product_ids), -1, np.int64)
        if not self.n or not len(product_ids):
            return out
        key = product_ids * self._span + warehouse_ids
        at = np.clip(np.searchsorted(self._keys, key), 0, self.n - 1)
        hit = (warehouse_ids < self._span) & (warehouse_ids >= 0) & (self._keys[at] == key)
        out[hit] = self._order[at[hit]]
        return out
