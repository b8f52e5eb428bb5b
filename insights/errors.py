"""Errors the insights services raise; each message names the field or the state at fault."""


class InsightsError(Exception):
    field = None

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field or self.field


class AlertTransitionError(InsightsError):
    """Acknowledging or resolving an alert that is not in a state that allows it."""

    field = "status"


class PromotionInputError(InsightsError):
    """Bad what-if input: end before start, discount outside 0-90 %, unknown product, ..."""


class RecommendationInputError(InsightsError):
    pass
