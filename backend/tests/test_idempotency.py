"""Idempotency-Key on POST /tasks, /chat and /chat/stream: a retried request gets the first
answer again instead of repeating its effects, for a day."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from backend_testkit import Account, SignUp, parse_sse
from todo_backend.agent.base import AgentEvent, ChatTurn, TextDelta, ToolCallEvent
from todo_backend.chat import AGENT_FAILED_REPLY
from todo_backend.services import services_of
from todo_backend.tools import call_tool


def keyed(account: Account, key: str) -> dict[str, str]:
    return {**account.headers, "Idempotency-Key": key}


async def titles(client: httpx.AsyncClient, account: Account) -> list[str]:
    tasks = await client.get(f"/api/{account.id}/tasks", headers=account.headers)
    return [task["title"] for task in tasks.json()]


async def test_a_retried_task_creation_creates_one_task_until_the_key_expires(
    app: FastAPI, client: httpx.AsyncClient, sign_up: SignUp
) -> None:
    ann = await sign_up()
    url = f"/api/{ann.id}/tasks"
    first = await client.post(url, json={"title": "Buy milk"}, headers=keyed(ann, "k-1"))
    retry = await client.post(url, json={"title": "Buy milk"}, headers=keyed(ann, "k-1"))
    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert retry.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert await titles(client, ann) == ["Buy milk"]

    # Keys are the caller's own: another user's identical key is another request.
    bob = await sign_up("Bob")
    other = await client.post(
        f"/api/{bob.id}/tasks", json={"title": "Buy milk"}, headers=keyed(bob, "k-1")
    )
    assert other.status_code == 201 and other.json()["id"] != first.json()["id"]

    # A day later the key is forgotten.
    async with services_of(app).engine.begin() as connection:
        await connection.execute(
            text("UPDATE idempotency_keys SET created_at = :old"),
            {"old": datetime(2000, 1, 1, tzinfo=UTC)},
        )
    later = await client.post(url, json={"title": "Buy milk"}, headers=keyed(ann, "k-1"))
    assert later.status_code == 201 and later.json()["id"] != first.json()["id"]
    assert await titles(client, ann) == ["Buy milk", "Buy milk"]


async def test_a_key_reused_for_another_request_is_422(
    client: httpx.AsyncClient, sign_up: SignUp
) -> None:
    ann = await sign_up()
    url = f"/api/{ann.id}/tasks"
    assert (await client.post(url, json={"title": "A"}, headers=keyed(ann, "k"))).status_code == 201
    for path, body in [("tasks", {"title": "B"}), ("chat", {"message": "Add a task to buy C"})]:
        response = await client.post(f"/api/{ann.id}/{path}", json=body, headers=keyed(ann, "k"))
        assert response.status_code == 422, response.text
        assert "Idempotency-Key" in response.json()["detail"]
    assert await titles(client, ann) == ["A"]


@pytest.mark.parametrize("key", ["", "x" * 256, "has space", "tab\there"])
async def test_a_malformed_key_is_422(client: httpx.AsyncClient, sign_up: SignUp, key: str) -> None:
    ann = await sign_up()
    response = await client.post(
        f"/api/{ann.id}/tasks", json={"title": "A"}, headers=keyed(ann, key)
    )
    assert response.status_code == 422, response.text
    assert "idempotency-key" in response.json()["detail"].lower()
    assert await titles(client, ann) == []


async def test_concurrent_retries_create_one_task(
    client: httpx.AsyncClient, sign_up: SignUp
) -> None:
    ann = await sign_up()
    url = f"/api/{ann.id}/tasks"
    responses = await asyncio.gather(
        *(client.post(url, json={"title": "Once"}, headers=keyed(ann, "same")) for _ in range(5))
    )
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["id"] for r in responses}) == 1
    assert await titles(client, ann) == ["Once"]


class AddsThenFails:
    """Adds a task through the real tool, then fails: the turn's reply asks to try again."""

    async def run(self, turn: ChatTurn) -> AsyncIterator[AgentEvent]:
        arguments = {"user_id": turn.tools.caller_id, "title": "Buy milk"}
        result = await call_tool(turn.tools, "add_task", arguments)
        yield ToolCallEvent("add_task", arguments, result)
        raise RuntimeError("model went away")

    async def aclose(self) -> None:
        pass


async def test_a_retried_turn_repeats_neither_its_effects_nor_its_messages(
    app: FastAPI, client: httpx.AsyncClient, sign_up: SignUp
) -> None:
    ann = await sign_up()
    services_of(app).agent = AddsThenFails()
    body = {"message": "Add a task to buy milk"}
    first = await client.post(f"/api/{ann.id}/chat", json=body, headers=keyed(ann, "turn-1"))
    assert first.status_code == 200 and first.json()["response"] == AGENT_FAILED_REPLY
    retry = await client.post(f"/api/{ann.id}/chat", json=body, headers=keyed(ann, "turn-1"))
    assert retry.status_code == 200 and retry.json() == first.json()
    assert retry.headers["idempotent-replayed"] == "true"
    # The same turn retried as a stream gets the same answer as events, ending with done.
    async with client.stream(
        "POST", f"/api/{ann.id}/chat/stream", json=body, headers=keyed(ann, "turn-1")
    ) as streamed:
        assert streamed.status_code == 200
        events = parse_sse((await streamed.aread()).decode())
    assert [name for name, _ in events] == ["conversation", "tool_call", "delta", "done"]
    assert events[-1][1] == {
        "conversation_id": first.json()["conversation_id"],
        "response": AGENT_FAILED_REPLY,
    }

    assert await titles(client, ann) == ["Buy milk"]
    conversation = await client.get(
        f"/api/{ann.id}/conversations/{first.json()['conversation_id']}", headers=ann.headers
    )
    assert [m["role"] for m in conversation.json()["messages"]] == ["user", "assistant"]


class WaitsForRelease:
    """Answers only once the test lets it, so a second request can arrive meanwhile."""

    def __init__(self) -> None:
        self.running = asyncio.Event()
        self.release = asyncio.Event()

    async def run(self, turn: ChatTurn) -> AsyncIterator[AgentEvent]:
        self.running.set()
        await self.release.wait()
        yield TextDelta("Done.")

    async def aclose(self) -> None:
        pass


async def test_a_retry_while_the_turn_runs_is_409(
    app: FastAPI, client: httpx.AsyncClient, sign_up: SignUp
) -> None:
    ann = await sign_up()
    agent = WaitsForRelease()
    services_of(app).agent = agent
    url = f"/api/{ann.id}/chat"
    body: dict[str, Any] = {"message": "hello"}
    first = asyncio.ensure_future(client.post(url, json=body, headers=keyed(ann, "slow")))
    await asyncio.wait_for(agent.running.wait(), timeout=10)
    for path in ("chat", "chat/stream"):
        retry = await asyncio.wait_for(
            client.post(f"/api/{ann.id}/{path}", json=body, headers=keyed(ann, "slow")), timeout=10
        )
        assert retry.status_code == 409, retry.text
        assert retry.headers["retry-after"] == "1"
        assert "still being processed" in retry.json()["detail"]
    agent.release.set()
    done = await first
    assert done.status_code == 200 and done.json()["response"] == "Done."
    replay = await client.post(url, json=body, headers=keyed(ann, "slow"))
    assert replay.json() == done.json()
