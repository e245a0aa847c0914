"""Per-user quotas (tasks, conversations, messages per conversation) bound every read; over a
quota the answer is a clear 409, never a 500 or a silent truncation. The task list pages with
`limit` and `cursor` and a Link header, and stays one complete JSON array without `limit`."""

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from backend_testkit import Account, make_settings, register, stream_chat
from todo_backend.main import create_app


@pytest.fixture
async def small_client(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """An app with tiny quotas: 3 tasks, 2 conversations, 4 messages per conversation."""
    settings = make_settings(
        database_url,
        max_tasks_per_user=3,
        max_conversations_per_user=2,
        max_messages_per_conversation=4,
    )
    app: FastAPI = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client,
    ):
        yield client


async def titles(client: httpx.AsyncClient, account: Account) -> list[str]:
    tasks = await client.get(f"/api/{account.id}/tasks", headers=account.headers)
    return [task["title"] for task in tasks.json()]


async def test_the_task_quota_is_a_clear_409_for_the_api_and_a_polite_reply_in_chat(
    small_client: httpx.AsyncClient,
) -> None:
    ann = await register(small_client, "ann")
    url = f"/api/{ann.id}/tasks"
    for title in ("A", "B", "C"):
        created = await small_client.post(url, json={"title": title}, headers=ann.headers)
        assert created.status_code == 201
    over = await small_client.post(url, json={"title": "D"}, headers=ann.headers)
    assert over.status_code == 409
    assert over.json()["detail"] == (
        "You have 3 tasks, the most allowed: delete some before adding more"
    )
    chat = await small_client.post(
        f"/api/{ann.id}/chat", json={"message": "Add a task to buy milk"}, headers=ann.headers
    )
    assert chat.status_code == 200
    assert "the most allowed" in chat.json()["response"]
    assert await titles(small_client, ann) == ["C", "B", "A"]

    first = (await small_client.get(url, headers=ann.headers)).json()[-1]
    await small_client.delete(f"{url}/{first['id']}", headers=ann.headers)
    again = await small_client.post(url, json={"title": "D"}, headers=ann.headers)
    assert again.status_code == 201


async def test_the_conversation_and_message_quotas_are_409_before_the_turn_runs(
    small_client: httpx.AsyncClient,
) -> None:
    ann = await register(small_client, "ann")
    chat_url = f"/api/{ann.id}/chat"
    first = (await small_client.post(chat_url, json={"message": "hi"}, headers=ann.headers)).json()
    await small_client.post(chat_url, json={"message": "hello"}, headers=ann.headers)

    for path in ("chat", "chat/stream"):
        third = await small_client.post(
            f"/api/{ann.id}/{path}", json={"message": "hey"}, headers=ann.headers
        )
        assert third.status_code == 409
        assert third.json()["detail"] == (
            "You have 2 conversations, the most allowed: delete one to start another"
        )

    # The first conversation has 2 of its 4 messages: one more turn fits, then it is full.
    more = {"message": "thanks", "conversation_id": first["conversation_id"]}
    assert (await small_client.post(chat_url, json=more, headers=ann.headers)).status_code == 200
    full = await small_client.post(chat_url, json=more, headers=ann.headers)
    assert full.status_code == 409
    assert full.json()["detail"] == (
        "This conversation has 4 messages, the most allowed: start a new conversation"
    )
    listed = await small_client.get(f"/api/{ann.id}/conversations", headers=ann.headers)
    assert len(listed.json()) == 2
    stored = await small_client.get(
        f"/api/{ann.id}/conversations/{first['conversation_id']}", headers=ann.headers
    )
    assert len(stored.json()["messages"]) == 4

    # Deleting a conversation makes room for a new one.
    await small_client.delete(
        f"/api/{ann.id}/conversations/{first['conversation_id']}", headers=ann.headers
    )
    events = await stream_chat(small_client, ann, "hey")
    assert events[-1][0] == "done"


def next_link(response: httpx.Response) -> str | None:
    match = re.fullmatch(r'<([^>]+)>; rel="next"', response.headers.get("link", ""))
    return match[1] if match else None


