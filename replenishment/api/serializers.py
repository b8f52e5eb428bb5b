"""Serializers of the replenishment API."""
from rest_framework import serializers

from inventory.purchasing.api import PurchaseOrderSerializer
from replenishment.models import PolicyReplay, PolicyReplayRun, ReorderSuggestion


class ReorderSuggestionSerializer(serializers.ModelSerializer):
    product = serializers.CharField(source="product.sku", read_only=True)
    product_name = serializers.CharField(source="product.name", read_only=True)
    warehouse = serializers.CharField(source="warehouse.code", read_only=True)
    supplier = serializers.CharField(source="supplier.code", read_only=True, allow_null=True, default=None)
    decided_by = serializers.CharField(source="decided_by.username", read_only=True, allow_null=True, default=None)

    class Meta:
        model = ReorderSuggestion
        fields = ["id", "product", "product_name", "warehouse", "supplier", "policy", "method", "forecast_run",
                  "demand_source", "as_of", "quantity", "wanted_quantity", "order_by", "expected_arrival", "on_hand",
                  "on_order", "lead_time_days", "forecast_over_lead_time", "safety_stock", "target_level",
                  "expected_service_level", "expected_cost", "unit_cost", "explanation", "status", "reject_reason",
                  "decided_by", "decided_at", "purchase_order", "created_at"]
        read_only_fields = fields


class SuggestionIdsSerializer(serializers.Serializer):
    ids = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=2**63 - 1), allow_empty=False,
                                max_length=5000,
                                help_text="Ids of pending suggestions.")

    def validate_ids(self, ids):
        if len(set(ids)) != len(ids):
            raise serializers.ValidationError("an id appears twice.")
        return ids


class RejectSerializer(SuggestionIdsSerializer):
    reason = serializers.CharField(max_length=2000, help_text="Why: kept with the suggestions.")


class ApproveResultSerializer(serializers.Serializer):
    approved = serializers.IntegerField()
    purchase_orders = PurchaseOrderSerializer(many=True, help_text="Draft orders, one per supplier x warehouse.")


class RejectResultSerializer(serializers.Serializer):
    rejected = serializers.IntegerField()


class PolicyReplayRunSerializer(serializers.ModelSerializer):
    class Meta:
        model = PolicyReplayRun
        fields = ["id", "as_of", "freq", "periods", "pairs", "skipped", "totals", "by_warehouse", "selected", "demand_sources",
                  "started_from_ledger", "tuned_factors", "applied", "created_at"]
        read_only_fields = fields


class PolicyReplaySerializer(serializers.ModelSerializer):
    product = serializers.CharField(source="product.sku", read_only=True)
    warehouse = serializers.CharField(source="warehouse.code", read_only=True)

    class Meta:
        model = PolicyReplay
        fields = ["id", "run", "product", "warehouse", "method", "demand_class", "total_cost", "holding_cost",
                  "shortage_cost", "fill_rate", "units_ordered", "selected"]
        read_only_fields = fields
