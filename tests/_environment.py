"""Environment defaults for the test run, loaded as a pytest plugin (-p) before Django starts.

Tests run with DEBUG off so that they see production behaviour, with a throwaway key and plain
HTTP (the test client speaks no TLS). Real values in the environment (CI's DATABASE_URL,
CELERY_BROKER_URL) are kept.
"""
import os
import secrets

os.environ.setdefault("SECRET_KEY", "test-" + secrets.token_urlsafe(32))
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("STATIC_MANIFEST", "0")
# The login lock-out backend needs a request, which Client.login() does not pass; the lock-out
# test turns it back on explicitly.
os.environ.setdefault("AXES_ENABLED", "0")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
