"""Purchase orders, one owner: the model (`models`), its life from draft to receipt
(`services`), what is on order (`selectors`), the REST endpoints (`api`) and the admin pages
(`admin`). It is part of the inventory app (same tables, same migrations) because a receipt is
a stock-ledger write and the stock position counts what is on order. The staff page is
`staff/orders.py`; `replenishment.approvals` raises drafts through `services.create_purchase_order`.
"""
