"""The built-in agent with dates, end to end over the real task tools, from a fixed "now" in
America/New_York: what it stores is the right instant (in UTC, as the API gives it back) and
what it says is in the user's zone."""

import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI

from backend_testkit import Account, make_settings
from todo_backend.agent.base import ChatTurn, HistoryMessage, TextDelta, ToolCallEvent
from todo_backend.agent.builtin import BuiltinAgent
from todo_backend.main import create_app
from todo_backend.tools import ToolContext

NEW_YORK = ZoneInfo("America/New_York")
# Monday 7 December 2026, 15:30 in New York (20:30 UTC).
NOW = datetime(2026, 12, 7, 20, 30, tzinfo=ZoneInfo("UTC"))


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
async def app(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[FastAPI]:
    database = tmp_path_factory.mktemp("agent-dates") / "todo.db"
    app = create_app(make_settings(f"sqlite:///{database}"))
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        yield client


@pytest.fixture
async def account(client: httpx.AsyncClient) -> Account:
    email = f"dates-{uuid.uuid4().hex}@example.com"
    response = await client.post(
        "/api/auth/sign-up", json={"email": email, "password": "agent-pass", "name": "Dates"}
    )
    body = response.json()
    return Account(body["user"]["id"], email, "agent-pass", body["token"])


async def say(
    app: FastAPI, account: Account, message: str, history: Sequence[HistoryMessage] = ()
) -> tuple[str, list[ToolCallEvent]]:
    """One turn of the built-in agent at NOW in New York: its reply and its tool calls."""
    services = app.state.services
    async with services.session_factory() as session:
        tools = ToolContext(session=session, caller_id=account.id, quotas=services.settings.quotas)
        turn = ChatTurn(message, history, tools, stream=False, zone=NEW_YORK, now=NOW)
        events = [event async for event in BuiltinAgent().run(turn)]
        await session.commit()
    reply = "".join(event.text for event in events if isinstance(event, TextDelta))
    return reply, [event for event in events if isinstance(event, ToolCallEvent)]


async def tasks(client: httpx.AsyncClient, account: Account) -> list[dict[str, Any]]:
    response = await client.get(f"/api/{account.id}/tasks", headers=account.headers)
    return list(reversed(response.json()))


async def seed(client: httpx.AsyncClient, account: Account, **task: Any) -> int:
    response = await client.post(f"/api/{account.id}/tasks", json=task, headers=account.headers)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


@pytest.mark.parametrize(
    ("message", "title", "due_at", "said"),
    [
        (
            "remind me to call mom tomorrow at 5pm",
            "Call mom",
            "2026-12-08T22:00:00Z",
            "Added task {id}: 'Call mom', due Tue 8 Dec, 17:00.",
        ),
        ("add pay rent by the end of the month", "Pay rent", "2026-12-31T22:00:00Z", "Thu 31 Dec"),
        (
            "call the bank next Friday at 9",
            "Call the bank",
            "2026-12-11T14:00:00Z",
            "Fri 11 Dec, 09:00",
        ),
        ("book flights in 2 hours", "Book flights", "2026-12-07T22:30:00Z", "Mon 7 Dec, 17:30"),
        (
            "add renew passport on the 3rd",
            "Renew passport",
            "2027-01-03T22:00:00Z",
            "Sun 3 Jan 2027",
        ),
        (
            "add submit the report by Monday morning",
            "Submit the report",
            "2026-12-14T14:00:00Z",
            "Mon 14 Dec, 09:00",
        ),
    ],
)
async def test_a_new_tasks_date_is_stored_as_that_instant_and_said_in_the_users_zone(
    app: FastAPI,
    client: httpx.AsyncClient,
    account: Account,
    message: str,
    title: str,
    due_at: str,
    said: str,
) -> None:
    reply, calls = await say(app, account, message)
    [task] = await tasks(client, account)
    assert (task["title"], task["due_at"]) == (title, due_at)
    assert [call.name for call in calls] == ["add_task"]
    assert said.format(id=task["id"]) in reply


async def test_a_date_that_names_none_is_asked_about(
    app: FastAPI, client: httpx.AsyncClient, account: Account
) -> None:
    reply, calls = await say(app, account, "add dentist on the 45th")
    assert "I couldn't read 'on the 45th' as a date" in reply
    assert calls == []
    assert await tasks(client, account) == []


async def test_questions_about_dates_list_the_users_week_and_mark_what_is_overdue(
    app: FastAPI, client: httpx.AsyncClient, account: Account
) -> None:
    await seed(client, account, title="Call mom", due_at="2026-12-05T15:00:00Z")
    dentist = await seed(client, account, title="Dentist", due_at="2026-12-10T15:00:00Z")
    await seed(client, account, title="Tax return", due_at="2026-12-20T15:00:00Z", priority="high")

    week, _ = await say(app, account, "what's due this week?")
    assert week == (
        "You have 1 pending task due this week:\n"
        f"- [ ] Dentist (task {dentist}), due Thu 10 Dec, 10:00"
    )
    overdue, _ = await say(app, account, "anything overdue?")
    assert "You have 1 overdue task:" in overdue
    assert "Call mom" in overdue and "due Sat 5 Dec, 10:00 (overdue)" in overdue
    assert "Dentist" not in overdue
    urgent, _ = await say(app, account, "show my high priority tasks")
    assert "Tax return" in urgent and "high priority" in urgent and "Dentist" not in urgent


async def test_moving_and_clearing_a_due_date(
    app: FastAPI, client: httpx.AsyncClient, account: Account
) -> None:
    await seed(client, account, title="Call the dentist", due_at="2026-12-10T15:00:00Z")

    moved, _ = await say(app, account, "move the dentist to Friday at 4pm")
    assert "due Fri 11 Dec, 16:00" in moved
    assert (await tasks(client, account))[0]["due_at"] == "2026-12-11T21:00:00Z"
    cleared, _ = await say(app, account, "no deadline for the dentist")
    assert "no due date" in cleared
    assert (await tasks(client, account))[0]["due_at"] is None
