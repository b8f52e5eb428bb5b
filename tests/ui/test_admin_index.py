"""The admin index doubles as a dashboard: key figures with links into the staff pages."""
import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_admin_index_shows_key_figures(client, django_user_model, shop):
    admin = django_user_model.objects.create_superuser("root", password="a-long-test-password-42")
    client.force_login(admin)
    page = client.get(reverse("admin:index")).content.decode()
    assert 'id="key-figures"' in page
    assert 'data-figure="at_risk">1<' in page  # the mug: 4 days of cover, 7-day lead time
    assert f'{reverse("ui:products")}?risk=at_risk' in page
    assert "Site administration" in page or 'id="content-main"' in page  # the normal admin index is still there
