"""Reorder policies per product x warehouse and the suggestions they produce.

Models only describe data; the decisions live in ``decisions.py`` (which calls the pure
``policies`` / ``rl`` / ``optimise`` code), the run in ``services.py``, and staff act on them
through ``approvals.py``.
"""
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q


class ReorderPolicy(models.Model):
    class Method(models.TextChoices):
        RL = "rl", "Learned policy (RL)"
        BASE_STOCK = "base_stock", "Base-stock (order-up-to)"
        BASE_STOCK_TUNED = "base_stock_tuned", "Base-stock, cost-tuned safety factor"
        S_S = "s_S", "(s, S)"
        NEWSVENDOR = "newsvendor", "Newsvendor"
        RQ = "rq", "(R, Q) with EOQ"
        MOVING_AVERAGE = "base_stock_ma", "Base-stock on a moving average"
        ORDER_WHAT_SOLD = "order_sold", "Re-order what sold"

    class MethodSource(models.TextChoices):
        STAFF = "staff", "Set by staff"
        REPLAY = "replay", "Chosen by the policy replay"

    product = models.ForeignKey("inventory.Product", related_name="reorder_policies", on_delete=models.CASCADE)
    warehouse = models.ForeignKey("inventory.Warehouse", related_name="reorder_policies", on_delete=models.CASCADE)
    method = models.CharField(max_length=16, choices=Method.choices, default=Method.BASE_STOCK)
    service_level = models.FloatField(
        null=True, blank=True,
        help_text="Target chance of no stock-out per review cycle (0-1). Empty: from the shortage cost.")
    shortage_cost = models.DecimalField(
        max_digits=12, decimal_places=4, null=True, blank=True,
        help_text="Cost per unit short (lost sale). Empty: the product's margin (price - unit cost).")
    holding_cost = models.DecimalField(
        max_digits=12, decimal_places=4, null=True, blank=True,
        help_text="Cost of holding one unit for one review period. Empty: 25 % a year of the unit cost.")
    ordering_cost = models.DecimalField(max_digits=12, decimal_places=2, default=0,
                                        help_text="Fixed cost per order, used by (s, S) and (R, Q).")
    review_period_days = models.PositiveIntegerField(default=7)
    method_source = models.CharField(
        max_length=8, choices=MethodSource.choices, default=MethodSource.STAFF,
        help_text="Who chose the method: the policy replay changes only methods it chose itself.")
    active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "reorder policies"
        ordering = ["product_id", "warehouse_id"]
        constraints = [
            models.UniqueConstraint(fields=["product", "warehouse"], name="reorderpolicy_unique_pair"),
            models.CheckConstraint(condition=Q(service_level__isnull=True) | (Q(service_level__gt=0) & Q(service_level__lt=1)),
                                   name="reorderpolicy_service_level_0_1"),
            models.CheckConstraint(condition=Q(shortage_cost__isnull=True) | Q(shortage_cost__gte=0),
                                   name="reorderpolicy_shortage_cost_nonnegative"),
            models.CheckConstraint(condition=Q(holding_cost__isnull=True) | Q(holding_cost__gte=0),
                                   name="reorderpolicy_holding_cost_nonnegative"),
            models.CheckConstraint(condition=Q(ordering_cost__gte=0), name="reorderpolicy_ordering_cost_nonnegative"),
            models.CheckConstraint(condition=Q(review_period_days__gte=1), name="reorderpolicy_review_period_positive"),
        ]

    def __str__(self):
        return f"{self.product} @ {self.warehouse}: {self.get_method_display()}"

    def clean(self):
        errors = {}
        if self.service_level is not None and not (0 < self.service_level < 1):
            errors["service_level"] = "must lie strictly between 0 and 1"
        for name in ("shortage_cost", "holding_cost", "ordering_cost"):
            value = getattr(self, name)
            if value is not None and value < 0:
                errors[name] = "must be >= 0"
        if self.review_period_days is not None and self.review_period_days < 1:
            errors["review_period_days"] = "must be at least 1 day"
        if errors:
            raise ValidationError(errors)


# What a suggested line costs (quantity x unit cost): the pages sort and sum by it.
LINE_VALUE = F("quantity") * F("unit_cost")


