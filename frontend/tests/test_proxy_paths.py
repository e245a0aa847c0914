"""The proxy forwards only the paths it checked: dot segments (even percent-encoded) would
resolve at the backend to routes the proxy never forwards. Real processes, real sockets."""

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from testkit import Service, run_service

pytestmark = pytest.mark.postgres

SECRET = "frontend-test-secret-0123456789abcdef0123456789"


@pytest.fixture
def signed_in(
    real_backend: Service, tmp_path: Path, sign_up: Callable[..., str]
) -> Iterator[tuple[httpx.Client, str]]:
    env = {"BACKEND_URL": real_backend.url, "BETTER_AUTH_SECRET": SECRET, "LOCAL_MODE": "false"}
    with (
        run_service("todo-frontend", env, tmp_path / "frontend.log") as frontend,
        httpx.Client(base_url=frontend.url, timeout=30) as browser,
    ):
        sign_up(browser, "Dot")
        token = browser.get("/dashboard").text.split('name="csrf-token" content="')[1].split('"')[0]
        yield browser, token


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/%2e%2e/metrics"),
        ("GET", "/api/%2e%2e/openapi.json"),
        ("POST", "/api/%2e%2e/mcp/"),
        ("POST", "/api/x/%2e%2e/auth/sign-in"),
        ("GET", "/api/x/%2E/%2e%2E/auth/me/../../metrics"),
    ],
)
def test_dot_segments_are_refused(
    signed_in: tuple[httpx.Client, str], method: str, path: str
) -> None:
    browser, csrf = signed_in
    response = browser.request(method, path, headers={"X-CSRF-Token": csrf}, json={})
    assert response.status_code == 400, response.text
    assert "'..'" in response.json()["detail"]
    assert "http_requests_total" not in response.text
