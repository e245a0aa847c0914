"""Inputs a careless client or a fuzzer sends: ids beyond the database's integer range and NUL
characters. Each is refused at the edge with a clear 422 (or a polite reply from the agent),
never a 500, on SQLite and on PostgreSQL."""

from typing import Any

import httpx
import pytest

from backend_testkit import Account, SignUp

ID_MAX = 2**31 - 1  # PostgreSQL's INTEGER; SQLite's is wider, so the API bounds both here
OUT_OF_RANGE = [0, -1, 2**31, 2**63, 10**40]
NUL = "a\u0000b"


def id_routes(account: Account, row_id: int) -> list[tuple[str, str, dict[str, Any] | None]]:
    """Every route that takes an id: (method, path, JSON body)."""
    tasks = f"/api/{account.id}/tasks/{row_id}"
    conversations = f"/api/{account.id}/conversations/{row_id}"
    chat_body = {"message": "hello", "conversation_id": row_id}
    return [
        ("GET", tasks, None),
        ("PUT", tasks, {"title": "x"}),
        ("DELETE", tasks, None),
        ("PATCH", f"{tasks}/complete", None),
        ("GET", conversations, None),
        ("DELETE", conversations, None),
        ("POST", f"/api/{account.id}/chat", chat_body),
        ("POST", f"/api/{account.id}/chat/stream", chat_body),
    ]


async def nothing_stored(client: httpx.AsyncClient, account: Account) -> bool:
    tasks = await client.get(f"/api/{account.id}/tasks", headers=account.headers)
    conversations = await client.get(f"/api/{account.id}/conversations", headers=account.headers)
    return bool(tasks.json() == [] and conversations.json() == [])


@pytest.mark.parametrize("row_id", OUT_OF_RANGE)
async def test_an_id_out_of_range_is_422_on_every_route(
    client: httpx.AsyncClient, sign_up: SignUp, row_id: int
) -> None:
    ann = await sign_up()
    for method, path, body in id_routes(ann, row_id):
        response = await client.request(method, path, json=body, headers=ann.headers)
        assert response.status_code == 422, (method, path, response.text)
        detail = response.json()["detail"]
        assert "_id" in detail and ("greater than or equal to 1" in detail or str(ID_MAX) in detail)
    assert await nothing_stored(client, ann)


async def test_the_largest_id_is_well_formed_and_not_found(
    client: httpx.AsyncClient, sign_up: SignUp
) -> None:
    ann = await sign_up()
    for method, path, body in id_routes(ann, ID_MAX):
        response = await client.request(method, path, json=body, headers=ann.headers)
        assert response.status_code == 404, (method, path, response.text)
    assert await nothing_stored(client, ann)


@pytest.mark.parametrize("row_id", [3_000_000_000, 2**63, 0])
async def test_the_agent_says_a_task_out_of_range_does_not_exist(
    client: httpx.AsyncClient, sign_up: SignUp, row_id: int
) -> None:
    ann = await sign_up()
    for message in (f"delete task {row_id}", f"mark task {row_id} as done"):
        response = await client.post(
            f"/api/{ann.id}/chat", json={"message": message}, headers=ann.headers
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["response"].startswith(f"I couldn't find task {row_id}.")
        stored = await client.get(
            f"/api/{ann.id}/conversations/{body['conversation_id']}", headers=ann.headers
        )
        assert [m["content"] for m in stored.json()["messages"]] == [message, body["response"]]


async def test_sign_in_with_a_nul_character_is_422(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/auth/sign-in", json={"email": "a\u0000@x.co", "password": "whatever-1"}
    )
    assert response.status_code == 422, response.text
    assert response.json()["detail"] == "email: must not contain NUL characters"


@pytest.mark.parametrize("field", ["email", "name", "password"])
async def test_sign_up_with_a_nul_character_is_422(client: httpx.AsyncClient, field: str) -> None:
    body = {"email": "nul@example.com", "password": "correct horse", "name": "Nul"}
    body[field] = body[field].replace("@", "\u0000@") if field == "email" else body[field] + NUL
    response = await client.post("/api/auth/sign-up", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["detail"] == f"{field}: must not contain NUL characters"


async def test_task_and_chat_text_with_a_nul_character_is_422(
    client: httpx.AsyncClient, sign_up: SignUp
) -> None:
    ann = await sign_up()
    tasks = f"/api/{ann.id}/tasks"
    kept = (await client.post(tasks, json={"title": "keep"}, headers=ann.headers)).json()
    for method, path, body, field in [
        ("POST", tasks, {"title": NUL}, "title"),
        ("POST", tasks, {"title": "ok", "description": NUL}, "description"),
        ("PUT", f"{tasks}/{kept['id']}", {"title": NUL}, "title"),
        ("PUT", f"{tasks}/{kept['id']}", {"description": NUL}, "description"),
        ("POST", f"/api/{ann.id}/chat", {"message": NUL}, "message"),
        ("POST", f"/api/{ann.id}/chat/stream", {"message": NUL}, "message"),
    ]:
        response = await client.request(method, path, json=body, headers=ann.headers)
        assert response.status_code == 422, (method, path, response.text)
        assert response.json()["detail"] == f"{field}: must not contain NUL characters"
    assert (await client.get(tasks, headers=ann.headers)).json() == [kept]
    conversations = await client.get(f"/api/{ann.id}/conversations", headers=ann.headers)
    assert conversations.json() == []
