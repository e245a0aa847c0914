"""A database outage (PostgreSQL cut behind a TCP proxy): every route that needs the database
answers a fast 503 with Retry-After, never a 500 or a hang, and all is well again once the
database is back, without a restart."""

import time
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.engine import make_url

from backend_testkit import Account, TcpProxy, make_settings, parse_sse, register
from todo_backend.agent.base import AgentEvent, ChatTurn, TextDelta
from todo_backend.main import create_app
from todo_backend.services import services_of

pytestmark = pytest.mark.postgres

FAST = 5.0  # seconds: well under any client's timeout


@pytest.fixture
async def proxy(fresh_postgres_url: str) -> AsyncIterator[TcpProxy]:
    real = make_url(fresh_postgres_url)
    forwarder = TcpProxy(real.host or "127.0.0.1", real.port or 5432)
    await forwarder.start()
    yield forwarder
    await forwarder.cut()


@pytest.fixture
async def app(fresh_postgres_url: str, proxy: TcpProxy) -> AsyncIterator[FastAPI]:
    """The backend, reaching PostgreSQL through the proxy."""
    real = make_url(fresh_postgres_url)
    through_proxy = fresh_postgres_url.replace(f":{real.port}/", f":{proxy.port}/")
    application = create_app(make_settings(through_proxy))
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        yield http


def database_routes(ann: Account) -> list[tuple[str, str, dict[str, object] | None]]:
    return [
        ("GET", f"/api/{ann.id}/tasks", None),
        ("POST", f"/api/{ann.id}/tasks", {"title": "Buy milk"}),
        ("GET", f"/api/{ann.id}/tasks/1", None),
        ("PATCH", f"/api/{ann.id}/tasks/1/complete", None),
        ("GET", f"/api/{ann.id}/conversations", None),
        ("POST", f"/api/{ann.id}/chat", {"message": "Show my tasks"}),
        ("POST", f"/api/{ann.id}/chat/stream", {"message": "Show my tasks"}),
        ("POST", "/api/auth/sign-in", {"email": ann.email, "password": ann.password}),
        ("GET", "/api/auth/me", None),
    ]


async def test_an_outage_gives_fast_503s_with_retry_after_and_then_recovers(
    client: httpx.AsyncClient, proxy: TcpProxy
) -> None:
    ann = await register(client, "Ann")
    await proxy.cut()
    for method, path, body in database_routes(ann):
        started = time.monotonic()
        response = await client.request(method, path, json=body, headers=ann.headers)
        elapsed = time.monotonic() - started
        assert response.status_code == 503, (method, path, response.text)
        assert response.headers["retry-after"] == "5"
        assert response.json()["detail"] == (
            "The database is unavailable right now; please try again in a few seconds"
        )
        assert elapsed < FAST, (method, path, elapsed)

    await proxy.start()  # back on the same address
    created = await client.post(
        f"/api/{ann.id}/tasks", json={"title": "Buy milk"}, headers=ann.headers
    )
    assert created.status_code == 201
    chat = await client.post(
        f"/api/{ann.id}/chat", json={"message": "Show my tasks"}, headers=ann.headers
    )
    assert chat.status_code == 200 and "Buy milk" in chat.json()["response"]


class CutsTheDatabaseMidTurn:
    """Answers, but the database goes away while it does: the reply cannot be stored."""

    def __init__(self, proxy: TcpProxy) -> None:
        self.proxy = proxy

    async def run(self, turn: ChatTurn) -> AsyncIterator[AgentEvent]:
        yield TextDelta("Here you go.")
        await self.proxy.cut()

    async def aclose(self) -> None:
        pass


async def test_a_stream_whose_reply_cannot_be_stored_ends_with_an_error_event(
    app: FastAPI, client: httpx.AsyncClient, proxy: TcpProxy
) -> None:
    ann = await register(client, "Ann")
    services_of(app).agent = CutsTheDatabaseMidTurn(proxy)
    async with client.stream(
        "POST", f"/api/{ann.id}/chat/stream", json={"message": "hi"}, headers=ann.headers
    ) as response:
        assert response.status_code == 200
        events = parse_sse((await response.aread()).decode())
    assert [name for name, _ in events] == ["conversation", "delta", "error"]
    assert events[-1][1] == {
        "detail": "The database is unavailable right now, so this reply was not saved; "
        "please try again in a few seconds"
    }
