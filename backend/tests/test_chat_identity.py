"""A chat turn checks its token's user inside the statement that stores the message (issue 13:
one statement fewer per turn). That check must be as strict as everywhere else: a token from
before a sign-out stores nothing, replays nothing, learns nothing of the account's limits, and
uses up none of its allowance, even with a body that fails validation."""

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from backend_testkit import Account, make_settings, register
from todo_backend.main import create_app

TURNS_PER_DAY = 2


@pytest.fixture
async def limited_client(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """The app with the chat limits on: `TURNS_PER_DAY` turns per user."""
    app: FastAPI = create_app(
        make_settings(database_url, rate_limits="on", chat_turns_per_day=TURNS_PER_DAY)
    )
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http,
    ):
        yield http


async def _sign_in(client: httpx.AsyncClient, account: Account) -> dict[str, str]:
    response = await client.post(
        "/api/auth/sign-in", json={"email": account.email, "password": account.password}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def _refused_as_signed_out(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.json()["detail"].startswith("Sign in first")


async def test_a_token_from_before_sign_out_cannot_chat(
    limited_client: httpx.AsyncClient,
) -> None:
    client = limited_client
    ann = await register(client, "Ann")
    chat = f"/api/{ann.id}/chat"
    first = {"message": "Add a task to buy milk"}
    keyed = {**ann.headers, "Idempotency-Key": "turn-1"}
    answered = await client.post(chat, json=first, headers=keyed)
    assert answered.status_code == 200, answered.text
    conversation_id = answered.json()["conversation_id"]
    assert (await client.post("/api/auth/sign-out", headers=ann.headers)).status_code == 204

    later = {"message": "Add a task to walk the dog"}
    in_conversation = {**later, "conversation_id": conversation_id}
    for url, body, headers in [
        (chat, later, ann.headers),  # a new conversation
        (chat, in_conversation, ann.headers),
        (f"{chat}/stream", later, ann.headers),
        (f"{chat}/stream", in_conversation, ann.headers),
        (chat, first, keyed),  # the first turn's answer is not replayed
        (f"{chat}/stream", first, keyed),
    ]:
        _refused_as_signed_out(await client.post(url, json=body, headers=headers))
        # A body the route never gets to: refused as invalid, before any identity check.
        invalid = await client.post(url, json={"message": ""}, headers=headers)
        assert invalid.status_code == 422, invalid.text

    headers = await _sign_in(client, ann)
    conversations = (await client.get(f"/api/{ann.id}/conversations", headers=headers)).json()
    assert [c["id"] for c in conversations] == [conversation_id]
    stored = await client.get(f"/api/{ann.id}/conversations/{conversation_id}", headers=headers)
    assert [m["role"] for m in stored.json()["messages"]] == ["user", "assistant"]
    tasks = (await client.get(f"/api/{ann.id}/tasks", headers=headers)).json()
    assert [task["title"] for task in tasks] == ["Buy milk"]

    # None of the refused turns used up the day's allowance: one turn of two is left...
    assert (await client.post(chat, json={"message": "hi"}, headers=headers)).status_code == 200
    over = await client.post(chat, json={"message": "hi"}, headers=headers)
    assert over.status_code == 429
    # ...and with none left, the old token still learns only that it is signed out.
    _refused_as_signed_out(await client.post(chat, json={"message": "hi"}, headers=ann.headers))
