"""The errors replenishment raises for staff to fix."""
from inventory_site.errors import DomainError


class ReplenishmentError(DomainError, ValueError):
    """A request staff must fix (the message names the suggestion or field)."""

    code = "replenishment_error"