async def test_the_task_list_pages_with_limit_cursor_and_a_link_header(
    client: httpx.AsyncClient,
) -> None:
    ann = await register(client, "pager")
    url = f"/api/{ann.id}/tasks"
    for title in ("A", "B", "C", "D", "E"):
        await client.post(url, json={"title": title}, headers=ann.headers)

    whole = await client.get(url, headers=ann.headers)
    assert [t["title"] for t in whole.json()] == ["E", "D", "C", "B", "A"]
    assert "link" not in whole.headers

    pages: list[list[str]] = []
    page_url: str | None = f"{url}?limit=2"
    while page_url is not None:
        page = await client.get(page_url, headers=ann.headers)
        assert page.status_code == 200
        pages.append([t["title"] for t in page.json()])
        page_url = next_link(page)
    assert pages == [["E", "D"], ["C", "B"], ["A"]]

    # The filter carries over to the next page.
    await client.patch(f"{url}/{whole.json()[0]['id']}/complete", headers=ann.headers)
    pending = await client.get(f"{url}?status=pending&limit=3", headers=ann.headers)
    assert [t["title"] for t in pending.json()] == ["D", "C", "B"]
    rest = await client.get(str(next_link(pending)), headers=ann.headers)
    assert [t["title"] for t in rest.json()] == ["A"]
    assert next_link(rest) is None


@pytest.mark.parametrize("query", ["limit=0", "limit=1001", "limit=x", "cursor=abc", "cursor=0"])
async def test_malformed_paging_is_422(client: httpx.AsyncClient, query: str) -> None:
    ann = await register(client, "bad-pager")
    response = await client.get(f"/api/{ann.id}/tasks?{query}", headers=ann.headers)
    assert response.status_code == 422, response.text
    assert query.split("=")[0] in response.json()["detail"]


async def test_conversations_page_the_same_way(client: httpx.AsyncClient) -> None:
    ann = await register(client, "talker")
    started = []
    for message in ("one", "two", "three", "four", "five"):
        turn = await client.post(
            f"/api/{ann.id}/chat", json={"message": message}, headers=ann.headers
        )
        started.append(turn.json()["conversation_id"])
    url = f"/api/{ann.id}/conversations"
    whole = await client.get(url, headers=ann.headers)
    assert [c["id"] for c in whole.json()] == started[::-1]
    assert "link" not in whole.headers

    pages: list[list[int]] = []
    page_url: str | None = f"{url}?limit=2"
    while page_url is not None:
        page = await client.get(page_url, headers=ann.headers)
        assert page.status_code == 200, page.text
        pages.append([c["id"] for c in page.json()])
        page_url = next_link(page)
    assert pages == [started[:2:-1], started[2:0:-1], started[:1]]

    for query in ("limit=0", "cursor=abc", "cursor=1.2.3", f"cursor=1.{2**31}"):
        bad = await client.get(f"{url}?{query}", headers=ann.headers)
        assert bad.status_code == 422, (query, bad.text)


async def test_the_agent_lists_the_newest_50_and_says_more_exist_but_finds_any(
    client: httpx.AsyncClient,
) -> None:
    ann = await register(client, "many")
    url = f"/api/{ann.id}/tasks"
    for title in ["Oldest chore", *(f"Chore {n}" for n in range(51))]:
        await client.post(url, json={"title": title}, headers=ann.headers)

    async def say(message: str) -> dict[str, object]:
        response = await client.post(
            f"/api/{ann.id}/chat", json={"message": message}, headers=ann.headers
        )
        assert response.status_code == 200
        body: dict[str, object] = response.json()
        return body

    listed = await say("Show my tasks")
    reply = str(listed["response"])
    assert reply.startswith("Your newest 50 tasks (you have more; the task list shows them all):")
    assert reply.count("\n- [") == 50 and "Oldest chore" not in reply
    deleted = await say("Delete the oldest chore")
    assert "Deleted task" in str(deleted["response"])
    assert len((await client.get(url, headers=ann.headers)).json()) == 51