class ReorderSuggestion(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        SUPERSEDED = "superseded", "Superseded"

    class DemandSource(models.TextChoices):
        FORECAST = "forecast", "Current forecast"
        HISTORY = "history", "Sales history (empirical)"

    product = models.ForeignKey("inventory.Product", related_name="reorder_suggestions", on_delete=models.CASCADE)
    warehouse = models.ForeignKey("inventory.Warehouse", related_name="reorder_suggestions", on_delete=models.CASCADE)
    supplier = models.ForeignKey("inventory.Supplier", null=True, blank=True, related_name="reorder_suggestions",
                                 on_delete=models.SET_NULL)
    policy = models.ForeignKey(ReorderPolicy, null=True, blank=True, related_name="suggestions",
                               on_delete=models.SET_NULL, help_text="Empty: the default policy decided.")
    method = models.CharField(max_length=16, choices=ReorderPolicy.Method.choices,
                              help_text="The method that actually decided (RL falls back to base-stock when no policy is trained).")
    forecast_run = models.ForeignKey("forecasting.ForecastRun", null=True, blank=True, related_name="reorder_suggestions",
                                     on_delete=models.SET_NULL)
    demand_source = models.CharField(max_length=16, choices=DemandSource.choices)
    as_of = models.DateField()
    quantity = models.PositiveIntegerField()
    wanted_quantity = models.PositiveIntegerField(help_text="Before the budget / capacity cut (equal when none binds).")
    order_by = models.DateField(help_text="Latest date to place the order before the stock dips into safety stock.")
    expected_arrival = models.DateField(null=True, blank=True)
    on_hand = models.IntegerField()
    on_order = models.IntegerField()
    lead_time_days = models.FloatField()
    forecast_over_lead_time = models.FloatField(help_text="Expected demand over lead time + review period.")
    safety_stock = models.FloatField()
    target_level = models.FloatField(help_text="Order-up-to level (or reorder point for (s,S)/(R,Q)).")
    expected_service_level = models.FloatField(help_text="Chance of no stock-out before the next order can arrive.")
    expected_cost = models.FloatField(help_text="Expected holding + shortage cost over the protection interval.")
    unit_cost = models.DecimalField(max_digits=12, decimal_places=4, default=0)
    explanation = models.TextField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING, db_index=True)
    reject_reason = models.TextField(blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, related_name="+",
                                   on_delete=models.SET_NULL)
    decided_at = models.DateTimeField(null=True, blank=True)
    purchase_order = models.ForeignKey("inventory.PurchaseOrder", null=True, blank=True,
                                       related_name="suggestions", on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["product", "warehouse", "status"]),
            # The suggestions page's two orders of the pending rows: its first page is read from
            # the index instead of sorting every pending suggestion (26,000 at M5's full size:
            # 40-90 ms a request). The expression must be the one the pages sort by (LINE_VALUE).
            models.Index(F("order_by"), LINE_VALUE.desc(), condition=Q(status="pending"), name="suggestion_pending_due"),
            models.Index(LINE_VALUE.desc(), F("order_by"), condition=Q(status="pending"), name="suggestion_pending_value"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="reordersuggestion_quantity_positive"),
            models.CheckConstraint(condition=~Q(status="rejected") | ~Q(reject_reason=""),
                                   name="reordersuggestion_rejected_has_reason"),
        ]

    def __str__(self):
        return f"{self.quantity} x {self.product} -> {self.warehouse} ({self.status})"

    @property
    def status_label(self) -> str:
        return self.get_status_display()

    @property
    def line_cost(self):
        return self.quantity * self.unit_cost


class PolicyReplayRun(models.Model):
    """One replay of the shop's own recent history with every ordering method
    (replenishment.replays): its window, what it chose, and the totals per method."""

    as_of = models.DateField(help_text="The last day of the replayed history.")
    freq = models.CharField(max_length=1, choices=[("W", "Weekly"), ("D", "Daily")])
    periods = models.PositiveIntegerField()
    pairs = models.PositiveIntegerField(default=0)
    skipped = models.JSONField(default=dict, help_text="Pairs left out, by reason.")
    totals = models.JSONField(default=dict, help_text="{method: {total, holding, shortage, fill_rate, units_ordered}}.")
    by_warehouse = models.JSONField(default=dict, help_text="{warehouse code: {method: total cost}}.")
    selected = models.JSONField(default=dict, help_text="{method: pairs that now use it} and the rule.")
    demand_sources = models.JSONField(
        default=dict, blank=True, help_text="How many decisions of base-stock and the learned policy read the forecast "
                                            "in force (and of which runs) and how many the sales history.")
    started_from_ledger = models.PositiveIntegerField(
        default=0, help_text="Pairs whose starting stock was their real position from the stock ledger (the others "
                             "started from an estimate: replenishment/replay_start.py).")
    tuned_factors = models.JSONField(
        default=dict, blank=True,
        help_text="The cost-tuned base-stock method's safety factor per demand class (\"*\": pooled) and the pairs "
                  "each was tuned on; empty when the replay could not tune it (replenishment/replays.py).")
    applied = models.BooleanField(default=False, help_text="Whether the choice was written to the pairs' policies.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"replay of {self.periods}{self.freq} to {self.as_of}"


class PolicyReplay(models.Model):
    """One product x warehouse x method of a replay run: what the method would have cost."""

    run = models.ForeignKey(PolicyReplayRun, related_name="rows", on_delete=models.CASCADE)
    product = models.ForeignKey("inventory.Product", related_name="policy_replays", on_delete=models.CASCADE)
    warehouse = models.ForeignKey("inventory.Warehouse", related_name="policy_replays", on_delete=models.CASCADE)
    method = models.CharField(max_length=16, choices=ReorderPolicy.Method.choices)
    demand_class = models.CharField(max_length=16)
    total_cost = models.FloatField()
    holding_cost = models.FloatField()
    shortage_cost = models.FloatField()
    fill_rate = models.FloatField()
    units_ordered = models.FloatField()
    selected = models.BooleanField(default=False, help_text="The method the replay chose for this pair.")

    class Meta:
        ordering = ["run", "product_id", "warehouse_id", "method"]
        indexes = [models.Index(fields=["product", "warehouse", "run"])]
        constraints = [models.UniqueConstraint(fields=["run", "product", "warehouse", "method"],
                                               name="policyreplay_unique_row")]

    def __str__(self):
        return f"{self.product} @ {self.warehouse}: {self.method} {self.total_cost:.2f}"
