"""Each listed page costs the same number of queries whatever the size of the catalogue
(issue #19): a page that issued a query per pair would be linear in the pairs at 30 k series."""
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from insights.models import Alert
from inventory import services
from inventory.models import SalesDay
from tests.factories import make_category, make_product, make_supplier, make_warehouse
from tests.ui.test_suggestions import make_suggestion

pytestmark = pytest.mark.django_db

END = date(2024, 3, 28)


def catalogue(n_products: int) -> str:
    """n products x 2 warehouses: 35 days of sales (some out of stock), stock, a suggestion and an
    alert per pair. Returns one product's SKU."""
    supplier = make_supplier(lead_time_mean_days=Decimal("7"))
    category = make_category()
    warehouses = [make_warehouse(), make_warehouse()]
    days = []
    for i in range(n_products):
        product = make_product(category=category, supplier=supplier)
        for w, warehouse in enumerate(warehouses):
            services.receive(product, warehouse, 5 + 10 * i)
            make_suggestion(product, warehouse, 10 + i)
            Alert.objects.create(kind="stockout_risk", product=product, warehouse=warehouse, message="low")
            days += [SalesDay(product=product, warehouse=warehouse, date=END - timedelta(days=d), units=(i + d + w) % 4,
                              revenue=Decimal("1.00"), in_stock=d % 9 != 0) for d in range(35)]
    SalesDay.objects.bulk_create(days)
    return product.sku


def _queries(client, path: str, django_assert_max_num_queries) -> int:
    assert client.get(path).status_code == 200  # warm what is cached per sales change
    with django_assert_max_num_queries(10_000) as captured:
        assert client.get(path).status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize("page", ["dashboard", "product list", "product page", "suggestions"])
def test_page_queries_do_not_grow_with_the_catalogue(viewer_client, page, django_assert_max_num_queries):
    counts = []
    for size in (3, 30):  # the second catalogue comes on top of the first: 6 pairs, then 66
        sku = catalogue(size)
        path = {"dashboard": reverse("home"), "product list": reverse("ui:products"),
                "product page": reverse("ui:product", args=[sku]), "suggestions": reverse("ui:suggestions")}[page]
        counts.append(_queries(viewer_client, path, django_assert_max_num_queries))
    assert counts[0] == counts[1], f"{page}: {counts[0]} queries at 6 pairs, {counts[1]} at 66"
