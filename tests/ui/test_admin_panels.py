"""The admin's change pages carry the same charts and explanations as the staff pages."""
import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from tests.factories import make_product

pytestmark = pytest.mark.django_db


def test_product_change_page_shows_the_insight_panel(client):
    admin_user = User.objects.create_superuser("root", password="a-long-test-password")
    client.force_login(admin_user)
    product = make_product(sku="PANEL-1")
    page = client.get(reverse("admin:inventory_product_change", args=[product.pk]))
    assert page.status_code == 200
    assert 'id="insight-panel"' in page.content.decode() and "Open PANEL-1 in the staff UI" in page.content.decode()
    add_page = client.get(reverse("admin:inventory_product_add"))  # no object yet: no panel, no error
    assert add_page.status_code == 200 and 'id="insight-panel"' not in add_page.content.decode()
