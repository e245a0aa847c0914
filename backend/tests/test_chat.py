"""The chat endpoint and conversations, with the built-in agent, on SQLite and PostgreSQL."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from backend_testkit import UNPLANNED, Account, SignUp, make_settings, stream_chat
from todo_backend.agent.base import AgentEvent, ChatTurn, ToolCallEvent
from todo_backend.chat import AGENT_FAILED_REPLY
from todo_backend.main import create_app
from todo_backend.services import services_of


async def chat(
    client: httpx.AsyncClient, account: Account, message: str, conversation_id: int | None = None
) -> httpx.Response:
    body: dict[str, Any] = {"message": message}
    if conversation_id is not None:
        body["conversation_id"] = conversation_id
    return await client.post(f"/api/{account.id}/chat", json=body, headers=account.headers)


async def test_a_turn_answers_acts_and_is_stored(
    client: httpx.AsyncClient, sign_up: SignUp
) -> None:
    ann = await sign_up()
    response = await chat(client, ann, "Add a task to buy milk")
    assert response.status_code == 200
    body = response.json()
    task = (await client.get(f"/api/{ann.id}/tasks", headers=ann.headers)).json()[0]
    assert body == {
        "conversation_id": body["conversation_id"],
        "response": f"Added task {task['id']}: 'Buy milk'.",
        "tool_calls": [
            {
                "name": "add_task",
                "arguments": {"user_id": ann.id, "title": "Buy milk"},
                "result": {
                    "task_id": task["id"],
                    "status": "created",
                    "title": "Buy milk",
                    **UNPLANNED,
                },
            }
        ],
    }
    conversation = (
        await client.get(
            f"/api/{ann.id}/conversations/{body['conversation_id']}", headers=ann.headers
        )
    ).json()
    assert conversation["title"] == "Add a task to buy milk"
    assert [(m["role"], m["content"]) for m in conversation["messages"]] == [
        ("user", "Add a task to buy milk"),
        ("assistant", body["response"]),
    ]
    assert all(m["user_id"] == ann.id for m in conversation["messages"])


async def test_a_conversation_continues_with_its_id(
    client: httpx.AsyncClient, sign_up: SignUp
) -> None:
    ann = await sign_up()
    first = (await chat(client, ann, "Add a task to buy milk")).json()
    second = (await chat(client, ann, "Show my tasks", first["conversation_id"])).json()
    assert second["conversation_id"] == first["conversation_id"]
    assert "Buy milk" in second["response"]
    listed = (await client.get(f"/api/{ann.id}/conversations", headers=ann.headers)).json()
    assert [c["id"] for c in listed] == [first["conversation_id"]]
    detail = (
        await client.get(
            f"/api/{ann.id}/conversations/{first['conversation_id']}", headers=ann.headers
        )
    ).json()
    assert len(detail["messages"]) == 4


async def test_conversations_are_listed_most_recent_first_and_can_be_deleted(
    client: httpx.AsyncClient, sign_up: SignUp
) -> None:
    ann = await sign_up()
    older = (await chat(client, ann, "hello")).json()["conversation_id"]
    newer = (await chat(client, ann, "help")).json()["conversation_id"]
    listed = (await client.get(f"/api/{ann.id}/conversations", headers=ann.headers)).json()
    assert [c["id"] for c in listed] == [newer, older]
    await chat(client, ann, "thanks", older)  # activity moves it to the top
    listed = (await client.get(f"/api/{ann.id}/conversations", headers=ann.headers)).json()
    assert [c["id"] for c in listed] == [older, newer]

    deleted = await client.delete(f"/api/{ann.id}/conversations/{older}", headers=ann.headers)
    assert deleted.status_code == 204
    assert (
        await client.get(f"/api/{ann.id}/conversations/{older}", headers=ann.headers)
    ).status_code == 404
    listed = (await client.get(f"/api/{ann.id}/conversations", headers=ann.headers)).json()
    assert [c["id"] for c in listed] == [newer]


async def test_the_stream_sends_conversation_tool_calls_deltas_and_done(
    client: httpx.AsyncClient, sign_up: SignUp
) -> None:
    ann = await sign_up()
    events = await stream_chat(client, ann, "Add a task to water the plants")
    names = [name for name, _ in events]
    assert names[0] == "conversation" and names[1] == "tool_call" and names[-1] == "done"
    assert set(names[2:-1]) == {"delta"}
    text = "".join(data["text"] for name, data in events if name == "delta")
    done = events[-1][1]
    assert text == done["response"] and "'Water the plants'" in text
    assert done["conversation_id"] == events[0][1]["conversation_id"]
    stored = (
        await client.get(
            f"/api/{ann.id}/conversations/{done['conversation_id']}", headers=ann.headers
        )
    ).json()
    assert stored["messages"][-1]["content"] == text


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"message": ""}, "message: String should have at least 1 character"),
        ({"message": "   "}, "message: String should have at least 1 character"),
        ({"message": "x" * 4001}, "message: String should have at most 4000 characters"),
        ({}, "message: Field required"),
        ({"message": "hi", "conversation_id": "abc"}, "conversation_id"),
    ],
)
async def test_invalid_messages_are_422(
    client: httpx.AsyncClient, sign_up: SignUp, body: dict[str, Any], detail: str
) -> None:
    ann = await sign_up()
    for path in ("chat", "chat/stream"):
        response = await client.post(f"/api/{ann.id}/{path}", json=body, headers=ann.headers)
        assert response.status_code == 422
        assert response.json()["detail"].startswith(detail)
    assert (await client.get(f"/api/{ann.id}/conversations", headers=ann.headers)).json() == []


async def test_conversations_are_private(client: httpx.AsyncClient, sign_up: SignUp) -> None:
    ann = await sign_up("Ann")
    bob = await sign_up("Bob")
    ann_conversation = (await chat(client, ann, "Add a task to buy milk")).json()["conversation_id"]

    # Bob cannot continue, read or delete Ann's conversation through his own path...
    assert (await chat(client, bob, "Show my tasks", ann_conversation)).status_code == 404
    stream = await client.post(
        f"/api/{bob.id}/chat/stream",
        json={"message": "hi", "conversation_id": ann_conversation},
        headers=bob.headers,
    )
    assert stream.status_code == 404
    own_path = f"/api/{bob.id}/conversations/{ann_conversation}"
    assert (await client.get(own_path, headers=bob.headers)).status_code == 404
    assert (await client.delete(own_path, headers=bob.headers)).status_code == 404
    assert (await client.get(f"/api/{bob.id}/conversations", headers=bob.headers)).json() == []
    # ...nor through hers.
    for method, path in [
        ("POST", f"/api/{ann.id}/chat"),
        ("GET", f"/api/{ann.id}/conversations"),
        ("GET", f"/api/{ann.id}/conversations/{ann_conversation}"),
    ]:
        response = await client.request(method, path, json={"message": "hi"}, headers=bob.headers)
        assert response.status_code == 403
    # Bob's agent sees only Bob's tasks.
    assert "no tasks yet" in (await chat(client, bob, "Show my tasks")).json()["response"]
    # And without a token, nothing.
    assert (await client.post(f"/api/{ann.id}/chat", json={"message": "hi"})).status_code == 401


class ExplodingAgent:
    """Acts, then fails: the failure must not lose the user's message or become a 500."""

    async def run(self, turn: ChatTurn) -> AsyncIterator[AgentEvent]:
        yield ToolCallEvent("list_tasks", {"user_id": turn.tools.caller_id}, [])
        raise RuntimeError("model went away")

    async def aclose(self) -> None:
        pass


