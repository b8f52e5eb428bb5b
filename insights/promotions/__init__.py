"""Promotion planning: the uplift model (pure, calibrated on pasta_promo) and the Django planner."""
