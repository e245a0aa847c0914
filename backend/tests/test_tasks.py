"""The task REST API through HTTP: behaviour, validation and isolation between users."""

from typing import Any

import httpx
import pytest

from backend_testkit import Account, SignUp


async def add(client: httpx.AsyncClient, account: Account, **body: Any) -> dict[str, Any]:
    response = await client.post(f"/api/{account.id}/tasks", json=body, headers=account.headers)
    assert response.status_code == 201, response.text
    task: dict[str, Any] = response.json()
    return task


async def test_create_then_read_a_task(client: httpx.AsyncClient, sign_up: SignUp) -> None:
    ann = await sign_up()
    created = await add(client, ann, title="  Buy milk ", description="2 litres")
    assert created["title"] == "Buy milk"
    assert created["description"] == "2 litres"
    assert created["completed"] is False
    assert created["user_id"] == ann.id
    assert isinstance(created["id"], int)
    assert created["created_at"] == created["updated_at"]
    assert created["created_at"].endswith("Z")

    fetched = await client.get(f"/api/{ann.id}/tasks/{created['id']}", headers=ann.headers)
    assert fetched.status_code == 200
    assert fetched.json() == created


async def test_list_is_newest_first_and_filters_by_status(
    client: httpx.AsyncClient, sign_up: SignUp
) -> None:
    ann = await sign_up()
    first = await add(client, ann, title="first")
    second = await add(client, ann, title="second")
    third = await add(client, ann, title="third")
    toggled = await client.patch(
        f"/api/{ann.id}/tasks/{second['id']}/complete", headers=ann.headers
    )
    assert toggled.json()["completed"] is True

    async def titles(query: str) -> list[str]:
        response = await client.get(f"/api/{ann.id}/tasks{query}", headers=ann.headers)
        assert response.status_code == 200
        return [task["title"] for task in response.json()]

    assert await titles("") == ["third", "second", "first"]
    assert await titles("?status=all") == ["third", "second", "first"]
    assert await titles("?status=pending") == [third["title"], first["title"]]
    assert await titles("?status=completed") == ["second"]
    bad = await client.get(f"/api/{ann.id}/tasks?status=done", headers=ann.headers)
    assert bad.status_code == 422
    assert bad.json()["detail"].startswith("query.status")


async def test_toggle_flips_and_updates_the_timestamp(
    client: httpx.AsyncClient, sign_up: SignUp
) -> None:
    ann = await sign_up()
    task = await add(client, ann, title="toggle me")
    url = f"/api/{ann.id}/tasks/{task['id']}/complete"
    done = (await client.patch(url, headers=ann.headers)).json()
    assert done["completed"] is True
    assert done["updated_at"] > task["updated_at"]
    undone = (await client.patch(url, headers=ann.headers)).json()
    assert undone["completed"] is False


async def test_put_changes_only_the_fields_sent(client: httpx.AsyncClient, sign_up: SignUp) -> None:
    ann = await sign_up()
    task = await add(client, ann, title="Call mom", description="Sunday")
    url = f"/api/{ann.id}/tasks/{task['id']}"
    renamed = await client.put(url, json={"title": "Call mom tonight"}, headers=ann.headers)
    assert renamed.status_code == 200
    assert renamed.json()["title"] == "Call mom tonight"
    assert renamed.json()["description"] == "Sunday"
    assert renamed.json()["updated_at"] > task["updated_at"]

    cleared = await client.put(
        url, json={"description": None, "completed": True}, headers=ann.headers
    )
    assert cleared.json()["description"] is None
    assert cleared.json()["completed"] is True
    assert cleared.json()["title"] == "Call mom tonight"


async def test_delete_removes_the_task(client: httpx.AsyncClient, sign_up: SignUp) -> None:
    ann = await sign_up()
    task = await add(client, ann, title="short-lived")
    url = f"/api/{ann.id}/tasks/{task['id']}"
    deleted = await client.delete(url, headers=ann.headers)
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert (await client.get(url, headers=ann.headers)).status_code == 404
    assert (await client.delete(url, headers=ann.headers)).status_code == 404
    listed = await client.get(f"/api/{ann.id}/tasks", headers=ann.headers)
    assert listed.json() == []


