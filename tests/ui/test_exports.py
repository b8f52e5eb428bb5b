"""CSV exports cannot carry spreadsheet formulas (CSV injection)."""
import csv
import io

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from inventory.purchasing import services as purchasing
from inventory.exports import spreadsheet_safe
from tests.factories import make_product, make_supplier, make_warehouse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("text", ["=HYPERLINK(\"http://evil\")", "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_formula_like_text_is_neutralised(text):
    assert spreadsheet_safe(text) == "'" + text


def test_plain_text_and_numbers_pass_unchanged():
    assert spreadsheet_safe("Mug, red") == "Mug, red" and spreadsheet_safe(-3) == "-3" and spreadsheet_safe(None) == ""


def test_purchase_order_csv_is_safe_and_complete(client):
    client.force_login(User.objects.create_user("viewer", password="a-long-test-password"))
    evil = make_product(sku="EVIL-1", name='=HYPERLINK("http://attacker.example","click")')
    order = purchasing.create_purchase_order(
        supplier=make_supplier(name="Acme"), warehouse=make_warehouse(code="MAIN"),
        lines=[purchasing.OrderLineRequest(evil, 12)],
    )
    response = client.get(reverse("ui:order-csv", args=[order.pk]))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:4] == ["order", "supplier", "warehouse", "sku"]
    assert rows[1][3] == "EVIL-1" and rows[1][4].startswith("'=HYPERLINK") and rows[1][5] == "12"
    assert client.post(reverse("ui:order-csv", args=[order.pk])).status_code == 405
