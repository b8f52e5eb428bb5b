"""REST API (v1) of the inventory domain; shared pieces (pagination, throttles, schema) in base.py."""
