"""The panels an admin change page can embed show the staff UI's charts and explanations."""
import pytest
from django.template import Context, Template
from django.test import RequestFactory

pytestmark = pytest.mark.django_db


def _render(source, **context):
    request = RequestFactory().get("/admin/")
    return Template("{% load stockcast_ui %}" + source).render(Context({"request": request, **context}))


def test_product_panel_has_the_chart_and_a_link(shop, viewer):
    html = _render("{% product_insight_panel product %}", product=shop["mug"], user=viewer)
    assert 'id="demand-chart"' in html and 'id="projection-chart"' in html and "chart.umd.min.js" in html
    assert "/products/MUG-1/" in html


def test_product_panel_is_empty_on_the_add_page(db):
    assert "insight-panel" not in _render("{% product_insight_panel product %}", product=None)


def test_run_panel_lists_metrics_per_class():
    class Run:
        pk = 7
        metrics = {"wrmsse": 0.8, "per_class": {"smooth": {"series": 3, "rmsse": 0.7}}}

    html = _render("{% run_insight_panel run %}", run=Run())
    assert "wrmsse" in html and "smooth" in html and "/forecasts/runs/7/" in html
