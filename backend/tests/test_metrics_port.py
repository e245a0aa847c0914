"""Metrics are served on a port of their own (METRICS_PORT), not on the public API port:
the real server process over real sockets."""

from pathlib import Path

import httpx

from backend_testkit import TEST_SECRET
from testkit import run_service


def test_metrics_are_on_their_own_port_and_not_on_the_api(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/todo.db", "BETTER_AUTH_SECRET": TEST_SECRET}
    with run_service("todo-backend", env, tmp_path / "backend.log") as service:
        assert httpx.get(f"{service.url}/api/health/live").status_code == 200
        assert httpx.get(f"{service.url}/metrics").status_code == 404
        metrics = httpx.get(service.metrics_url)
        assert metrics.status_code == 200
        assert 'route="/api/health/live"' in metrics.text
