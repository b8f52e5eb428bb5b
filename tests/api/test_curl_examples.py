"""The curl examples of the README (docs/api_examples.sh) run against a live test server."""
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from inventory.models import IdempotencyRecord, Product, SalesDay, StockLevel, StockMovement
from tests.api.conftest import make_user
from replenishment.models import ReorderSuggestion
from tests.api.test_replenishment import suggest
from tests.factories import make_product, make_supplier, make_warehouse
from inventory_site.roles import PLANNER

SCRIPT = Path(__file__).resolve().parents[2] / "docs" / "api_examples.sh"


@pytest.mark.django_db(transaction=True)
def test_readme_curl_examples_run_against_a_live_server(live_server, django_user_model, eager_tasks):
    missing = [tool for tool in ("bash", "curl", "jq") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"the examples need {', '.join(missing)} on PATH")
    warehouse = make_warehouse(code="CA_1")
    make_user(django_user_model, "integration", PLANNER)
    product = make_product(sku="REORDER-1", supplier=make_supplier(code="ACME"))
    suggestion = suggest(product, warehouse, quantity=36)
    env = {**os.environ, "STOCKCAST_URL": live_server.url, "STOCKCAST_USER": "integration",
           "STOCKCAST_PASSWORD": "a-long-test-password-1", "STOCKCAST_WAREHOUSE": "CA_1"}
    done = subprocess.run(["bash", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    # What the examples claim happened, did.
    assert SalesDay.objects.filter(product__sku="DEMO-001").count() == 3
    assert SalesDay.objects.get(product__sku="DEMO-002").on_promotion is True
    record = IdempotencyRecord.objects.get(key="delivery-2026-11-29-0042", user__username="integration")
    assert StockMovement.objects.filter(idempotency_key=record.ledger_key).count() == 1
    assert StockLevel.objects.get(product__sku="DEMO-001", warehouse__code="CA_1").on_hand == 48
    assert "forecast run: succeeded" in done.stdout
    assert {p.supplier.code for p in Product.objects.filter(sku__startswith="DEMO-")} == {"ACME-GIFTS"}
    assert '"reason"' in done.stdout  # the refused row was reported
    suggestion = ReorderSuggestion.objects.get(pk=suggestion.pk)
    assert suggestion.status == "approved" and suggestion.purchase_order.lines.get().quantity_ordered == 36
