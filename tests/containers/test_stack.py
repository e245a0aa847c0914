"""The whole stack in containers, as a person uses it: PostgreSQL (postgres:17), the backend and the
frontend on one user-defined network, the frontend reaching http://backend:8000 by name and
published on a host port; every request goes through that port, as a browser's would."""

import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from testkit import wait_until
from tests.support.browser import Browser
from tests.support.docker import MB, BuiltImage, Container, Containers, Docker
from tests.support.figures import record

pytestmark = pytest.mark.docker

IDLE_MEMORY_TARGET_MB = {"backend": 150, "frontend": 80}
MEMORY_AFTER_CHAT_LIMIT_MB = {"backend": 300, "frontend": 150}
CHAT_TURNS = 100


@dataclass(frozen=True)
class Stack:
    postgres: Container
    backend: Container
    frontend: Container
    idle_memory_bytes: dict[str, int]

    def client(self) -> Browser:
        return Browser(self.frontend.url(3000))


def _sign_up(client: Browser, name: str) -> str:
    email = f"{name.lower()}-{secrets.token_hex(4)}@example.com"
    assert client.sign_up(name, email).status_code == 303
    client.open_dashboard()
    return client.user_id


@pytest.fixture(scope="module")
def stack(
    docker: Docker, backend_image: BuiltImage, frontend_image: BuiltImage, auth_secret: str
) -> Iterator[Stack]:
    containers = Containers(docker)
    try:
        network = containers.network()
        password = secrets.token_hex(16)
        postgres = containers.run(
            "postgres:17",
            role="postgres",
            network=network,
            aliases=["postgres"],
            env={"POSTGRES_USER": "todo", "POSTGRES_PASSWORD": password, "POSTGRES_DB": "todo"},
        )
        wait_until(
            lambda: (
                postgres.exec_result(
                    "pg_isready", "-h", "127.0.0.1", "-U", "todo", "-d", "todo"
                ).returncode
                == 0
            ),
            seconds=60,
            interval=0.2,
            what="PostgreSQL to accept connections",
        )
        backend = containers.run(
            backend_image.tag,
            role="backend",
            network=network,
            aliases=["backend"],
            env={
                "DATABASE_URL": f"postgresql://todo:{password}@postgres:5432/todo",
                "BETTER_AUTH_SECRET": auth_secret,
                # A hundred chat turns in a few seconds measure memory, not the chat limits.
                "RATE_LIMITS": "off",
                "MCP_ALLOWED_HOSTS": "backend,backend:*",
            },
            read_only=True,
            tmpfs=["/tmp"],
        )
        frontend = containers.run(
            frontend_image.tag,
            role="frontend",
            network=network,
            env={"BACKEND_URL": "http://backend:8000", "BETTER_AUTH_SECRET": auth_secret},
            publish=[3000],
            read_only=True,
            tmpfs=["/tmp"],
        )
        backend.wait_healthy()
        frontend.wait_healthy()
        idle = {"backend": backend.memory_bytes(), "frontend": frontend.memory_bytes()}
        yield Stack(postgres, backend, frontend, idle)
    finally:
        containers.close()


def test_sign_up_chat_complete_list_delete_through_the_frontend(stack: Stack) -> None:
    client = stack.client()
    try:
        user_id = _sign_up(client, "Milk")

        added = client.chat("Add a task to buy milk")
        assert [call["name"] for call in added["tool_calls"]] == ["add_task"]
        assert "Buy milk" in added["response"]
        conversation_id = added["conversation_id"]
        tasks = client.api("GET", f"{client.user_id}/tasks").json()
        assert [(task["title"], task["completed"]) for task in tasks] == [("Buy milk", False)]

        completed = client.chat("Mark the milk task as done", conversation_id)
        assert "complete_task" in [call["name"] for call in completed["tool_calls"]]
        done = client.api("GET", f"{client.user_id}/tasks?status=completed").json()
        assert done[0]["title"] == "Buy milk"

        listed = client.chat("Show my tasks", conversation_id)
        assert "list_tasks" in [call["name"] for call in listed["tool_calls"]]
        assert "Buy milk" in listed["response"]

        deleted = client.chat("Delete the milk task", conversation_id)
        assert "delete_task" in [call["name"] for call in deleted["tool_calls"]]
        assert client.api("GET", f"{client.user_id}/tasks").json() == []

        # The backend restarts (new process, same PostgreSQL): the conversation is still there,
        # and the browser's session still works.
        stack.backend.restart()
        stack.backend.wait_healthy()
        answer = client.api("GET", f"{client.user_id}/conversations/{conversation_id}")
        assert answer.status_code == 200, answer.text
        conversation = answer.json()
        assert conversation["user_id"] == user_id
        said = [(m["role"], m["content"]) for m in conversation["messages"]]
        assert said[0] == ("user", "Add a task to buy milk")
        assert len(said) == 8 and [role for role, _ in said] == ["user", "assistant"] * 4
        again = client.chat("Show my tasks", conversation_id)
        assert again["conversation_id"] == conversation_id
    finally:
        client.close()


def test_memory_at_idle_and_after_a_hundred_chat_turns(stack: Stack) -> None:
    client = stack.client()
    try:
        _sign_up(client, "Busy")
        conversation_id = None
        started = time.monotonic()
        for turn in range(CHAT_TURNS):
            message = f"Add a task to buy item {turn}" if turn % 4 != 3 else "What's pending?"
            answer = client.chat(message, conversation_id)
            conversation_id = answer["conversation_id"]
        turn_ms = (time.monotonic() - started) * 1000 / CHAT_TURNS
        assert len(client.tasks()) == CHAT_TURNS - CHAT_TURNS // 4
    finally:
        client.close()
    record("stack", "chat_turn_ms_mean_via_frontend", round(turn_ms, 1))
    busy = {"backend": stack.backend.memory_bytes(), "frontend": stack.frontend.memory_bytes()}
    for service in ("backend", "frontend"):
        idle_mb = stack.idle_memory_bytes[service] / MB
        busy_mb = busy[service] / MB
        record(service, "idle_memory_mb_stack", round(idle_mb, 1))
        record(service, f"memory_mb_after_{CHAT_TURNS}_chat_turns", round(busy_mb, 1))
        print(f"\n{service}: {idle_mb:.1f} MB idle, {busy_mb:.1f} MB after {CHAT_TURNS} turns")
        assert idle_mb < IDLE_MEMORY_TARGET_MB[service]
        assert busy_mb < MEMORY_AFTER_CHAT_LIMIT_MB[service]
