"""REST API (v1) of the inventory domain; the shared kit (pagination, throttles, schema) is inventory_site.api."""