async def test_a_failing_agent_gives_a_polite_reply_and_keeps_the_message(
    app: FastAPI, client: httpx.AsyncClient, sign_up: SignUp
) -> None:
    ann = await sign_up()
    services_of(app).agent = ExplodingAgent()
    response = await chat(client, ann, "Show my tasks")
    assert response.status_code == 200
    body = response.json()
    assert body["response"] == AGENT_FAILED_REPLY
    assert [call["name"] for call in body["tool_calls"]] == ["list_tasks"]
    stored = (
        await client.get(
            f"/api/{ann.id}/conversations/{body['conversation_id']}", headers=ann.headers
        )
    ).json()
    assert [(m["role"], m["content"]) for m in stored["messages"]] == [
        ("user", "Show my tasks"),
        ("assistant", AGENT_FAILED_REPLY),
    ]


# (create, drop) statements of a trigger refusing tasks titled 'Explode', per dialect.
REFUSE_TRIGGER = {
    "sqlite": (
        [
            "CREATE TRIGGER refuse_title BEFORE INSERT ON tasks WHEN NEW.title = 'Explode' "
            "BEGIN SELECT RAISE(ABORT, 'refused by the test trigger'); END"
        ],
        ["DROP TRIGGER refuse_title"],
    ),
    "postgresql": (
        [
            "CREATE OR REPLACE FUNCTION refuse_title() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN IF NEW.title = 'Explode' THEN RAISE EXCEPTION 'refused by the test trigger'; "
            "END IF; RETURN NEW; END $$",
            "CREATE TRIGGER refuse_title BEFORE INSERT ON tasks "
            "FOR EACH ROW EXECUTE FUNCTION refuse_title()",
        ],
        ["DROP TRIGGER refuse_title ON tasks", "DROP FUNCTION refuse_title"],
    ),
}


