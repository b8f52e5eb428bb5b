"""The long frame and the dense panel the models work on.

Public shape (Nixtla style) is a long frame: ``unique_id, ds, y`` plus known covariates
(``price``, ``on_promotion``, ``event``, ``snap``) per row, optionally ``in_stock`` (False on
a day the shelf was empty: that day's sales are not demand, so ``y`` becomes unobserved), and
a statics frame (``unique_id, category, description``).  Models work on a :class:`Panel`: the same data
as dense ``[series, day]`` arrays, because gathering training windows from arrays is
orders of magnitude faster than grouping a frame.

Loaders for the public data sets live here too (benchmarks only; the Django side builds
the same long frame from the database).  No Django import in this package.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from public_data.online_retail import is_non_product

LONG_COLUMNS = ("unique_id", "ds", "y")
KNOWN_COVARIATES = ("price", "on_promotion", "event", "snap")
AVAILABILITY = "in_stock"   # 1 = could be bought all period, 0 = out of stock, NaN = not recorded
STATIC_COLUMNS = ("unique_id", "category", "description")


class DataError(ValueError):
    """Bad input data; the message names the field, row or parameter."""


def data_dir(name: str, base: str | os.PathLike | None = None) -> Path:
    """Folder of a public data set: ``base`` if given, else $STOCKCAST_DATA_DIR, else ../shared/data."""
    if base:
        return Path(base)
    root = os.environ.get("STOCKCAST_DATA_DIR") or Path(__file__).resolve().parents[2].parent / "shared" / "data"
    return Path(root) / name


# ----------------------------------------------------------------------------- validation

def validate_long(df: pd.DataFrame, *, allow_empty: bool = False) -> pd.DataFrame:
    """Check and normalise a long frame; returns a copy with typed columns."""
    if not isinstance(df, pd.DataFrame):
        raise DataError(f"expected a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in LONG_COLUMNS if c not in df.columns]
    if missing:
        raise DataError(f"long frame is missing column(s) {missing}; needs {list(LONG_COLUMNS)}")
    if len(df) == 0 and not allow_empty:
        raise DataError("long frame is empty: no history to forecast from (field 'y')")
    out = df.copy()
    out["unique_id"] = out["unique_id"].astype(str)
    try:
        out["ds"] = pd.to_datetime(out["ds"])
    except (ValueError, TypeError) as exc:
        raise DataError(f"column 'ds' has values that are not dates: {exc}") from exc
    y = pd.to_numeric(out["y"], errors="coerce")
    bad = y.isna() & out["y"].notna()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(f"column 'y' row {row}: {out['y'].iloc[row]!r} is not a number")
    if (y < 0).any():
        row = int(np.flatnonzero((y < 0).to_numpy())[0])
        raise DataError(f"column 'y' row {row}: negative demand {y.iloc[row]} (returns belong in the ledger, not in demand)")
    out["y"] = y.astype("float32")
    if out.duplicated(["unique_id", "ds"]).any():
        row = int(np.flatnonzero(out.duplicated(["unique_id", "ds"]).to_numpy())[0])
        raise DataError(f"row {row}: duplicate (unique_id, ds) = ({out['unique_id'].iloc[row]}, {out['ds'].iloc[row].date()})")
    for col in KNOWN_COVARIATES:
        if col in out.columns:
            out[col] = pd.to_numeric(out[col], errors="coerce").astype("float32")
            if col == "price" and (out[col] < 0).any():
                row = int(np.flatnonzero((out[col] < 0).to_numpy())[0])
                raise DataError(f"column 'price' row {row}: negative price {out[col].iloc[row]}")
    if AVAILABILITY in out.columns:
        out[AVAILABILITY] = _availability_flags(out[AVAILABILITY])
    return out


_TRUE = {"1", "true", "t", "yes", "y"}
_FALSE = {"0", "false", "f", "no", "n"}


def _availability_flags(col: pd.Series) -> pd.Series:
    """1.0 / 0.0 / NaN (not recorded) from booleans, 0/1 numbers or yes/no text."""
    if pd.api.types.is_bool_dtype(col) or pd.api.types.is_numeric_dtype(col):
        out = pd.to_numeric(col, errors="coerce").astype("float32")
        bad = out.notna() & ~out.isin([0.0, 1.0])
    else:
        text = col.astype("string").str.strip().str.lower()
        out = pd.Series(np.where(text.isin(_TRUE).fillna(False), 1.0,
                                 np.where(text.isin(_FALSE).fillna(False), 0.0, np.nan)), index=col.index, dtype="float32")
        bad = (text.notna() & text.ne("") & out.isna()).fillna(False)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        value = col.iloc[row]
        value = value.item() if isinstance(value, np.generic) else value
        raise DataError(f"column '{AVAILABILITY}' row {row}: {value!r} is not yes/no, true/false or 1/0")
    return out


def infer_freq(ds: pd.Series | pd.DatetimeIndex) -> str:
    """'D' or 'W' from the most common gap between consecutive distinct dates."""
    u = pd.DatetimeIndex(pd.unique(pd.to_datetime(ds))).sort_values()
    if len(u) < 2:
        return "D"
    gap = pd.Series(np.diff(u.asi8)).mode().iloc[0] / 86_400e9
    return "W" if gap >= 6.5 else "D"


# ----------------------------------------------------------------------------- the panel

@dataclass
class Panel:
    """Dense ``[series, day]`` arrays over a regular date grid.

    ``y`` is NaN before a series starts (and for future days); covariates cover every day
    of the grid, including future days appended by :meth:`extend` so that a forecast can
    use planned prices and promotions.
    """

    ids: np.ndarray                 # [N] str
    dates: pd.DatetimeIndex         # [T]
    freq: str                       # 'D' or 'W'
    y: np.ndarray                   # [N, T] float32, NaN = not observed
    price: np.ndarray               # [N, T] float32, NaN = unknown
    promo: np.ndarray               # [N, T] float32 0/1
    event: np.ndarray               # [N, T] float32 0/1 (calendar event on that day)
    snap: np.ndarray                # [N, T] float32 0/1 (SNAP / benefit day)
    category: np.ndarray            # [N] str
    description: np.ndarray         # [N] str
    n_obs: int = 0                  # days of the grid with observed y (the rest is future)
    extra: dict = field(default_factory=dict)

    @property
    def n_series(self) -> int:
        return len(self.ids)

    @property
    def n_days(self) -> int:
        return len(self.dates)

    def start_index(self) -> np.ndarray:
        """First observed day per series (n_days where never observed)."""
        obs = ~np.isnan(self.y)
        first = obs.argmax(axis=1)
        first[~obs.any(axis=1)] = self.n_days
        return first

    def truncate(self, end: int) -> "Panel":
        """History up to (not including) grid index ``end``; covariates stay (they are known plans)."""
        y = self.y.copy()
        y[:, end:] = np.nan
        return Panel(self.ids, self.dates, self.freq, y, self.price, self.promo, self.event, self.snap,
                     self.category, self.description, n_obs=min(end, self.n_obs), extra=self.extra)

    def subset(self, rows: np.ndarray) -> "Panel":
        return Panel(self.ids[rows], self.dates, self.freq, self.y[rows], self.price[rows], self.promo[rows],
                     self.event[rows], self.snap[rows], self.category[rows], self.description[rows],
                     n_obs=self.n_obs, extra=_subset_extra(self.extra, rows, self.n_series))

    def extend(self, horizon: int, future: pd.DataFrame | None = None) -> "Panel":
        """Append ``horizon`` future days after the last observed day.

        Covariates for them come from ``future`` (long frame with ``unique_id, ds`` and any of
        the known covariates) where given; otherwise price is carried forward from the last
        known price, and promotion, event and SNAP are 0 (no plan known).
        """
        if horizon < 1:
            raise DataError(f"horizon must be >= 1, got {horizon}")
        step = pd.Timedelta(days=7 if self.freq == "W" else 1)
        end = self.n_obs
        need = end + horizon
        have = min(self.n_days, need)  # grid days we keep (future days already on the grid keep their plans)
        arrays = {k: getattr(self, k)[:, :have].copy() for k in ("y", "price", "promo", "event", "snap")}
        dates = self.dates[:have]
        if need > have:
            anchor = dates[-1] if have else pd.Timestamp("2000-01-03")
            dates = dates.append(pd.DatetimeIndex([anchor + step * (i + 1) for i in range(need - have)]))
            for k in arrays:
                fill = np.nan if k in ("y", "price") else 0.0
                arrays[k] = np.concatenate([arrays[k], np.full((self.n_series, need - have), fill, np.float32)], axis=1)
        # carry the last known price forward over unknown future prices
        last_price = _last_valid(arrays["price"][:, :end]) if end else np.full(self.n_series, np.nan, np.float32)
        fut = arrays["price"][:, end:]
        arrays["price"][:, end:] = np.where(np.isnan(fut), last_price[:, None], fut)
        arrays["y"][:, end:] = np.nan
        out = Panel(self.ids, dates, self.freq, arrays["y"], arrays["price"], arrays["promo"], arrays["event"],
                    arrays["snap"], self.category, self.description, n_obs=end, extra=self.extra)
        if future is not None and len(future):
            _apply_future(out, future, start=end)
        return out


def _last_valid(a: np.ndarray) -> np.ndarray:
    """Last non-NaN value per row (NaN where none)."""
    valid = ~np.isnan(a)
    idx = np.where(valid, np.arange(a.shape[1])[None, :], -1).max(axis=1)
    out = np.full(a.shape[0], np.nan, np.float32)
    ok = idx >= 0
    out[ok] = a[np.flatnonzero(ok), idx[ok]]
    return out


def _apply_future(panel: Panel, future: pd.DataFrame, start: int) -> None:
    fut = future.copy()
    fut["unique_id"] = fut["unique_id"].astype(str)
    fut["ds"] = pd.to_datetime(fut["ds"])
    pos = {u: i for i, u in enumerate(panel.ids)}
    r = fut["unique_id"].map(pos)
    c = panel.dates.get_indexer(fut["ds"])
    ok = r.notna().to_numpy() & (c >= start)
    r = r[ok].astype(int).to_numpy()
    c = c[ok]
    for col, name in (("price", "price"), ("on_promotion", "promo"), ("event", "event"), ("snap", "snap")):
        if col in fut.columns:
            vals = pd.to_numeric(fut[col], errors="coerce").to_numpy(np.float32)[ok]
            arr = getattr(panel, name)
            keep = ~np.isnan(vals)
            arr[r[keep], c[keep]] = vals[keep]


def panel_from_long(df: pd.DataFrame, statics: pd.DataFrame | None = None, freq: str | None = None) -> Panel:
    """Pivot a long frame (see module doc) onto a regular grid.

    Days between a series' first and last observation that are missing from the frame are
    read as zero demand (a sales table has no row for a day without sales); days before a
    series' first row are unobserved (NaN).
    """
    df = validate_long(df)
    freq = freq or infer_freq(df["ds"])
    if freq == "W":
        # snap every date to the Monday of its week so that grids line up
        df["ds"] = df["ds"].dt.to_period("W-SUN").dt.start_time
        agg = {"y": "sum"}
        for c in KNOWN_COVARIATES:
            if c in df.columns:
                agg[c] = "mean" if c == "price" else "max"
        if AVAILABILITY in df.columns:
            agg[AVAILABILITY] = "min"  # a week with an empty-shelf day sold less than its demand
        df = df.groupby(["unique_id", "ds"], as_index=False).agg(agg)
    step = "7D" if freq == "W" else "D"
    dates = pd.date_range(df["ds"].min(), df["ds"].max(), freq=step)
    ids = np.array(sorted(df["unique_id"].unique()), dtype=object)
    r = pd.Index(ids).get_indexer(df["unique_id"])
    c = dates.get_indexer(df["ds"])
    if (c < 0).any():
        row = int(np.flatnonzero(c < 0)[0])
        raise DataError(f"row {row}: date {df['ds'].iloc[row]} is off the {freq} grid")
    n, t = len(ids), len(dates)

    def grid(col, fill):
        a = np.full((n, t), fill, np.float32)
        if col in df.columns:
            a[r, c] = df[col].to_numpy(np.float32)
        return a

    y = grid("y", np.nan)
    # days inside a series' observed span without a row = zero sales
    obs = ~np.isnan(y)
    first = np.where(obs.any(1), obs.argmax(1), t)
    inside = np.arange(t)[None, :] >= first[:, None]
    y = np.where(inside & np.isnan(y), 0.0, y).astype(np.float32)
    # out-of-stock periods: sales were capped by the shelf, not by customers; they leave the
    # training loss and the context exactly like days before a series starts
    stockout = grid(AVAILABILITY, np.nan) == 0
    y[stockout] = np.nan
    price = grid("price", np.nan)
    promo = np.nan_to_num(grid("on_promotion", 0.0))
    event = np.nan_to_num(grid("event", 0.0))
    snap = np.nan_to_num(grid("snap", 0.0))
    # event is a calendar fact: if given for some series on a day, spread it to all
    if "event" in df.columns:
        event = np.repeat(event.max(axis=0, keepdims=True), n, axis=0)
    category = np.array(["unknown"] * n, dtype=object)
    description = np.array([""] * n, dtype=object)
    if statics is not None and len(statics):
        st = statics.copy()
        st["unique_id"] = st["unique_id"].astype(str)
        st = st.drop_duplicates("unique_id").set_index("unique_id").reindex(ids)
        if "category" in st:
            category = st["category"].fillna("unknown").astype(str).to_numpy(dtype=object)
        if "description" in st:
            description = st["description"].fillna("").astype(str).to_numpy(dtype=object)
    panel = Panel(ids, dates, freq, y, price, promo, event, snap, category, description, n_obs=t)
    if AVAILABILITY in df.columns:
        panel.extra["stockout_periods"] = int(stockout.sum())
    return panel


def long_from_panel(panel: Panel) -> pd.DataFrame:
    """Inverse of :func:`panel_from_long` for observed days (peers and CSV export use it)."""
    n, t = panel.n_series, panel.n_obs
    y = panel.y[:, :t]
    obs = ~np.isnan(y)
    rr, cc = np.nonzero(obs)
    return pd.DataFrame({
        "unique_id": panel.ids[rr], "ds": panel.dates[cc], "y": y[rr, cc],
        "price": panel.price[rr, cc], "on_promotion": panel.promo[rr, cc],
        "event": panel.event[rr, cc], "snap": panel.snap[rr, cc],
    })


# ----------------------------------------------------------------------------- loaders

def _subset_extra(extra: dict, rows: np.ndarray, n_series: int) -> dict:
    """Per-series arrays in ``extra`` (also one level down, as in ``hierarchy``) follow the rows."""
    def pick(v):
        if isinstance(v, dict):
            return {k: pick(x) for k, x in v.items()}
        if isinstance(v, np.ndarray) and v.ndim >= 1 and len(v) == n_series:
            return v[rows]
        return v
    return {k: pick(v) for k, v in extra.items()}


def load_m5(path: str | os.PathLike | None = None) -> Panel:
    """M5 layout (sales_train_validation.csv, calendar.csv, sell_prices.csv), bottom level.

    Days before an item's first sale in a store are unobserved (M5 practice: the item was
    not yet on the shelf).  M5 has no promotion flag, so ``promo`` is 0 throughout; it has
    no descriptions either, so the text is built from the hierarchy names (department,
    category, store), which is all the text M5 offers.
    """
    d = Path(path) if path else data_dir("m5_tiny")
    sales = pd.read_csv(d / "sales_train_validation.csv")
    cal = pd.read_csv(d / "calendar.csv", parse_dates=["date"])
    prices = pd.read_csv(d / "sell_prices.csv")
    day_cols = [c for c in sales.columns if c.startswith("d_")]
    cal = cal.set_index("d")
    dates = pd.DatetimeIndex(cal.loc[day_cols, "date"])
    y = sales[day_cols].to_numpy(np.float32)
    n, t = y.shape
    cum = np.cumsum(y, axis=1)
    y[cum == 0] = np.nan  # before the first sale
    # weekly prices onto days
    wk = cal.loc[day_cols, "wm_yr_wk"].to_numpy()
    key = sales["store_id"] + "|" + sales["item_id"]
    pp = prices.assign(key=prices["store_id"] + "|" + prices["item_id"]).pivot_table(
        index="key", columns="wm_yr_wk", values="sell_price", aggfunc="mean")
    pp = pp.reindex(index=key.to_numpy())
    wk_pos = pd.Index(pp.columns).get_indexer(wk)
    pw = pp.to_numpy(np.float32)
    price = np.where(wk_pos[None, :] >= 0, pw[:, np.clip(wk_pos, 0, None)], np.nan).astype(np.float32)
    ev = (cal.loc[day_cols, "event_name_1"].notna() | cal.loc[day_cols, "event_name_2"].notna()).to_numpy(np.float32)
    event = np.repeat(ev[None, :], n, axis=0)
    snap = np.zeros((n, t), np.float32)
    for state in sales["state_id"].unique():
        col = f"snap_{state}"
        if col in cal.columns:
            snap[(sales["state_id"] == state).to_numpy()] = cal.loc[day_cols, col].to_numpy(np.float32)
    desc = (sales["cat_id"].str.lower() + " item " + sales["item_id"].str.replace("_", " ").str.lower()
            + " in department " + sales["dept_id"].str.lower() + " sold in store " + sales["store_id"]).to_numpy(dtype=object)
    panel = Panel(sales["id"].to_numpy(dtype=object), dates, "D", y, price,
                  np.zeros((n, t), np.float32), event, snap,
                  sales["dept_id"].to_numpy(dtype=object), desc, n_obs=t)
    # M5's hierarchy, for its twelve-level WRMSSE (metrics.wrmsse_levels)
    panel.extra["hierarchy"] = {k: sales[k].to_numpy(dtype=object)
                                for k in ("item_id", "dept_id", "cat_id", "store_id", "state_id")}
    return panel


def load_pasta_promo(path: str | os.PathLike | None = None) -> Panel:
    """Italian pasta sales: wide ``DATE, QTY_<brand>_<n>, PROMO_<brand>_<n>``; category = brand."""
    d = Path(path) if path else data_dir("pasta_promo")
    f = d / "hierarchical_sales_data.csv" if d.is_dir() else d
    raw = pd.read_csv(f)
    raw["DATE"] = pd.to_datetime(raw["DATE"])
    raw = raw.set_index("DATE").sort_index()
    full = pd.date_range(raw.index.min(), raw.index.max(), freq="D")
    raw = raw.reindex(full)  # store closed days: no sales row -> 0 below
    qty_cols = [c for c in raw.columns if c.startswith("QTY_")]
    skus = [c[4:] for c in qty_cols]
    y = np.nan_to_num(raw[qty_cols].to_numpy(np.float32).T)
    promo = np.nan_to_num(np.stack([raw.get(f"PROMO_{s}", pd.Series(0, index=raw.index)).to_numpy(np.float32) for s in skus]))
    n, t = y.shape
    cum = np.cumsum(y, axis=1)
    y[cum == 0] = np.nan
    brands = np.array([s.split("_")[0] for s in skus], dtype=object)
    desc = np.array([f"pasta brand {s.split('_')[0]} product {s.split('_')[1]}" for s in skus], dtype=object)
    return Panel(np.array(skus, dtype=object), full, "D", y, np.full((n, t), np.nan, np.float32), promo,
                 np.zeros((n, t), np.float32), np.zeros((n, t), np.float32), brands, desc, n_obs=t)


def load_online_retail(path: str | os.PathLike | None = None, *, countries: str = "all", min_weeks: int = 26,
                       max_series: int | None = None, freq: str = "W") -> Panel:
    """Online Retail II aggregated to weekly (``freq="D"``: daily) units per StockCode.

    Choice (documented): all countries together, because the company ships every order
    from one UK warehouse, so weekly demand on that warehouse is the sum over countries
    (``countries='uk'`` keeps only United Kingdom orders).  Cancelled invoices (``C...``),
    negative quantities, zero/negative prices and non-product codes (the product importer's
    list, `public_data.online_retail`) are dropped; the two sheets' overlapping invoices are counted
    once.  Price is the week's quantity-weighted mean unit price; the description is the
    most frequent one for the code.  Series with fewer than ``min_weeks`` weeks between
    their first sale and the end are dropped (too short to score).
    """
    d = Path(path) if path else data_dir("online_retail_ii")
    files = sorted(d.glob("*.csv*")) if d.is_dir() else [d]
    frames = []
    for f in files:
        frames.append(pd.read_csv(f, dtype={"Invoice": str, "StockCode": str, "Description": str},
                                  usecols=["Invoice", "StockCode", "Description", "Quantity", "InvoiceDate", "Price", "Country"]))
    raw = pd.concat(frames, ignore_index=True)
    raw = raw.drop_duplicates(["Invoice", "StockCode", "Quantity", "InvoiceDate", "Price"])
    raw = raw[~raw["Invoice"].str.startswith("C") & (raw["Quantity"] > 0) & (raw["Price"] > 0)]
    code = raw["StockCode"].str.upper().str.strip()
    raw = raw[~is_non_product(code)]
    if countries == "uk":
        raw = raw[raw["Country"] == "United Kingdom"]
    if freq not in ("W", "D"):
        raise ValueError(f"freq must be 'W' or 'D', got {freq!r}")
    when = pd.to_datetime(raw["InvoiceDate"])
    raw = raw.assign(ds=when.dt.to_period("W-SUN").dt.start_time if freq == "W" else when.dt.normalize(),
                     unique_id=raw["StockCode"].str.upper().str.strip(), rev=raw["Quantity"] * raw["Price"])
    wk = raw.groupby(["unique_id", "ds"], as_index=False).agg(y=("Quantity", "sum"), rev=("rev", "sum"))
    wk["price"] = wk["rev"] / wk["y"]
    desc = raw.dropna(subset=["Description"]).groupby("unique_id")["Description"].agg(lambda s: s.value_counts().index[0])
    # the last week (day) of the data is partial (data ends on a Friday at noon): drop it
    wk = wk[wk["ds"] < wk["ds"].max()]
    last = wk["ds"].max()
    first = wk.groupby("unique_id")["ds"].min()
    span = ((last - first).dt.days // 7 + 1)
    keep = span[span >= min_weeks].index
    wk = wk[wk["unique_id"].isin(keep)]
    if max_series:
        top = wk.groupby("unique_id")["rev"].sum().nlargest(max_series).index
        wk = wk[wk["unique_id"].isin(top)]
    statics = pd.DataFrame({"unique_id": desc.index, "description": desc.to_numpy(),
                            "category": [_retail_category(t) for t in desc.to_numpy()]})
    panel = panel_from_long(wk[["unique_id", "ds", "y", "price"]], statics, freq=freq)
    # price is only known in periods with sales; carry it forward so that zero-sale periods have a price
    panel.price = _ffill_rows(panel.price)
    return panel


def _retail_category(description: str) -> str:
    """A coarse category from the description's last word (the retailer publishes none)."""
    words = str(description).upper().split()
    return words[-1] if words else "unknown"


def _ffill_rows(a: np.ndarray) -> np.ndarray:
    df = pd.DataFrame(a.T)
    return df.ffill().to_numpy(np.float32).T.copy()


def load_long_csv(path: str | os.PathLike) -> Panel:
    """Any long CSV with ``unique_id, ds, y`` (optionally price, on_promotion, event, snap,
    in_stock, category, description; static columns are taken from the first row per series)."""
    df = pd.read_csv(path)
    statics = None
    st_cols = [c for c in ("category", "description") if c in df.columns]
    if st_cols:
        statics = df[["unique_id", *st_cols]].drop_duplicates("unique_id")
    cols = [c for c in (*LONG_COLUMNS, *KNOWN_COVARIATES, AVAILABILITY) if c in df.columns]
    return panel_from_long(df[cols], statics)
