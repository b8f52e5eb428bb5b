"""The load benchmark runs in CI in its short mode (gunicorn + PostgreSQL + a loopback load
generator) and must complete cleanly. It asserts no timing: the numbers go to its JSON for the
closing notes; what must hold on any machine is that nothing errors and that a page of stock
costs a constant number of queries."""
import json
import subprocess
import sys

import pytest

from tests.workers import REPO_ROOT

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def test_quick_load_benchmark_completes_without_errors(tmp_path):
    out = tmp_path / "api_quick.json"
    result = subprocess.run(
        [sys.executable, "-m", "bench.api", "--quick", "--port", "0", "--json", str(out)],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=900,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    report = json.loads(out.read_text())
    for endpoint, cells in report["load"].items():
        for cell in cells:
            assert cell["requests"] > 0 and not cell["errors"], (endpoint, cell)
    assert report["bulk"] and all(row["rows"] == row["inserted"] + row["updated"] + row["unchanged"] for row in report["bulk"])
    queries = report["queries_per_request"]
    assert queries["stock_list_page_5"] == queries["stock_list_page_50"], queries  # no N+1
