"""REST API (v1) of replenishment: reorder suggestions (list, bulk approve into orders, bulk reject)."""
