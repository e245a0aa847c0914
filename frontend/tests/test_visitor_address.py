"""The backend's sign-in limits count each visitor of the frontend by the visitor's own address:
the frontend names it in a header signed with PROXY_SECRET, which the backend believes even
though it trusts no X-Forwarded-For from the frontend's address (as the charts deploy them).
A guesser is locked out; the account's owner, from another address, is not. Real processes."""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from testkit import Service, run_service

AUTH_SECRET = "frontend-test-secret-0123456789abcdef0123456789"
PROXY_SECRET = "proxy-test-secret-fedcba9876543210fedcba9876543210"
PASSWORD = "correct horse"


@contextmanager
def stack(tmp_path: Path) -> Iterator[Service]:
    backend_env = {
        "DATABASE_URL": f"sqlite:///{tmp_path}/todo.db",
        "BETTER_AUTH_SECRET": AUTH_SECRET,
        "PROXY_SECRET": PROXY_SECRET,
        "TRUSTED_PROXIES": "10.255.255.1",  # not the frontend: its X-Forwarded-For means nothing
    }
    with run_service("todo-backend", backend_env, tmp_path / "backend.log") as backend:
        frontend_env = {
            "BACKEND_URL": backend.url,
            "BETTER_AUTH_SECRET": AUTH_SECRET,
            "PROXY_SECRET": PROXY_SECRET,
            "LOCAL_MODE": "false",
            "TRUSTED_PROXIES": "127.0.0.1",  # the test plays the ingress that names visitors
        }
        with run_service("todo-frontend", frontend_env, tmp_path / "frontend.log") as frontend:
            yield frontend


@contextmanager
def visitor(frontend: Service, address: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=frontend.url, headers={"X-Forwarded-For": address}) as client:
        yield client


def submit(client: httpx.Client, path: str, **fields: str) -> httpx.Response:
    page = client.get(path).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token, "the form has no CSRF token"
    return client.post(path, data={"csrf_token": token[1], **fields})


def test_a_guesser_is_locked_out_and_the_owner_is_not(tmp_path: Path) -> None:
    email = "owner@example.com"
    with stack(tmp_path) as frontend:
        with visitor(frontend, "198.51.100.1") as owner:
            signed_up = submit(owner, "/sign-up", name="Ann", email=email, password=PASSWORD)
            assert signed_up.status_code == 303, signed_up.text
        with visitor(frontend, "203.0.113.66") as guesser:
            statuses = [
                submit(guesser, "/sign-in", email=email, password="wrong").status_code
                for _ in range(6)
            ]
            assert statuses == [401] * 5 + [429]
        with visitor(frontend, "198.51.100.2") as owner:
            signed_in = submit(owner, "/sign-in", email=email, password=PASSWORD)
            assert signed_in.status_code == 303, signed_in.text
            assert signed_in.headers["location"] == "/dashboard"
