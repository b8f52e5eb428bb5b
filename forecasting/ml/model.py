"""The global forecasting networks (read top to bottom).

Both architectures share the static embeddings and the decoder and differ only in how
they read the past:

* ``tide`` (the main one): an MLP over the whole context window (TiDE-like, Das et al.
  2023) plus a linear skip from the context to every horizon step.  Fast on a CPU.
* ``lstm``: an LSTM over the context days with their covariates.

Decoder: for each horizon step, an MLP of [context code, that day's known covariates,
horizon-position embedding] -> mean and the quantile grid.  Quantiles are built as a
cumulative sum of positive increments, then clipped at zero, so they never cross and a
quantile can be exactly 0 (most days of an intermittent series).
Outputs are in units of the window's scale; the caller multiplies back.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

from .base import QUANTILES
from .features import F_STEP, IDX, STATIC_FEATURES, Windows
from .text import TEXT_DIM


@dataclass
class ModelConfig:
    arch: str = "tide"            # "tide" | "lstm"
    context: int = 84
    horizon: int = 28
    hidden: int = 128
    dropout: float = 0.1
    n_items: int = 1              # vocabulary sizes incl. index 0 = unknown
    n_categories: int = 1
    item_dim: int = 16
    cat_dim: int = 8
    use_text: bool = True
    text_dim: int = 16            # projection of the 384-d sentence embedding
    step_dim: int = 16            # per-horizon-step code of the dense decoder
    season_lag: int = 0           # >0: each step also sees demand one season earlier (364 d / 52 w)
    n_quantiles: int = len(QUANTILES)

    def to_dict(self):
        return asdict(self)


class ResBlock(nn.Module):
    def __init__(self, d_in, d_out, hidden, dropout):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(d_in, hidden), nn.Linear(hidden, d_out)
        self.skip = nn.Linear(d_in, d_out) if d_in != d_out else nn.Identity()
        self.drop, self.norm = nn.Dropout(dropout), nn.LayerNorm(d_out)

    def forward(self, x):
        return self.norm(self.skip(x) + self.drop(self.fc2(F.relu(self.fc1(x)))))


class GlobalNet(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        d, L, H = cfg.hidden, cfg.context, cfg.horizon
        self.item_emb = nn.Embedding(cfg.n_items, cfg.item_dim)
        self.cat_emb = nn.Embedding(cfg.n_categories, cfg.cat_dim)
        self.text_proj = nn.Linear(TEXT_DIM, cfg.text_dim) if cfg.use_text else None
        d_static = cfg.item_dim + cfg.cat_dim + (cfg.text_dim if cfg.use_text else 0) + len(STATIC_FEATURES)
        if cfg.arch == "tide":
            # context values, their mask, and a compressed view of past covariates (promo, price)
            self.encoder = nn.Sequential(ResBlock(2 * L + 2 * L + d_static, d, d, cfg.dropout),
                                         ResBlock(d, d, d, cfg.dropout))
        elif cfg.arch == "lstm":
            self.lstm = nn.LSTM(2 + F_STEP, d // 2, batch_first=True)
            self.encoder = ResBlock(d // 2 + d_static, d, d, cfg.dropout)
        else:
            raise ValueError(f"arch must be 'tide' or 'lstm', got {cfg.arch!r}")
        # dense decoder: one code per horizon step from the context code (position-specific),
        # then a small temporal decoder per step that adds that day's known covariates.
        # Keeping the per-step network small is what makes training cheap on a CPU.
        self.dense = nn.Linear(d, H * cfg.step_dim)
        self.temporal = nn.Sequential(ResBlock(cfg.step_dim + F_STEP + (2 if cfg.season_lag else 0), cfg.step_dim * 2, cfg.step_dim * 2, cfg.dropout),
                                      nn.Linear(cfg.step_dim * 2, 1 + cfg.n_quantiles))
        self.skip = nn.Linear(L, H)          # linear view of the context per horizon step

    def statics(self, b):
        parts = [self.item_emb(b["item"]), self.cat_emb(b["cat"])]
        if self.text_proj is not None:
            parts.append(self.text_proj(b["text"]))
        parts.append(b["static"])
        return torch.cat(parts, dim=-1)

    def encode(self, b, s):
        if self.cfg.arch == "tide":
            cc = b["ctx_cov"]
            x = torch.cat([b["ctx"], b["ctx_mask"], cc[..., IDX["promo"]], cc[..., IDX["log_rel_price"]], s], dim=-1)
            return self.encoder(x)
        x = torch.cat([b["ctx"][..., None], b["ctx_mask"][..., None], b["ctx_cov"]], dim=-1)
        _, (h, _) = self.lstm(x)
        return self.encoder(torch.cat([h[-1], s], dim=-1))

    def forward(self, b):
        """Returns (mean [B,H], quantiles [B,H,Q]) in scale units."""
        s = self.statics(b)
        c = self.encode(b, s)
        B, H = b["fut_cov"].shape[:2]
        g = self.dense(c).view(B, H, -1)
        parts = [g, b["fut_cov"]] + ([b["season"]] if self.cfg.season_lag else [])
        o = self.temporal(torch.cat(parts, dim=-1)).float() + self.skip(b["ctx"]).float()[..., None]
        mean = F.softplus(o[..., 0])
        inc = torch.cat([o[..., 1:2], F.softplus(o[..., 2:])], dim=-1)
        q = F.relu(torch.cumsum(inc, dim=-1))
        return mean, q


def batch_from_windows(w: Windows, item: np.ndarray, cat: np.ndarray, text: np.ndarray, dev: torch.device,
                       hide_item: np.ndarray | None = None) -> dict:
    """The network's input for gathered windows: float tensors on ``dev`` plus the item and
    category ids (``hide_item`` rows get the unknown item 0, as for a product never seen)."""
    it = item[w.series].copy()
    if hide_item is not None:
        it[hide_item] = 0
    b = {
        "ctx": w.ctx, "ctx_mask": w.ctx_mask, "ctx_cov": w.ctx_cov, "fut_cov": w.fut_cov,
        "static": w.static, "text": text[w.series],
    }
    if w.season is not None:
        b["season"] = np.stack([w.season, w.season_mask], axis=-1)
    b = {k: torch.from_numpy(np.ascontiguousarray(v, dtype=np.float32)).to(dev) for k, v in b.items()}
    b["item"] = torch.from_numpy(it).to(dev)
    b["cat"] = torch.from_numpy(cat[w.series]).to(dev)
    return b


def pinball_loss(pred_q, target, levels, valid):
    """Mean pinball loss over the valid (observed) target days."""
    diff = target[..., None] - pred_q
    lv = levels.view(1, 1, -1)
    loss = torch.maximum(lv * diff, (lv - 1) * diff).mean(-1)
    return (loss * valid).sum() / valid.sum().clamp(min=1)
