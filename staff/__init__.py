"""Staff web UI of stockcast: one small module per page family (dashboard, products, orders, ...).

Views stay thin: reads go through selectors and the figure helpers here, writes through each
app's services, so the pages, the admin and the REST API all show the same numbers.
"""
