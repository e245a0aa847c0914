"""SQL sent to PostgreSQL per request and per built-in chat turn, counted in-process.

Two counts per request, both at the driver (asyncpg), so that statements sent past
SQLAlchemy are counted too:
- statements: the SQL that reads or writes (SELECT, INSERT, UPDATE, DELETE), as a SQLAlchemy
  `before_cursor_execute` listener sees them, plus those run on the driver directly;
- round trips: everything sent, transaction control (BEGIN, COMMIT, ROLLBACK) and pool pings
  included. (A statement asyncpg prepares for the first time on a connection costs one more;
  every figure here is taken warm, after one of each kind.)

Run by chat_bench.py: `python bench/sql_count.py <postgresql url>` prints one JSON object. With
PYTHONPATH at another revision's backend/src and common/src it counts that revision's SQL."""

import asyncio
import json
import os
import sys
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any
from unittest import mock

import asyncpg
import httpx
from asyncpg.prepared_stmt import PreparedStatement
from sqlalchemy import event
from sqlalchemy.engine import Engine

SECRET = "bench-secret-0123456789abcdef0123456789abcdef"
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")

sent: Counter[str] = Counter()


def _count(query: str) -> None:
    text = query.strip().rstrip(";").strip().upper()
    if not text:
        sent["ping"] += 1
    elif text.startswith(TRANSACTION_CONTROL):
        sent["transaction control"] += 1
    else:
        sent["statement"] += 1


def _counting(method: Callable[..., Any], query_of: Callable[..., str]) -> Callable[..., Any]:
    async def counted(self: Any, *args: Any, **kwargs: Any) -> Any:
        _count(query_of(self, *args))
        return await method(self, *args, **kwargs)

    return counted


def _instrument() -> Callable[[], None]:
    """Count at the driver: every statement and round trip, whichever layer sends it. Returns
    what undoes it."""
    originals: list[tuple[type, str, Any]] = []
    connection = asyncpg.connection.Connection
    for name in ("execute", "fetch", "fetchrow", "fetchval"):
        original = getattr(connection, name)
        originals.append((connection, name, original))
        setattr(connection, name, _counting(original, lambda self, query, *_: str(query)))
    for name in ("fetch", "fetchrow", "fetchval", "executemany"):
        original = getattr(PreparedStatement, name)
        originals.append((PreparedStatement, name, original))
        setattr(PreparedStatement, name, _counting(original, lambda self, *_: self.get_query()))

    def undo() -> None:
        for owner, name, original in originals:
            setattr(owner, name, original)

    return undo


TURNS = [
    ("greeting, new conversation", "hello", False),
    ("add a task", "Add a task to count queries", True),
    ("list the tasks", "Show my tasks", True),
    ("complete a task by name", "Mark the {word} task as done", True),
    ("delete a task by number", "delete task {task_id}", True),
]


async def count(database_url: str) -> dict[str, Any]:
    """Statements and round trips per kind of request, on a new user of `database_url`."""
    undo = _instrument()
    try:
        return await _count_requests(database_url)
    finally:
        undo()


async def _count_requests(database_url: str) -> dict[str, Any]:
    from todo_backend.main import create_app
    from todo_backend.settings import Settings

    # Set as the deployment sets them: variable names are the one contract every revision keeps.
    # Only while the settings are read: the tests call this in their own process.
    with mock.patch.dict(
        os.environ,
        {
            "DATABASE_URL": database_url,
            "BETTER_AUTH_SECRET": SECRET,
            "AGENT_PROVIDER": "builtin",
            "LOG_LEVEL": "warning",
            "METRICS_PORT": "0",
            "RATE_LIMITS": "off",
        },
    ):
        settings = Settings(_env_file=None)
    app = create_app(settings)
    listened = Counter[str]()

    def listener(*_: Any) -> None:
        listened.update(["statement"])

    # On the Engine class, so that no revision's way of holding its engine matters.
    event.listen(Engine, "before_cursor_execute", listener)
    try:
        return await _count_on(app, listened)
    finally:
        event.remove(Engine, "before_cursor_execute", listener)


async def _count_on(app: Any, listened: Counter[str]) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            email = f"count-{uuid.uuid4().hex[:8]}@example.com"
            auth = (
                await client.post(
                    "/api/auth/sign-up",
                    json={"email": email, "password": "count-pass", "name": "C"},
                )
            ).json()
            headers = {"Authorization": f"Bearer {auth['token']}"}
            tasks = f"/api/{auth['user']['id']}/tasks"
            chat = f"/api/{auth['user']['id']}/chat"

            async def measured(label: str, method: str, path: str, body: Any = None) -> Any:
                # Once to warm the caches (prepared statements, compiled SQL), then counted.
                for counted in (False, True):
                    sent.clear()
                    listened.clear()
                    response = await client.request(method, path, json=body, headers=headers)
                    assert response.is_success, response.text
                    if counted:
                        figures[label] = {
                            "statements": sent["statement"],
                            "listener statements": listened["statement"],
                            "round trips": sum(sent.values()),
                        }
                return response.json() if response.content else None

            for number in range(3):
                await client.post(tasks, json={"title": f"task {number}"}, headers=headers)
            await measured("REST: list tasks", "GET", tasks)
            await measured("REST: create a task", "POST", tasks, {"title": "counted"})
            conversation = None
            for label, message, in_conversation in TURNS:
                for counted in (False, True):
                    word = uuid.uuid4().hex[:8]  # names this turn's task, and no other
                    created = (
                        await client.post(tasks, json={"title": f"{word} task"}, headers=headers)
                    ).json()
                    text = message.format(task_id=created["id"], word=word)
                    body: dict[str, Any] = {"message": text}
                    if in_conversation:
                        body["conversation_id"] = conversation
                    sent.clear()
                    listened.clear()
                    reply = await client.post(chat, json=body, headers=headers)
                    assert reply.is_success, reply.text
                    conversation = conversation or reply.json()["conversation_id"]
                    if counted:
                        figures[f"chat: {label}"] = {
                            "statements": sent["statement"],
                            "listener statements": listened["statement"],
                            "round trips": sum(sent.values()),
                        }
    return figures


if __name__ == "__main__":
    print(json.dumps(asyncio.run(count(sys.argv[1]))))
