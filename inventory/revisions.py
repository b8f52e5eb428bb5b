"""The stock side of the catalogue as one revision (inventory_site.revisions): what the staff
pages' stock figures read. Levels and the ledger, orders (stock on order), products (unit
cost, active) and suppliers (lead times)."""
from inventory_site.revisions import Revision

STOCK = Revision("stock", ("inventory.StockLevel", "inventory.StockMovement", "inventory.PurchaseOrder",
                           "inventory.PurchaseOrderLine", "inventory.Product", "inventory.Supplier"))
