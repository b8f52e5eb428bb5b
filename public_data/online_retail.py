"""UCI Online Retail II: which stock codes are not products.

Decided from the real data (both sheets): postage (`POST`, `DOT`, carriage `C2`/`C3`), manual
lines `M`, discounts `D`, samples `S`, bad-debt adjustments `B`, `ADJUST*`, `BANK CHARGES`,
`AMAZONFEE`, commission `CRUK`, the nominal GBP 0.001 `PADS` line, test codes `TEST*`, and gift
vouchers `gift_0001_*` / `GIFT`. `DCGS...` and `SP1002` are real goods (party bags, gum, an
easel) and stay products.
"""
from __future__ import annotations

import re

import pandas as pd

NON_PRODUCT_CODES = frozenset({
    "POST", "DOT", "C2", "C3", "M", "D", "S", "B", "BANK CHARGES", "AMAZONFEE", "CRUK", "PADS", "GIFT",
})
NON_PRODUCT_PATTERN = re.compile(r"^(ADJUST\d*|TEST\d+|GIFT_\d+_\d+)$")


def is_non_product(codes: pd.Series) -> pd.Series:
    """True where a stock code (already upper-cased and stripped) is not a product."""
    return codes.isin(NON_PRODUCT_CODES) | codes.str.match(NON_PRODUCT_PATTERN)
