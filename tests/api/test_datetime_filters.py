"""Date-time filters refuse offsets no time zone has (schemathesis found a 500 on PostgreSQL)."""
import pytest
from django.contrib.auth.models import User

pytestmark = pytest.mark.django_db


def test_impossible_utc_offset_is_a_400_naming_the_field(client):
    client.force_login(User.objects.create_user("u", password="a-long-test-password"))
    response = client.get("/api/v1/stock-movements/", {"created_after": "0111-10-03T22:57:08-22:53"})
    assert response.status_code == 400 and "created_after" in response.content.decode()
    ok = client.get("/api/v1/stock-movements/", {"created_after": "2026-10-03T22:57:08+05:30"})
    assert ok.status_code == 200


@pytest.mark.parametrize("body", ['{"product": "A\\u0000", "quantity": 1}', '{"product": "A\x00"}'])
def test_nul_characters_are_a_400_not_a_database_error(client, body):
    client.force_login(User.objects.create_user("u2", password="a-long-test-password"))
    response = client.post("/api/v1/stock-movements/transfer/", data=body, content_type="application/json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_characters"
    assert client.get("/api/v1/products/", {"search": "a\x00b"}).status_code == 400
