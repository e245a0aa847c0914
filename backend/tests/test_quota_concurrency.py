"""Quotas hold under concurrency: 50 writes at once against a user one below a quota leave
exactly the quota, for tasks, conversations and a conversation's messages. On PostgreSQL the
writes really run at once, each on its own pooled connection."""

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession

from backend_testkit import Account, make_settings, register
from todo_backend.data import tasks, turns, users
from todo_backend.data.engine import create_engine, create_session_factory
from todo_backend.main import create_app
from todo_backend.migrate import apply_migrations
from todo_backend.models import UserCreate

AT_ONCE = 50


@pytest.fixture
async def client(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    settings = make_settings(
        database_url,
        max_tasks_per_user=10,
        max_conversations_per_user=3,
        max_messages_per_conversation=6,
    )
    app: FastAPI = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client,
    ):
        yield client


async def all_at_once(
    client: httpx.AsyncClient, account: Account, path: str, body: dict[str, Any]
) -> list[int]:
    """The statuses of AT_ONCE identical POSTs sent together."""
    url = f"/api/{account.id}/{path}"
    responses = await asyncio.gather(
        *(client.post(url, json=body, headers=account.headers) for _ in range(AT_ONCE))
    )
    return sorted(response.status_code for response in responses)


async def test_fifty_creates_at_once_leave_exactly_the_task_quota(
    client: httpx.AsyncClient,
) -> None:
    ann = await register(client, "ann")
    for n in range(9):
        created = await client.post(
            f"/api/{ann.id}/tasks", json={"title": f"task {n}"}, headers=ann.headers
        )
        assert created.status_code == 201
    statuses = await all_at_once(client, ann, "tasks", {"title": "one too many?"})
    assert statuses == [201] + [409] * (AT_ONCE - 1)
    tasks = await client.get(f"/api/{ann.id}/tasks", headers=ann.headers)
    assert len(tasks.json()) == 10


async def test_fifty_new_chats_at_once_leave_exactly_the_conversation_quota(
    client: httpx.AsyncClient,
) -> None:
    ann = await register(client, "ann")
    for message in ("hi", "hello"):
        started = await client.post(
            f"/api/{ann.id}/chat", json={"message": message}, headers=ann.headers
        )
        assert started.status_code == 200
    statuses = await all_at_once(client, ann, "chat", {"message": "hey"})
    assert statuses == [200] + [409] * (AT_ONCE - 1)
    listed = await client.get(f"/api/{ann.id}/conversations", headers=ann.headers)
    assert len(listed.json()) == 3


async def test_fifty_turns_at_once_leave_exactly_the_message_quota(
    client: httpx.AsyncClient,
) -> None:
    ann = await register(client, "ann")
    first = await client.post(f"/api/{ann.id}/chat", json={"message": "hi"}, headers=ann.headers)
    conversation_id = first.json()["conversation_id"]
    turn = {"message": "and then?", "conversation_id": conversation_id}
    again = await client.post(f"/api/{ann.id}/chat", json=turn, headers=ann.headers)
    assert again.status_code == 200
    # 4 of 6 messages stored: room for exactly one more turn (two messages).
    statuses = await all_at_once(client, ann, "chat", turn)
    assert statuses == [200] + [409] * (AT_ONCE - 1)
    stored = await client.get(f"/api/{ann.id}/conversations/{conversation_id}", headers=ann.headers)
    assert len(stored.json()["messages"]) == 6


# ---- the mechanism, step by step on PostgreSQL: a write at the edge waits for the one in flight

Write = Callable[[AsyncSession], Awaitable[Any]]


@pytest.fixture
async def engine(postgres_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(postgres_url)
    await apply_migrations(engine)
    try:
        yield engine
    finally:
        await engine.dispose()


async def _waiting_on_a_lock(engine: AsyncEngine) -> bool:
    async with engine.connect() as connection:
        waiting = await connection.execute(
            text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
        )
        return bool(waiting.scalar_one())


async def first_then_second(engine: AsyncEngine, write: Write) -> tuple[Any, Any]:
    """`write` in one transaction, left uncommitted; the same write in another; then the first
    commits. The second must not have counted on a snapshot without the first's row."""
    factory = create_session_factory(engine)
    async with factory() as first, factory() as second:
        # In a transaction already, so that its write stays uncommitted (as a first statement
        # alone it would commit as it completes): the moment two concurrent writes overlap.
        await (await first.connection()).execute(text("SELECT 1"))
        first_result = await write(first)
        racing = asyncio.create_task(write(second))
        deadline = time.monotonic() + 10
        while not racing.done() and not await _waiting_on_a_lock(engine):
            assert time.monotonic() < deadline, "the second write neither finished nor waited"
            await asyncio.sleep(0.01)
        await first.commit()
        second_result = await racing
        await second.commit()
    return first_result, second_result


async def _user(engine: AsyncEngine) -> str:
    async with create_session_factory(engine)() as session:
        user = await users.create_user(
            session,
            user_create=UserCreate(
                email=f"{uuid.uuid4().hex[:10]}@example.com", name="Ann", password="x" * 12
            ),
            password_hash="not a real hash",
        )
        await session.commit()
        return user.id


@pytest.mark.postgres
async def test_a_task_at_the_quota_edge_waits_for_the_one_in_flight(engine: AsyncEngine) -> None:
    user_id = await _user(engine)

    async def create(session: AsyncSession) -> Any:
        return await tasks.create_task(
            session, user_id=user_id, task=tasks.NewTask("edge"), max_tasks=1
        )

    first, second = await first_then_second(engine, create)
    assert first is not None
    assert second is None


@pytest.mark.postgres
async def test_a_conversation_at_the_quota_edge_waits_for_the_one_in_flight(
    engine: AsyncEngine,
) -> None:
    user_id = await _user(engine)

    async def start(session: AsyncSession) -> int | None:
        started = await turns.start_conversation(
            session, user_id=user_id, token_version=0, title="t", content="hi", max_conversations=1
        )
        return started.conversation_id

    first, second = await first_then_second(engine, start)
    assert first is not None
    assert second is None


@pytest.mark.postgres
async def test_a_turn_at_the_message_quota_edge_waits_for_the_one_in_flight(
    engine: AsyncEngine,
) -> None:
    user_id = await _user(engine)
    async with create_session_factory(engine)() as session:
        started = await turns.start_conversation(
            session, user_id=user_id, token_version=0, title="t", content="hi", max_conversations=1
        )
        await session.commit()
    conversation_id = started.conversation_id
    assert conversation_id is not None

    async def turn(session: AsyncSession) -> bool:
        start = await turns.continue_conversation(
            session,
            user_id=user_id,
            token_version=0,
            conversation_id=conversation_id,
            content="more",
            history_limit=10,
            max_messages=3,  # 1 stored: room for one more turn's two messages
        )
        return start.message_id is not None

    assert await first_then_second(engine, turn) == (True, False)
