"""Shared pieces of the backend tests (importable: backend/tests is on pytest's pythonpath)."""

import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx

from tcpproxy import TcpProxy
from todo_backend.settings import Settings

__all__ = ["TcpProxy"]  # re-exported: the tests cut the database with it

TEST_SECRET = "test-secret-0123456789abcdef0123456789abcdef"
# The MCP tools, as clients and the model see them.
TOOL_NAMES = {
    "add_task",
    "list_tasks",
    "complete_task",
    "reopen_task",
    "delete_task",
    "update_task",
}
# What a task that was given no due date, priority or tags has of them.
UNPLANNED = {"due_at": None, "priority": "medium", "tags": []}


def make_settings(database_url: str, **overrides: Any) -> Settings:
    """Settings for a test, independent of the developer's environment and .env."""
    values: dict[str, Any] = {
        "database_url": database_url,
        "BETTER_AUTH_SECRET": TEST_SECRET,
        "agent_provider": "builtin",
        "local_mode": False,
        # Tests sign up many users from one address; the tests of the limits turn them on.
        "rate_limits": "off",
        # And then the one they test: on PostgreSQL every app counts in the database, which
        # every test (and every test run) shares, so the per-address limits, all of them
        # 127.0.0.1's, stay off unless a test sets them.
        "sign_up_per_address_per_hour": 0,
        "sign_in_per_address_per_minute": 0,
        "auth_requests_per_minute": 0,
        # An app served in-process has one port: /metrics is on it.
        "metrics_port": 0,
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def llm_settings(database_url: str, model_url: str, **overrides: Any) -> Settings:
    """Settings for the LLM agent, talking to the OpenAI-compatible test server at `model_url`."""
    return make_settings(
        database_url,
        agent_provider="auto",
        openai_base_url=model_url,
        openai_api_key="test-key",
        openai_model="test-model",
        **overrides,
    )


@dataclass(frozen=True)
class Account:
    id: str
    email: str
    password: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


SignUp = Callable[..., Awaitable[Account]]


async def register(
    client: httpx.AsyncClient, name: str, password: str = "correct horse"
) -> Account:
    """A new account with a unique email, signed up through the API."""
    email = f"{name.lower()}-{uuid.uuid4().hex[:8]}@example.com"
    response = await client.post(
        "/api/auth/sign-up", json={"email": email, "password": password, "name": name}
    )
    assert response.status_code == 201, response.text
    body = response.json()
    return Account(id=body["user"]["id"], email=email, password=password, token=body["token"])


SseEvent = tuple[str, dict[str, Any]]


async def stream_chat(client: httpx.AsyncClient, account: Account, message: str) -> list[SseEvent]:
    """A message to /chat/stream; returns its server-sent events as (name, data) pairs."""
    async with client.stream(
        "POST",
        f"/api/{account.id}/chat/stream",
        json={"message": message},
        headers=account.headers,
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        raw = (await response.aread()).decode()
    return parse_sse(raw)


def parse_sse(raw: str) -> list[SseEvent]:
    """A whole server-sent-event stream as (name, data) pairs."""
    events = []
    for block in raw.strip().split("\n\n"):
        name_line, data_line = block.split("\n")
        events.append(
            (name_line.removeprefix("event: "), json.loads(data_line.removeprefix("data: ")))
        )
    return events
