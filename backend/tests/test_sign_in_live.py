"""Sign-in and tokens against the real server process: timing that tells nothing about which
emails have accounts, sign-out that revokes, and a token whose user is gone."""

import statistics
import time
import uuid
from pathlib import Path

import httpx

from backend_testkit import TEST_SECRET
from testkit import run_service

PASSWORD = "correct horse"
SAMPLES = 15


def _env(tmp_path: Path, database: str = "todo.db") -> dict[str, str]:
    return {
        "DATABASE_URL": f"sqlite:///{tmp_path}/{database}",
        "BETTER_AUTH_SECRET": TEST_SECRET,
        "RATE_LIMITS": "off",
        "SIGN_IN_MAX_FAILURES": "1000",  # this test measures failures, not the throttle
    }


def _sign_up(client: httpx.Client) -> dict[str, str]:
    email = f"ann-{uuid.uuid4().hex[:10]}@example.com"
    response = client.post(
        "/api/auth/sign-up", json={"email": email, "password": PASSWORD, "name": "Ann"}
    )
    assert response.status_code == 201, response.text
    body = response.json()
    return {"email": email, "id": body["user"]["id"], "token": body["token"]}


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _sign_in_seconds(client: httpx.Client, email: str) -> float:
    started = time.perf_counter()
    response = client.post("/api/auth/sign-in", json={"email": email, "password": "wrong-pass"})
    elapsed = time.perf_counter() - started
    assert response.status_code == 401
    assert response.json()["detail"] == "Wrong email or password"
    return elapsed


def test_sign_in_takes_as_long_for_an_unknown_email_as_for_a_known_one(tmp_path: Path) -> None:
    with (
        run_service("todo-backend", _env(tmp_path), tmp_path / "backend.log") as service,
        httpx.Client(base_url=service.url, timeout=30) as client,
    ):
        known = _sign_up(client)["email"]
        known_times, unknown_times = [], []
        for n in range(SAMPLES):  # interleaved, so load on the machine hits both alike
            known_times.append(_sign_in_seconds(client, known))
            unknown_times.append(_sign_in_seconds(client, f"nobody-{n}@example.com"))
    known_ms = statistics.median(known_times) * 1000
    unknown_ms = statistics.median(unknown_times) * 1000
    print(f"\nsign-in medians: known email {known_ms:.0f} ms, unknown email {unknown_ms:.0f} ms")
    assert 0.5 <= known_ms / unknown_ms <= 2


def test_sign_out_revokes_the_token_everywhere(tmp_path: Path) -> None:
    with (
        run_service("todo-backend", _env(tmp_path), tmp_path / "backend.log") as service,
        httpx.Client(base_url=service.url, timeout=30) as client,
    ):
        account = _sign_up(client)
        headers = _bearer(account["token"])
        tasks = f"/api/{account['id']}/tasks"
        assert client.get("/api/auth/me", headers=headers).status_code == 200

        assert client.post("/api/auth/sign-out", headers=headers).status_code == 204

        assert client.get("/api/auth/me", headers=headers).status_code == 401
        refused = client.post(tasks, json={"title": "after sign-out"}, headers=headers)
        assert refused.status_code == 401
        assert refused.json()["detail"].startswith("Sign in first")
        mcp = client.post("/mcp/", json={}, headers=headers)
        assert mcp.status_code == 401
        # Signing in again gives a token that works.
        again = client.post(
            "/api/auth/sign-in", json={"email": account["email"], "password": PASSWORD}
        )
        assert client.get(tasks, headers=_bearer(again.json()["token"])).status_code == 200


def test_a_token_whose_user_is_gone_gets_401_not_500(tmp_path: Path) -> None:
    with (
        run_service("todo-backend", _env(tmp_path, "first.db"), tmp_path / "first.log") as first,
        httpx.Client(base_url=first.url, timeout=30) as client,
    ):
        account = _sign_up(client)
    # The same secret over a fresh database: the token verifies, but its user does not exist.
    with (
        run_service("todo-backend", _env(tmp_path, "reset.db"), tmp_path / "reset.log") as reset,
        httpx.Client(base_url=reset.url, timeout=30) as client,
    ):
        tasks = f"/api/{account['id']}/tasks"
        headers = _bearer(account["token"])
        created = client.post(tasks, json={"title": "orphan"}, headers=headers)
        assert created.status_code == 401, created.text
        assert created.headers["WWW-Authenticate"] == "Bearer"
        assert client.get(tasks, headers=headers).status_code == 401
        chat = client.post(f"/api/{account['id']}/chat", json={"message": "hi"}, headers=headers)
        assert chat.status_code == 401
