"""The lesser findings of the attack review (issue 18, finding 7): each one's regression test."""
import io
import os
import pickle

import pytest
import torch
from django.db import OperationalError

from forecasting.ml.train import GlobalForecaster
from inventory.api import views
from inventory.exports import spreadsheet_safe
from inventory_site import health
from tests.api.conftest import client_for, make_user

pytestmark = pytest.mark.django_db


def test_metrics_behind_a_same_host_proxy_need_the_token(client, settings):
    settings.METRICS_TOKEN = "s3cret-token"
    proxied = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "198.51.100.7"}
    assert client.get("/metrics", **proxied).status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-token", **proxied).status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 200  # a direct scrape
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 403  # a proxy is declared


def test_readyz_names_the_failed_dependency_not_its_exception(client, monkeypatch, caplog):
    class Broken:
        def __enter__(self):
            raise OperationalError('connection to server at "10.0.0.5", port 5432 failed')

        def __exit__(self, *exc):
            return False

    monkeypatch.setattr(health.connection, "cursor", lambda: Broken())
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.content.decode()
    assert "OperationalError" not in body and "10.0.0.5" not in body
    assert response.json()["checks"]["database"] == "error: unreachable"
    assert "OperationalError" in caplog.text  # the operator still learns it, from the log


@pytest.mark.parametrize("text", ["＝HYPERLINK(\"http://x\")", " =1+1", "＋1", "－1", "＠SUM(A1)", "\u3000=1"])
def test_full_width_and_spaced_formula_starts_are_escaped(text):
    assert spreadsheet_safe(text) == "'" + text


def test_the_stock_list_statement_cache_is_bounded(viewer_client, settings):
    views._compiled_stock_pages.clear()
    fields = ["on_hand", "reserved", "available_units", "on_order", "updated_at", "id"]
    orderings = [f"{a},-{b}" for a in fields for b in fields]  # 36 distinct orderings
    for ordering in orderings:
        assert viewer_client.get(f"/api/v1/stock-levels/?ordering={ordering}").status_code == 200
    assert len(views._compiled_stock_pages) <= views.MAX_COMPILED_ORDERINGS
    views._compiled_stock_pages.clear()


@pytest.fixture
def viewer_client(django_user_model):
    return client_for(make_user(django_user_model, "ops-viewer", "viewer"))


class _Payload:
    """What a tampered model row would hold: unpickling it runs a command."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_a_tampered_model_artifact_runs_no_code(tmp_path):
    marker = tmp_path / "pwned"
    buffer = io.BytesIO()
    torch.save({"format": "x", "weights": _Payload(marker)}, buffer)
    with pytest.raises(pickle.UnpicklingError):
        GlobalForecaster.from_bytes(buffer.getvalue())
    assert not marker.exists()
