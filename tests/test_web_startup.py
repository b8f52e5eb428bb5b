"""A web process starts without PyTorch: torch (seconds to import, hundreds of MB) is loaded by
the views that train or run a model, on first use, not by every gunicorn worker at boot or by
the first request to any page."""
import os
import subprocess
import sys

from tests.workers import REPO_ROOT


def test_url_configuration_does_not_import_torch():
    code = ("import os, sys, django; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'inventory_site.settings'); "
            "django.setup(); import inventory_site.urls; print('torch' in sys.modules)")
    env = {**os.environ, "DEBUG": "1"}
    env.pop("DATABASE_URL", None)
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "False"
