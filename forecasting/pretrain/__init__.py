"""Pretraining the global model on broad data (issue #17): the generated part of the corpus
(``synthetic``), the corpus of every source on one grid (``corpus``) and the training script
(``python -m forecasting.pretrain``). The checkpoints it made for the repository lie in
``forecasting/checkpoints/`` (their model card is ``MODEL_CARD.md`` there); the product loads
the daily one through ``forecasting.pretrained``, the benchmark either by frequency."""
from pathlib import Path

SHIPPED_DIR = Path(__file__).resolve().parent.parent / "checkpoints"


def shipped_checkpoint(freq: str) -> Path:
    """The checkpoint in the repository for data of ``freq`` ("D" or "W")."""
    return SHIPPED_DIR / f"{'weekly' if freq == 'W' else 'daily'}.stockcast"
