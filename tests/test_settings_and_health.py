"""Settings come from the environment; health checks answer without login; pages need login."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

REPO_ROOT = Path(__file__).resolve().parent.parent


def run_manage(args, **env):
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "DATABASE_URL", "SECURE_SSL_REDIRECT", "STATIC_MANIFEST", "AXES_ENABLED", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=REPO_ROOT, env={**clean, **env},
        capture_output=True, text=True, timeout=120,
    )


def test_refuses_to_start_without_secret_key_in_production():
    result = run_manage(["check"], DEBUG="0")
    assert result.returncode != 0 and "SECRET_KEY is not set" in result.stderr


def test_check_deploy_is_clean_with_production_settings():
    result = run_manage(
        ["check", "--deploy", "--fail-level", "WARNING"],
        DEBUG="0", SECRET_KEY="x" * 20 + "-a-long-random-production-secret-key-value-1234567890",
        ALLOWED_HOSTS="stock.example.com",
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.django_db
def test_healthz_and_readyz_answer_anonymously(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"]["database"] == "ok"


@pytest.mark.django_db
def test_pages_require_login(client, django_user_model):
    response = client.get(reverse("home"))
    assert response.status_code == 302 and reverse("login") in response["Location"]
    user = django_user_model.objects.create_user("viewer", password="a-long-test-password")
    client.force_login(user)
    assert client.get(reverse("home")).status_code == 200


@pytest.mark.django_db
def test_login_page_is_public(client):
    assert client.get(reverse("login")).status_code == 200
