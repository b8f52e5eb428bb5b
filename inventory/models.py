"""The inventory domain: catalogue, warehouses, stock, the ledger, sales history (promotions and
purchase orders are registered here from their own packages, `promotions/` and `purchasing/`).

Models only describe data and the rules the database itself enforces (check and unique
constraints). Every write that must stay consistent across rows lives in inventory.services.
"""
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q



# The lead time of a product with no supplier, and a new supplier's until it is set: a week.
# Every decision that needs a lead time (suggestions, alerts, promotion plans, pages) uses this.
DEFAULT_LEAD_TIME_DAYS = 7

class Category(models.Model):
    """A node of the product hierarchy (e.g. FOODS > FOODS_1). Roots have no parent."""

    code = models.CharField(max_length=100, unique=True, help_text="Stable external key, e.g. FOODS_1.")
    name = models.CharField(max_length=200)
    parent = models.ForeignKey("self", null=True, blank=True, related_name="children", on_delete=models.PROTECT)

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "categories"

    def __str__(self):
        return self.name

    def ancestors(self):
        """From the root down to the parent of this node."""
        chain, node = [], self.parent
        while node is not None:
            chain.append(node)
            node = node.parent
        return list(reversed(chain))


class Supplier(models.Model):
    code = models.CharField(max_length=50, unique=True)
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    currency = models.CharField(max_length=3, default="GBP", help_text="ISO 4217 code.")
    lead_time_mean_days = models.DecimalField(max_digits=6, decimal_places=2, default=Decimal(DEFAULT_LEAD_TIME_DAYS))
    lead_time_std_days = models.DecimalField(max_digits=6, decimal_places=2, default=Decimal("0"))
    min_order_qty = models.PositiveIntegerField(default=0, help_text="Minimum units per order line.")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(lead_time_mean_days__gte=0), name="supplier_lead_time_mean_nonneg"),
            models.CheckConstraint(condition=Q(lead_time_std_days__gte=0), name="supplier_lead_time_std_nonneg"),
        ]

    def __str__(self):
        return self.name


class Product(models.Model):
    sku = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    category = models.ForeignKey(Category, null=True, blank=True, related_name="products", on_delete=models.PROTECT)
    supplier = models.ForeignKey(Supplier, null=True, blank=True, related_name="products", on_delete=models.PROTECT)
    brand = models.CharField(max_length=100, blank=True)
    unit_cost = models.DecimalField(max_digits=12, decimal_places=4, default=Decimal("0"))
    price = models.DecimalField(max_digits=12, decimal_places=4, default=Decimal("0"))
    pack_size = models.PositiveIntegerField(default=1, help_text="Orders are rounded up to whole packs.")
    moq = models.PositiveIntegerField(default=0, help_text="Minimum order quantity in units.")
    shelf_life_days = models.PositiveIntegerField(null=True, blank=True, help_text="Empty: does not expire.")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["sku"]
        constraints = [
            models.CheckConstraint(condition=Q(pack_size__gte=1), name="product_pack_size_positive"),
            models.CheckConstraint(condition=Q(unit_cost__gte=0), name="product_unit_cost_nonneg"),
            models.CheckConstraint(condition=Q(price__gte=0), name="product_price_nonneg"),
        ]

    def __str__(self):
        return f"{self.sku} {self.name}"

    @property
    def minimum_order(self) -> int:
        """The smallest order line a supplier accepts for this product: the larger of the
        product's own MOQ and its supplier's. The one home of that rule (suggestions, the
        optimiser, promotion plans and the replay all round with it)."""
        return max(self.moq or 0, self.supplier.min_order_qty if self.supplier_id else 0)


class Warehouse(models.Model):
    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=200)
    capacity_units = models.PositiveIntegerField(null=True, blank=True, help_text="Empty: unlimited.")
    allow_backorders = models.BooleanField(default=False, help_text="May stock on hand go below zero?")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]

    def __str__(self):
        return self.code

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        # StockLevel carries a copy of the flag so that its check constraint can enforce it.
        self.stock_levels.exclude(backorders_allowed=self.allow_backorders).update(
            backorders_allowed=self.allow_backorders
        )


