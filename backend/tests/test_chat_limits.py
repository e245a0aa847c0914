"""Chat turns are limited per user per minute and per day, against the real server process."""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from backend_testkit import TEST_SECRET
from testkit import run_service


@contextmanager
def backend_client(tmp_path: Path, **limits: str) -> Iterator[httpx.Client]:
    """The real backend with `limits` set, and a client for it."""
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/todo.db", "BETTER_AUTH_SECRET": TEST_SECRET}
    with (
        run_service("todo-backend", {**env, **limits}, tmp_path / "backend.log") as service,
        httpx.Client(base_url=service.url, timeout=30) as client,
    ):
        yield client


def _sign_up(client: httpx.Client) -> tuple[str, dict[str, str]]:
    email = f"chat-{uuid.uuid4().hex[:10]}@example.com"
    body = client.post(
        "/api/auth/sign-up", json={"email": email, "password": "chatty-pass", "name": "C"}
    ).json()
    return body["user"]["id"], {"Authorization": f"Bearer {body['token']}"}


def test_chat_turns_stop_at_the_daily_limit_with_a_clear_429(tmp_path: Path) -> None:
    with backend_client(tmp_path, CHAT_TURNS_PER_DAY="3") as client:
        ann, ann_headers = _sign_up(client)
        chat = f"/api/{ann}/chat"
        sent = [
            client.post(chat, json={"message": "Show me all my tasks"}, headers=ann_headers)
            for _ in range(3)
        ]
        assert [response.status_code for response in sent] == [200] * 3
        over = client.post(f"{chat}/stream", json={"message": "hi"}, headers=ann_headers)
        assert over.status_code == 429
        assert over.json()["detail"].startswith("You have reached today's limit")
        assert 82_800 < int(over.headers["Retry-After"]) <= 86_400
        # Another user has an allowance of their own.
        bob, bob_headers = _sign_up(client)
        ok = client.post(f"/api/{bob}/chat", json={"message": "hi"}, headers=bob_headers)
        assert ok.status_code == 200


def test_chat_turns_are_limited_per_minute(tmp_path: Path) -> None:
    with backend_client(tmp_path, CHAT_TURNS_PER_MINUTE="2") as client:
        ann, headers = _sign_up(client)
        statuses = [
            client.post(f"/api/{ann}/chat", json={"message": "hi"}, headers=headers).status_code
            for _ in range(3)
        ]
        assert statuses == [200, 200, 429]
        over = client.post(f"/api/{ann}/chat", json={"message": "hi"}, headers=headers)
        assert over.json()["detail"].startswith("You are sending messages too quickly")
        assert 1 <= int(over.headers["Retry-After"]) <= 60
