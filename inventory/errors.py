"""Domain errors raised by inventory services.

Each carries a stable machine-readable code, a sentence a warehouse planner can act on, and the
fields involved, so the admin, the web UI and the REST API can all show the same message. The
HTTP status is what the API answers with.
"""
from inventory_site.errors import DomainError


class StockError(DomainError):
    code = "stock_error"


class InvalidQuantity(StockError):
    code = "invalid_quantity"


class InsufficientStock(StockError):
    code = "insufficient_stock"
    http_status = 409


class CapacityExceeded(StockError):
    code = "capacity_exceeded"
    http_status = 409


class OverReceipt(StockError):
    code = "over_receipt"
    http_status = 409


class InvalidTransition(StockError):
    code = "invalid_transition"
    http_status = 409


class IdempotencyConflict(StockError):
    """The same idempotency key was sent again with a different request."""

    code = "idempotency_conflict"
    http_status = 409