@pytest.mark.parametrize(
    ("body", "message_start"),
    [
        ({"title": ""}, "title: String should have at least 1 character"),
        ({"title": "   "}, "title: String should have at least 1 character"),
        ({"title": "x" * 201}, "title: String should have at most 200 characters"),
        ({"title": "ok", "description": "d" * 1001}, "description: String should have at most"),
        ({"description": "no title"}, "title: Field required"),
        ({"title": "ok", "owner": "someone"}, "owner: Extra inputs are not permitted"),
    ],
)
async def test_invalid_task_bodies_are_422_with_a_clear_message(
    client: httpx.AsyncClient, sign_up: SignUp, body: dict[str, str], message_start: str
) -> None:
    ann = await sign_up()
    response = await client.post(f"/api/{ann.id}/tasks", json=body, headers=ann.headers)
    assert response.status_code == 422
    assert response.json()["detail"].startswith(message_start)
    assert (await client.get(f"/api/{ann.id}/tasks", headers=ann.headers)).json() == []


async def test_limits_are_inclusive(client: httpx.AsyncClient, sign_up: SignUp) -> None:
    ann = await sign_up()
    task = await add(client, ann, title="t" * 200, description="d" * 1000)
    assert len(task["title"]) == 200 and len(task["description"]) == 1000


async def test_put_with_an_empty_title_is_422(client: httpx.AsyncClient, sign_up: SignUp) -> None:
    ann = await sign_up()
    task = await add(client, ann, title="keep")
    url = f"/api/{ann.id}/tasks/{task['id']}"
    for body in ({"title": ""}, {"title": None}):
        response = await client.put(url, json=body, headers=ann.headers)
        assert response.status_code == 422
        assert response.json()["detail"].startswith("title")
    assert (await client.get(url, headers=ann.headers)).json()["title"] == "keep"


async def test_malformed_json_is_422_not_500(client: httpx.AsyncClient, sign_up: SignUp) -> None:
    ann = await sign_up()
    response = await client.post(
        f"/api/{ann.id}/tasks",
        content=b"{not json",
        headers={**ann.headers, "content-type": "application/json"},
    )
    assert response.status_code == 422
    assert "JSON" in response.json()["detail"]


async def test_requests_without_a_token_are_401(client: httpx.AsyncClient, sign_up: SignUp) -> None:
    ann = await sign_up()
    for method, path in [
        ("GET", f"/api/{ann.id}/tasks"),
        ("POST", f"/api/{ann.id}/tasks"),
        ("GET", f"/api/{ann.id}/tasks/1"),
        ("PUT", f"/api/{ann.id}/tasks/1"),
        ("DELETE", f"/api/{ann.id}/tasks/1"),
        ("PATCH", f"/api/{ann.id}/tasks/1/complete"),
    ]:
        response = await client.request(method, path, json={"title": "x"})
        assert response.status_code == 401, (method, path)


async def test_users_are_isolated(client: httpx.AsyncClient, sign_up: SignUp) -> None:
    ann = await sign_up("Ann")
    bob = await sign_up("Bob")
    secret = await add(client, ann, title="Ann's secret")
    ann_url = f"/api/{ann.id}/tasks/{secret['id']}"

    # Bob using Ann's path: forbidden, whatever the route.
    for method in ("GET", "PUT", "DELETE"):
        response = await client.request(
            method, ann_url, json={"title": "pwned"}, headers=bob.headers
        )
        assert response.status_code == 403
    assert (await client.get(f"/api/{ann.id}/tasks", headers=bob.headers)).status_code == 403

    # Bob using his own path with Ann's task id: not found, so existence does not leak.
    bob_url = f"/api/{bob.id}/tasks/{secret['id']}"
    assert (await client.get(bob_url, headers=bob.headers)).status_code == 404
    assert (await client.put(bob_url, json={"title": "x"}, headers=bob.headers)).status_code == 404
    assert (await client.delete(bob_url, headers=bob.headers)).status_code == 404
    assert (await client.patch(f"{bob_url}/complete", headers=bob.headers)).status_code == 404
    assert (await client.get(f"/api/{bob.id}/tasks", headers=bob.headers)).json() == []

    # Ann's task is untouched.
    unchanged = (await client.get(ann_url, headers=ann.headers)).json()
    assert unchanged == secret
