"""Pretraining the global model on broad data (issue #17): the generated part of the corpus
(``synthetic``), the corpus of every source on one grid (``corpus``) and the training script
(``python -m forecasting.pretrain``). Starting the product's runs from a checkpoint, and the
shipped checkpoint itself, are not built yet."""
