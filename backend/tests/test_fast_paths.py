"""What the speed work (issue 13) must not change: the task list says the same as the response
model it documents, a verified token still expires and is still revoked, reads stay reads,
connections the database dropped are replaced without the caller seeing it; and the SQL each
request sends stays as little as it got."""

import os
from typing import Any

import anyio
import httpx
import pytest
import sql_count
from fastapi import FastAPI
from pydantic import TypeAdapter

from backend_testkit import SignUp, make_settings, register
from testkit import run_admin_sql
from todo_backend import security
from todo_backend.data import engine
from todo_backend.data.engine import Reads
from todo_backend.main import create_app
from todo_backend.models import Task, TaskPublic
from todo_backend.security import InvalidTokenError, create_token, decode_token
from todo_backend.services import services_of


async def add(client: httpx.AsyncClient, path: str, headers: dict[str, str], **body: Any) -> None:
    response = await client.post(path, json=body, headers=headers)
    assert response.status_code == 201, response.text


async def test_the_list_is_what_the_response_model_would_write(
    client: httpx.AsyncClient, sign_up: SignUp
) -> None:
    """The list is written without validating each row against TaskPublic: byte for byte it is
    what pydantic writes for the same tasks (key order, "Z" timestamps, null descriptions)."""
    ann = await sign_up()
    path = f"/api/{ann.id}/tasks"
    await add(client, path, ann.headers, title="plain")
    await add(client, path, ann.headers, title="described", description="with ünïcode ✓")
    listed = await client.get(path, headers=ann.headers)
    assert listed.headers["content-type"] == "application/json"
    one = listed.json()[0]
    await client.patch(f"{path}/{one['id']}/complete", headers=ann.headers)

    listed = await client.get(path, headers=ann.headers)
    tasks = [TaskPublic.model_validate(task) for task in listed.json()]
    assert listed.content == TypeAdapter(list[TaskPublic]).dump_json(tasks)
    for task in listed.json():  # and what the single-task route (a response model) says
        single = await client.get(f"{path}/{task['id']}", headers=ann.headers)
        assert single.json() == task
    assert [task["completed"] for task in listed.json()] == [True, False]


async def test_a_page_of_the_list_links_to_the_next(
    client: httpx.AsyncClient, sign_up: SignUp
) -> None:
    ann = await sign_up()
    path = f"/api/{ann.id}/tasks"
    for number in range(3):
        await add(client, path, ann.headers, title=f"task {number}")
    page = await client.get(f"{path}?limit=2&status=pending", headers=ann.headers)
    assert [task["title"] for task in page.json()] == ["task 2", "task 1"]
    assert page.headers["link"].endswith('>; rel="next"')
    last = await client.get(page.headers["link"][1:].split(">")[0], headers=ann.headers)
    assert [task["title"] for task in last.json()] == ["task 0"]
    assert "link" not in last.headers


def test_a_verified_token_still_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = make_settings("sqlite://")
    token = create_token(settings, user_id="someone", version=3)
    claims = decode_token(settings, token)
    assert decode_token(settings, token) == claims  # the second time from the verified ones
    monkeypatch.setattr(security.time, "time", lambda: claims.expires_at + 0.5)
    with pytest.raises(InvalidTokenError, match="expired"):
        decode_token(settings, token)


def test_a_token_verified_with_one_secret_is_not_taken_with_another() -> None:
    token = create_token(make_settings("sqlite://"), user_id="someone", version=0)
    decode_token(make_settings("sqlite://"), token)
    other = make_settings("sqlite://", BETTER_AUTH_SECRET="another-secret-0123456789abcdef0123")
    with pytest.raises(InvalidTokenError):
        decode_token(other, token)


async def test_sign_out_revokes_a_token_already_verified(
    client: httpx.AsyncClient, sign_up: SignUp
) -> None:
    ann = await sign_up()
    tasks = f"/api/{ann.id}/tasks"
    assert (await client.get(tasks, headers=ann.headers)).status_code == 200
    assert (await client.post("/api/auth/sign-out", headers=ann.headers)).status_code == 204
    for method in ("GET", "POST"):
        refused = await client.request(method, tasks, json={"title": "x"}, headers=ann.headers)
        assert refused.status_code == 401, method


async def test_a_read_session_does_not_write(app: FastAPI) -> None:
    reads = Reads(services_of(app).engine)
    try:
        session = await reads.session()
        session.add(Task(user_id="nobody", title="never stored"))
        with pytest.raises(Exception, match="does not write"):
            await session.flush()
    finally:
        await reads.close()