async def run_sql(engine: AsyncEngine, statements: list[str]) -> None:
    async with engine.begin() as connection:
        for statement in statements:
            await connection.execute(text(statement))


@asynccontextmanager
async def database_refuses_the_title_explode(engine: AsyncEngine) -> AsyncIterator[None]:
    """A trigger that makes inserting a task titled 'Explode' fail inside the database."""
    create, drop = REFUSE_TRIGGER[engine.dialect.name]
    await run_sql(engine, create)
    try:
        yield
    finally:
        await run_sql(engine, drop)


async def test_a_tool_failing_in_the_database_gives_a_stored_polite_reply(
    app: FastAPI, client: httpx.AsyncClient, sign_up: SignUp
) -> None:
    """The built-in agent's add_task really fails in the database; the turn's rollback must not
    break storing the apology, on /chat and on /chat/stream (which must still end with done)."""
    ann = await sign_up()
    async with database_refuses_the_title_explode(services_of(app).engine):
        response = await chat(client, ann, "Add a task to explode")
        events = await stream_chat(client, ann, "Add a task to explode")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["response"] == AGENT_FAILED_REPLY and body["tool_calls"] == []
    assert [name for name, _ in events] == ["conversation", "delta", "done"]
    assert events[-1][1]["response"] == AGENT_FAILED_REPLY
    for conversation_id in (body["conversation_id"], events[0][1]["conversation_id"]):
        stored = await client.get(
            f"/api/{ann.id}/conversations/{conversation_id}", headers=ann.headers
        )
        assert [(m["role"], m["content"]) for m in stored.json()["messages"]] == [
            ("user", "Add a task to explode"),
            ("assistant", AGENT_FAILED_REPLY),
        ]
    assert (await client.get(f"/api/{ann.id}/tasks", headers=ann.headers)).json() == []


async def test_a_conversation_survives_a_restart(database_url: str) -> None:
    """Stateless server: a new app instance on the same database carries the conversation on."""

    async def run(turns: list[tuple[str, int | None]], auth: dict[str, Any] | None = None) -> Any:
        app = create_app(make_settings(database_url))
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c,
        ):
            if auth is None:
                signed = await c.post(
                    "/api/auth/sign-up",
                    json={
                        "email": f"restart-{id(app)}@example.com",
                        "password": "restart-1",
                        "name": "R",
                    },
                )
                auth = signed.json()
            account = Account(auth["user"]["id"], "", "", auth["token"])
            replies = [(await chat(c, account, text, cid)).json() for text, cid in turns]
            detail = (
                await c.get(
                    f"/api/{account.id}/conversations/{replies[-1]['conversation_id']}",
                    headers=account.headers,
                )
            ).json()
            return auth, replies, detail

    auth, before, _ = await run([("Add a task to buy milk", None)])
    conversation_id = before[0]["conversation_id"]
    _, after, detail = await run([("Show my tasks", conversation_id)], auth=auth)
    assert after[0]["conversation_id"] == conversation_id
    assert "Buy milk" in after[0]["response"]
    assert [m["role"] for m in detail["messages"]] == ["user", "assistant", "user", "assistant"]
