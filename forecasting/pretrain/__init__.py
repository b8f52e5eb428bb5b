"""Pretraining the global model on broad data (issue #17): the generated part of the corpus
(``synthetic``). The real part, the training script and the shipped checkpoint are not built yet."""
