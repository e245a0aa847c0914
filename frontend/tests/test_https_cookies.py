"""Behind a TLS ingress the cookies keep `Secure` and responses carry HSTS, when the ingress
is a trusted proxy (TRUSTED_PROXIES) or COOKIE_SECURE forces it. The real frontend process."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from testkit import Service, free_port, run_service

SECRET = "frontend-test-secret-0123456789abcdef0123456789"
HTTPS = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}


@contextmanager
def frontend(tmp_path: Path, **settings: str) -> Iterator[Service]:
    env = {
        "BACKEND_URL": f"http://127.0.0.1:{free_port()}",  # the sign-in page renders without it
        "BETTER_AUTH_SECRET": SECRET,
        "LOCAL_MODE": "false",
        **settings,
    }
    with run_service("todo-frontend", env, tmp_path / "frontend.log") as service:
        yield service


def csrf_cookie(response: httpx.Response) -> str:
    return next(h for h in response.headers.get_list("set-cookie") if h.startswith("todo_csrf="))


def test_a_trusted_tls_ingress_gets_secure_cookies_and_hsts(tmp_path: Path) -> None:
    with frontend(tmp_path, TRUSTED_PROXIES="127.0.0.0/8") as service:
        page = httpx.get(f"{service.url}/sign-in", headers=HTTPS)
        assert "Secure" in csrf_cookie(page)
        assert page.headers["Strict-Transport-Security"] == "max-age=31536000"
        plain = httpx.get(f"{service.url}/sign-in")
        assert "Secure" not in csrf_cookie(plain)
        assert "Strict-Transport-Security" not in plain.headers


def test_an_untrusted_peer_cannot_claim_https(tmp_path: Path) -> None:
    with frontend(tmp_path, TRUSTED_PROXIES="10.255.255.1") as service:
        page = httpx.get(f"{service.url}/sign-in", headers=HTTPS)
        assert "Secure" not in csrf_cookie(page)
        assert "Strict-Transport-Security" not in page.headers


def test_cookie_secure_true_forces_secure_cookies(tmp_path: Path) -> None:
    with frontend(tmp_path, COOKIE_SECURE="true") as service:
        assert "Secure" in csrf_cookie(httpx.get(f"{service.url}/sign-in"))