class StockLevel(models.Model):
    """Current stock of one product in one warehouse; changed only through inventory.services."""

    product = models.ForeignKey(Product, related_name="stock_levels", on_delete=models.PROTECT)
    warehouse = models.ForeignKey(Warehouse, related_name="stock_levels", on_delete=models.PROTECT)
    # 64-bit: a balance is a sum of movements, and sums grow past 2^31 where single movements do not.
    on_hand = models.BigIntegerField(default=0)
    reserved = models.BigIntegerField(default=0)
    # Denormalised from Warehouse.allow_backorders so that the database can refuse negative stock.
    backorders_allowed = models.BooleanField(default=False, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["warehouse__code", "product__sku"]
        constraints = [
            models.UniqueConstraint(fields=["product", "warehouse"], name="stocklevel_unique_product_warehouse"),
            models.CheckConstraint(
                condition=Q(on_hand__gte=0) | Q(backorders_allowed=True), name="stocklevel_no_negative_stock"
            ),
            models.CheckConstraint(condition=Q(reserved__gte=0), name="stocklevel_reserved_nonneg"),
        ]

    def __str__(self):
        return f"{self.product.sku}@{self.warehouse.code}: {self.on_hand}"

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


class MovementKind(models.TextChoices):
    RECEIPT = "receipt", "Receipt"
    SALE = "sale", "Sale"
    RETURN = "return", "Customer return"
    ADJUSTMENT = "adjustment", "Adjustment"
    TRANSFER_OUT = "transfer_out", "Transfer out"
    TRANSFER_IN = "transfer_in", "Transfer in"


# Sorted where they reach a constraint: a set's order changes between runs, and makemigrations
# would see a new constraint every time.
INBOUND_KINDS = {MovementKind.RECEIPT, MovementKind.RETURN, MovementKind.TRANSFER_IN}
OUTBOUND_KINDS = {MovementKind.SALE, MovementKind.TRANSFER_OUT}


class StockMovement(models.Model):
    """One line of the append-only stock ledger. The sum of quantities is the stock on hand."""

    product = models.ForeignKey(Product, related_name="movements", on_delete=models.PROTECT)
    warehouse = models.ForeignKey(Warehouse, related_name="movements", on_delete=models.PROTECT)
    kind = models.CharField(max_length=16, choices=MovementKind.choices)
    quantity = models.BigIntegerField(help_text="Signed: positive adds stock, negative removes it.")
    balance_after = models.BigIntegerField(help_text="Stock on hand right after this movement.")
    reference = models.CharField(max_length=200, blank=True)
    idempotency_key = models.CharField(max_length=200, unique=True, null=True, blank=True)
    purchase_order_line = models.ForeignKey(
        "PurchaseOrderLine", null=True, blank=True, related_name="receipts", on_delete=models.PROTECT
    )
    note = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, related_name="+", on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["product", "warehouse", "created_at"]),
                   # the last line of a pair: the stock-level trigger (migration 0008) reads it
                   models.Index(fields=["product", "warehouse", "id"], name="movement_pair_last")]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind__in=sorted(k.value for k in INBOUND_KINDS), quantity__gt=0)
                    | Q(kind__in=sorted(k.value for k in OUTBOUND_KINDS), quantity__lt=0)
                    | (Q(kind=MovementKind.ADJUSTMENT.value) & ~Q(quantity=0))
                ),
                name="stockmovement_sign_matches_kind",
            ),
        ]

    def __str__(self):
        return f"{self.kind} {self.quantity:+d} {self.product.sku}@{self.warehouse.code}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("The stock ledger is append-only: a movement cannot be changed once written.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("The stock ledger is append-only: a movement cannot be deleted.")



class IdempotencyRecord(models.Model):
    """One Idempotency-Key of one user for one kind of request, with what it did.

    Keys belong to the user who sent them and to the operation (a movement, a transfer, a receipt
    of one order): another user's key, or the same key on another operation, is a new request.
    The hash of the request body tells a retry (same body: the first result again) from a mistake
    (another body: 409). The ledger lines it wrote carry ``ledger_key``, derived from this row, so
    the ledger's own unique key can never collide between users or operations.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, related_name="+", on_delete=models.CASCADE)
    operation = models.CharField(max_length=60, help_text="What the key was used for, e.g. 'receive:PO0000042'.")
    key = models.CharField(max_length=200)
    request_hash = models.CharField(max_length=64, help_text="SHA-256 of the request body, canonical JSON.")
    result = models.JSONField(default=dict, blank=True, help_text="Ids of what the request wrote.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "operation", "key"], name="idempotency_key_per_user_op")]

    def __str__(self):
        return f"{self.key} ({self.operation}, user {self.user_id})"

    @property
    def ledger_key(self) -> str:
        return f"api:{self.pk}"


class SalesDay(models.Model):
    """Daily demand history of one product in one warehouse (the forecasting input)."""

    # No database foreign keys and no single-column indexes on the two references: the import is
    # the only writer, and its one statement takes both ids from a join with their tables, so
    # every id it writes exists. Checking that again per row cost more than a third of a
    # 5 M-day import on PostgreSQL (two deferred trigger calls per row at commit), and the unique
    # (product, warehouse, date) and the (warehouse, date) indexes already lead with each column.
    # Deleting a product or warehouse still deletes its sales (Django's CASCADE collector).
    product = models.ForeignKey(Product, related_name="sales_days", on_delete=models.CASCADE,
                                db_constraint=False, db_index=False)
    warehouse = models.ForeignKey(Warehouse, related_name="sales_days", on_delete=models.CASCADE,
                                  db_constraint=False, db_index=False)
    date = models.DateField()
    # 64-bit and 20 digits: a day's figures are sums of the rows of a file.
    units = models.BigIntegerField(default=0, help_text="Units sold (demand served), never negative.")
    returned_units = models.BigIntegerField(default=0, help_text="Units returned by customers that day.")
    revenue = models.DecimalField(max_digits=20, decimal_places=4, default=Decimal("0"))
    avg_price = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    on_promotion = models.BooleanField(default=False)
    in_stock = models.BooleanField(null=True, blank=True, help_text="False: shelf empty, sales understate demand.")

    class Meta:
        ordering = ["date"]
        indexes = [models.Index(fields=["warehouse", "date"]), models.Index(fields=["date"])]
        constraints = [
            models.UniqueConstraint(fields=["product", "warehouse", "date"], name="salesday_unique_triple"),
            models.CheckConstraint(condition=Q(units__gte=0), name="salesday_units_nonneg"),
            models.CheckConstraint(condition=Q(returned_units__gte=0), name="salesday_returns_nonneg"),
        ]

    def __str__(self):
        return f"{self.product_id}@{self.warehouse_id} {self.date}: {self.units}"


from .import_models import ImportJob, SalesLoad  # noqa: F401
from .promotions.models import Promotion  # noqa: F401  (registered with this app)
from .purchasing.models import PurchaseOrder, PurchaseOrderLine  # noqa: F401  (registered with this app)