async def test_requests_run_on_the_event_loop_not_in_worker_threads(
    client: httpx.AsyncClient, sign_up: SignUp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """FastAPI runs a plain-function dependency in a worker thread: for the task list that hop
    cost more CPU than reading its query parameters (a quarter of its throughput)."""
    ann = await sign_up()
    path = f"/api/{ann.id}/tasks"
    await add(client, path, ann.headers, title="plain", tags=["work"])
    threaded: list[object] = []
    run_sync = anyio.to_thread.run_sync

    async def recorded(function: Any, *args: Any, **kwargs: Any) -> Any:
        threaded.append(function)
        return await run_sync(function, *args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", recorded)
    query = "?status=pending&tag=work&priority=medium&sort=due_at&q=plain&limit=5"
    listed = await client.get(path + query, headers=ann.headers)
    assert [task["title"] for task in listed.json()] == ["plain"]
    assert threaded == []


def _terminate_connections(admin_url: str, database_url: str) -> None:
    """What a restart of PostgreSQL does to the app's pooled connections."""
    name = database_url.rsplit("/", 1)[1]
    run_admin_sql(
        admin_url,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        f"WHERE datname = '{name}' AND pid <> pg_backend_pid()",
    )


@pytest.mark.postgres
@pytest.mark.parametrize("seen_closing", [True, False], ids=["closed-while-idle", "unseen"])
async def test_connections_the_database_dropped_are_replaced_unseen(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    postgres_admin_url: str,
    fresh_postgres_url: str,
    seen_closing: bool,
) -> None:
    """No pre-ping: a pooled connection that the database closed is replaced at checkout when
    the driver saw it close; when it did not (yet), the first statement of the request's work
    is retried on a new one. Either way the caller sees nothing."""
    if not seen_closing:
        monkeypatch.setattr(engine, "_discard_closed_connection", lambda *_: None)
    application = create_app(make_settings(fresh_postgres_url))
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            ann = await register(client, "Ann")
            path = f"/api/{ann.id}/tasks"
            await add(client, path, ann.headers, title="before")
            _terminate_connections(postgres_admin_url, fresh_postgres_url)
            if seen_closing:
                await anyio.sleep(0.2)  # the driver reads the database's goodbye
            statuses = []
            for method, url, body in [
                ("GET", path, None),
                ("POST", path, {"title": "after"}),
                ("GET", "/api/auth/me", None),
                ("GET", f"/api/{ann.id}/conversations", None),
                ("POST", f"/api/{ann.id}/chat", {"message": "show my tasks"}),
                ("POST", "/api/auth/sign-in", {"email": ann.email, "password": ann.password}),
            ]:
                response = await client.request(method, url, json=body, headers=ann.headers)
                statuses.append(response.status_code)
            assert statuses == [200, 201, 200, 200, 200, 200]
    retried = "retrying on a new one" in capsys.readouterr().out
    assert retried is not seen_closing


@pytest.mark.postgres
async def test_the_sql_of_a_request_and_of_a_chat_turn(fresh_postgres_url: str) -> None:
    """Statements per request, counted at the driver (bench/sql_count.py): what issue 13 got
    them down to, so that a change that adds some says so. A write within a quota (a task, a
    turn's message) takes a transaction of its own on PostgreSQL: BEGIN, the user's row locked,
    the write, COMMIT (issue 26: otherwise concurrent writes at the edge would all pass). Every
    other statement runs on its own, with no BEGIN or COMMIT."""
    environment = dict(os.environ)
    figures = await sql_count.count(fresh_postgres_url)
    # The count runs in this process: what it sets must not reach the tests that follow.
    assert dict(os.environ) == environment
    # (statements at most, writes within a quota)
    at_most = {
        "REST: list tasks": (2, 0),  # the identity check, the list
        "REST: create a task": (3, 1),  # the identity check, the lock, the insert
        # A turn checks the identity in the statement that stores its message.
        "chat: greeting, new conversation": (3, 1),  # lock, conversation with message, reply
        "chat: add a task": (5, 2),  # lock, message with history, lock, the tool, reply
        "chat: list the tasks": (4, 1),
        "chat: complete a task by name": (5, 1),  # the name is looked up in the list first
        "chat: delete a task by number": (4, 1),
    }
    for kind, (most, quota_writes) in at_most.items():
        counted = figures[kind]
        assert counted["statements"] <= most, (kind, counted)
        # BEGIN and COMMIT around each write within a quota, nothing else.
        assert counted["round trips"] == counted["statements"] + 2 * quota_writes, (kind, counted)
        # The lock and its write go through SQLAlchemy, in the session's transaction.
        assert counted["listener statements"] == 2 * quota_writes, (kind, counted)
