"""API tokens for MCP clients: created once and shown once, listed, revoked; accepted on /mcp
(by the official MCP client) and nowhere else; untouched by sign-out; each with its own rate
limit. On SQLite and PostgreSQL, in process."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from mcp.client.session import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError

from backend_testkit import UNPLANNED, Account, SignUp, make_settings
from testkit import INITIALIZE, MCP_ACCEPT
from todo_backend.main import create_app


async def create_token(
    client: httpx.AsyncClient, account: Account, name: str = "kagent", days: int = 30
) -> dict[str, Any]:
    response = await client.post(
        f"/api/{account.id}/tokens",
        json={"name": name, "expires_in_days": days},
        headers=account.headers,
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


@asynccontextmanager
async def mcp_session(app: FastAPI, token: str) -> AsyncIterator[ClientSession]:
    """The official MCP client, talking to the app in process with `token`."""
    http_client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://localhost",
        headers={"Authorization": f"Bearer {token}"},
    )
    async with (
        http_client,
        streamable_http_client("http://localhost/mcp/", http_client=http_client) as streams,
        ClientSession(streams[0], streams[1]) as session,
    ):
        await session.initialize()
        yield session


async def mcp_status(client: httpx.AsyncClient, token: str) -> int:
    """The status of an MCP initialize request made with `token`."""
    response = await client.post(
        "http://localhost/mcp/",
        json=INITIALIZE,
        headers={"Authorization": f"Bearer {token}", **MCP_ACCEPT},
    )
    return response.status_code


async def test_a_token_lists_and_adds_tasks_over_mcp_and_nothing_else(
    app: FastAPI, client: httpx.AsyncClient, sign_up: SignUp
) -> None:
    ann = await sign_up("Ann")
    created = await create_token(client, ann, "  Claude Desktop  ", days=90)
    token = created["token"]
    assert token.startswith("todo_mcp_") and len(token) > 40
    assert created["name"] == "Claude Desktop"
    assert created["last_used_at"] is None
    expires_at = datetime.fromisoformat(created["expires_at"])
    created_at = datetime.fromisoformat(created["created_at"])
    assert expires_at - created_at == pytest.approx(timedelta(days=90), abs=timedelta(seconds=5))

    async with mcp_session(app, token) as session:
        added = await session.call_tool("add_task", {"user_id": ann.id, "title": "Buy milk"})
        assert not added.is_error, added.content
        task_id = (added.structured_content or {})["task_id"]
        listed = await session.call_tool("list_tasks", {"user_id": ann.id})
        assert listed.structured_content == {
            "tasks": [{"id": task_id, "title": "Buy milk", "completed": False, **UNPLANNED}],
            "more": False,
        }

    # The REST API sees the task, and the token's use, with the sign-in token...
    tasks = (await client.get(f"/api/{ann.id}/tasks", headers=ann.headers)).json()
    assert [task["title"] for task in tasks] == ["Buy milk"]
    listing = (await client.get(f"/api/{ann.id}/tokens", headers=ann.headers)).json()
    assert [(t["id"], t["name"]) for t in listing] == [(created["id"], "Claude Desktop")]
    assert set(listing[0]) == {"id", "name", "created_at", "last_used_at", "expires_at"}
    assert listing[0]["last_used_at"] is not None

    # ...but not with the API token: not the REST API, the chat, or the tokens themselves.
    as_token = {"Authorization": f"Bearer {token}"}
    for method, path, body in [
        ("GET", f"/api/{ann.id}/tasks", None),
        ("POST", f"/api/{ann.id}/tasks", {"title": "x"}),
        ("POST", f"/api/{ann.id}/chat", {"message": "list my tasks"}),
        ("GET", f"/api/{ann.id}/tokens", None),
        ("POST", f"/api/{ann.id}/tokens", {"name": "more", "expires_in_days": 1}),
        ("GET", "/api/auth/me", None),
    ]:
        response = await client.request(method, path, json=body, headers=as_token)
        assert response.status_code == 401, (method, path, response.text)
        assert response.json() == {"detail": "Sign in first: a valid Bearer token is required"}


async def test_a_token_survives_sign_out_and_dies_the_moment_it_is_revoked(
    app: FastAPI, client: httpx.AsyncClient, sign_up: SignUp
) -> None:
    ann = await sign_up("Ann")
    kept = await create_token(client, ann, "kept")
    revoked = await create_token(client, ann, "revoked")

    assert (await client.post("/api/auth/sign-out", headers=ann.headers)).status_code == 204
    assert await mcp_status(client, ann.token) == 401  # the sign-in token is gone...
    assert await mcp_status(client, kept["token"]) == 200  # ...the API tokens are not

    signed_in = await client.post(
        "/api/auth/sign-in", json={"email": ann.email, "password": ann.password}
    )
    headers = {"Authorization": f"Bearer {signed_in.json()['token']}"}
    async with mcp_session(app, revoked["token"]) as session:
        listed = await session.call_tool("list_tasks", {"user_id": ann.id})
        assert not listed.is_error
        response = await client.delete(f"/api/{ann.id}/tokens/{revoked['id']}", headers=headers)
        assert response.status_code == 204
        with pytest.raises(MCPError, match="Server returned an error response"):
            await session.call_tool("list_tasks", {"user_id": ann.id})
    assert await mcp_status(client, revoked["token"]) == 401
    assert await mcp_status(client, kept["token"]) == 200
    listing = (await client.get(f"/api/{ann.id}/tokens", headers=headers)).json()
    assert [t["name"] for t in listing] == ["kept"]
    again = await client.delete(f"/api/{ann.id}/tokens/{revoked['id']}", headers=headers)
    assert again.status_code == 404
    assert again.json() == {"detail": f"API token {revoked['id']} not found"}


async def test_another_users_tokens_cannot_be_seen_revoked_or_used_for_their_tasks(
    app: FastAPI, client: httpx.AsyncClient, sign_up: SignUp
) -> None:
    ann, bob = await sign_up("Ann"), await sign_up("Bob")
    anns = await create_token(client, ann)
    bobs = await create_token(client, bob)
    response = await client.delete(f"/api/{bob.id}/tokens/{anns['id']}", headers=bob.headers)
    assert response.status_code == 404
    for method in ("GET", "POST", "DELETE"):
        path = f"/api/{ann.id}/tokens" + (f"/{anns['id']}" if method == "DELETE" else "")
        response = await client.request(
            method, path, json={"name": "x", "expires_in_days": 1}, headers=bob.headers
        )
        assert response.status_code == 403, method
    async with mcp_session(app, bobs["token"]) as session:
        refused = await session.call_tool("list_tasks", {"user_id": ann.id})
        assert refused.is_error
        assert "does not match the signed-in user" in refused.content[0].text  # type: ignore[union-attr]
    assert [
        t["id"] for t in (await client.get(f"/api/{ann.id}/tokens", headers=ann.headers)).json()
    ] == [anns["id"]]


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"name": "", "expires_in_days": 30}, "name: String should have at least 1 character"),
        ({"name": "   ", "expires_in_days": 30}, "name: String should have at least 1 character"),
        (
            {"name": "x" * 65, "expires_in_days": 30},
            "name: String should have at most 64 characters",
        ),
        ({"name": "a\tb", "expires_in_days": 30}, "name: must be printable characters only"),
        ({"name": "a\nb", "expires_in_days": 30}, "name: must be printable characters only"),
        ({"name": "a\u0000b", "expires_in_days": 30}, "name: must not contain NUL characters"),
        (
            {"name": "ok", "expires_in_days": 0},
            "expires_in_days: Input should be greater than or equal to 1",
        ),
        (
            {"name": "ok", "expires_in_days": 366},
            "expires_in_days: Input should be less than or equal to 365",
        ),
        (
            {"name": "ok", "expires_in_days": "soon"},
            "expires_in_days: Input should be a valid integer",
        ),
        ({"name": "ok"}, "expires_in_days: Field required"),
        ({"expires_in_days": 30}, "name: Field required"),
        (
            {"name": "ok", "expires_in_days": 30, "scope": "all"},
            "scope: Extra inputs are not permitted",
        ),
    ],
)
async def test_bad_names_and_expiries_are_422_naming_the_field(
    client: httpx.AsyncClient, sign_up: SignUp, body: dict[str, Any], problem: str
) -> None:
    ann = await sign_up("Ann")
    response = await client.post(f"/api/{ann.id}/tokens", json=body, headers=ann.headers)
    assert response.status_code == 422
    assert problem in response.json()["detail"]
    assert (await client.get(f"/api/{ann.id}/tokens", headers=ann.headers)).json() == []


@pytest.mark.parametrize("token_id", ["0", "2147483648", "abc"])
async def test_malformed_token_ids_are_422(
    client: httpx.AsyncClient, sign_up: SignUp, token_id: str
) -> None:
    ann = await sign_up("Ann")
    response = await client.delete(f"/api/{ann.id}/tokens/{token_id}", headers=ann.headers)
    assert response.status_code == 422
    assert response.json()["detail"].startswith("path.token_id: ")


async def test_twenty_tokens_at_most_then_409_until_one_is_revoked(
    client: httpx.AsyncClient, sign_up: SignUp
) -> None:
    ann = await sign_up("Ann")
    tokens = [await create_token(client, ann, f"client {n}") for n in range(20)]
    response = await client.post(
        f"/api/{ann.id}/tokens",
        json={"name": "one more", "expires_in_days": 1},
        headers=ann.headers,
    )
    assert response.status_code == 409
    assert response.json() == {
        "detail": "You have 20 API tokens, the most allowed: revoke one to create another"
    }
    await client.delete(f"/api/{ann.id}/tokens/{tokens[0]['id']}", headers=ann.headers)
    await create_token(client, ann, "one more")


async def test_an_expired_token_is_refused(
    client: httpx.AsyncClient, sign_up: SignUp, monkeypatch: pytest.MonkeyPatch
) -> None:
    ann = await sign_up("Ann")
    token = (await create_token(client, ann, days=1))["token"]
    assert await mcp_status(client, token) == 200
    later = datetime.now().astimezone() + timedelta(days=1, seconds=1)
    monkeypatch.setattr("todo_backend.api_tokens.utc_now", lambda: later)
    assert await mcp_status(client, token) == 401


async def test_each_token_has_its_own_rate_limit(database_url: str, sign_up: SignUp) -> None:
    app = create_app(
        make_settings(database_url, rate_limits="on", mcp_requests_per_api_token_per_minute=2)
    )
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://localhost"
        ) as client,
    ):
        signed_up = await client.post(
            "/api/auth/sign-up",
            json={"email": "rate@example.com", "password": "correct horse", "name": "Rate"},
        )
        body = signed_up.json()
        ann = Account(body["user"]["id"], "rate@example.com", "correct horse", body["token"])
        first, second = (
            await create_token(client, ann, "first"),
            await create_token(client, ann, "second"),
        )
        assert [await mcp_status(client, first["token"]) for _ in range(2)] == [200, 200]
        response = await client.post(
            "/mcp/",
            json=INITIALIZE,
            headers={"Authorization": f"Bearer {first['token']}", **MCP_ACCEPT},
        )
        assert response.status_code == 429
        assert (
            response.json()["detail"]
            == "Too many requests with this API token; please wait a minute"
        )
        assert 1 <= int(response.headers["retry-after"]) <= 60
        assert await mcp_status(client, second["token"]) == 200
        assert await mcp_status(client, ann.token) == 200  # a sign-in token is not counted here
