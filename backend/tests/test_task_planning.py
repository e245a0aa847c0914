"""Due dates, priorities and tags through the REST API: what a task keeps, how lists filter,
search, sort and page by them, and what a user's time zone changes."""

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from backend_testkit import Account, SignUp


async def add(client: httpx.AsyncClient, account: Account, **body: Any) -> dict[str, Any]:
    response = await client.post(f"/api/{account.id}/tasks", json=body, headers=account.headers)
    assert response.status_code == 201, response.text
    task: dict[str, Any] = response.json()
    return task


async def listed(client: httpx.AsyncClient, account: Account, query: str = "") -> list[str]:
    response = await client.get(f"/api/{account.id}/tasks{query}", headers=account.headers)
    assert response.status_code == 200, response.text
    return [task["title"] for task in response.json()]


async def refused(
    client: httpx.AsyncClient, account: Account, method: str, path: str, **kwargs: Any
) -> str:
    response = await client.request(
        method, f"/api/{account.id}/tasks{path}", headers=account.headers, **kwargs
    )
    assert response.status_code == 422, response.text
    detail: str = response.json()["detail"]
    return detail


async def test_a_task_keeps_its_due_date_priority_and_tags(
    client: httpx.AsyncClient, sign_up: SignUp
) -> None:
    ann = await sign_up()
    task = await add(
        client,
        ann,
        title="Dentist",
        due_at="2026-12-08T17:00:00+01:00",
        priority="high",
        tags=["Health", "#errands", "health"],
    )
    assert task["due_at"] == "2026-12-08T16:00:00Z"
    assert task["priority"] == "high"
    assert task["tags"] == ["errands", "health"]
    fetched = await client.get(f"/api/{ann.id}/tasks/{task['id']}", headers=ann.headers)
    assert fetched.json() == task
    assert (await client.get(f"/api/{ann.id}/tasks", headers=ann.headers)).json() == [task]


async def test_an_old_client_s_task_gets_the_defaults(
    client: httpx.AsyncClient, sign_up: SignUp
) -> None:
    ann = await sign_up()
    task = await add(client, ann, title="Buy milk", description="2 litres")
    assert (task["due_at"], task["priority"], task["tags"]) == (None, "medium", [])
    renamed = await client.put(
        f"/api/{ann.id}/tasks/{task['id']}", json={"title": "Buy oat milk"}, headers=ann.headers
    )
    assert renamed.json() | {"updated_at": None} == task | {
        "title": "Buy oat milk",
        "updated_at": None,
    }


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"due_at": "2026-12-08T17:00:00"}, "due_at"),
        ({"due_at": "tomorrow"}, "due_at"),
        ({"priority": "urgent"}, "priority"),
        ({"tags": ["two words"]}, "tags"),
        ({"tags": ["x" * 33]}, "tags"),
        ({"tags": [f"t{n}" for n in range(11)]}, "tags"),
        ({"tags": "work"}, "tags"),
    ],
)
async def test_bad_planning_fields_are_a_422_that_names_the_field(
    client: httpx.AsyncClient, sign_up: SignUp, body: dict[str, Any], field: str
) -> None:
    ann = await sign_up()
    detail = await refused(client, ann, "POST", "", json={"title": "x", **body})
    assert field in detail
    assert await listed(client, ann) == []


async def test_an_update_changes_clears_and_replaces_each_field(
    client: httpx.AsyncClient, sign_up: SignUp
) -> None:
    ann = await sign_up()
    task = await add(client, ann, title="Report", due_at="2026-12-10T09:00:00Z", tags=["work"])
    url = f"/api/{ann.id}/tasks/{task['id']}"

    async def put(body: dict[str, Any]) -> dict[str, Any]:
        response = await client.put(url, json=body, headers=ann.headers)
        assert response.status_code == 200, response.text
        changed: dict[str, Any] = response.json()
        return changed

    moved = await put({"due_at": "2026-12-11T09:00:00-05:00", "priority": "low"})
    assert (moved["due_at"], moved["priority"], moved["tags"]) == (
        "2026-12-11T14:00:00Z",
        "low",
        ["work"],
    )
    retagged = await put({"tags": ["Home", "urgent"]})
    assert retagged["tags"] == ["home", "urgent"]
    assert retagged["due_at"] == "2026-12-11T14:00:00Z"
    cleared = await put({"due_at": None, "tags": []})
    assert (cleared["due_at"], cleared["tags"], cleared["priority"]) == (None, [], "low")
    assert "priority" in await refused(
        client, ann, "PUT", f"/{task['id']}", json={"priority": None}
    )
    missing = await client.put(
        f"/api/{ann.id}/tasks/999999", json={"tags": []}, headers=ann.headers
    )
    assert missing.status_code == 404


async def test_lists_filter_by_status_priority_tags_due_dates_and_words(
    client: httpx.AsyncClient, sign_up: SignUp
) -> None:
    ann, bob = await sign_up("Ann"), await sign_up("Bob")
    now = datetime.now(UTC)
    past, soon = (now - timedelta(days=1)).isoformat(), (now + timedelta(days=2)).isoformat()
    await add(client, ann, title="Renew passport", priority="high", tags=["travel"], due_at=past)
    await add(client, ann, title="Pack bags", tags=["travel", "home"], due_at=soon)
    await add(client, ann, title="Water plants", description="Balcony ones", tags=["home"])
    done = await add(client, ann, title="Old bill", priority="high", due_at=past)
    await client.patch(f"/api/{ann.id}/tasks/{done['id']}/complete", headers=ann.headers)
    await add(client, bob, title="Bob's passport", priority="high", tags=["travel"], due_at=past)

    assert await listed(client, ann, "?priority=high") == ["Old bill", "Renew passport"]
    assert await listed(client, ann, "?priority=high&priority=medium&status=pending") == [
        "Water plants",
        "Pack bags",
        "Renew passport",
    ]
    assert await listed(client, ann, "?tag=travel") == ["Pack bags", "Renew passport"]
    assert await listed(client, ann, "?tag=travel&tag=HOME") == ["Pack bags"]
    assert await listed(client, ann, "?tag=nothing") == []
    assert await listed(client, ann, "?overdue=true") == ["Renew passport"]
    before = now.replace(microsecond=0).isoformat().replace("+00:00", "Z")
    assert await listed(client, ann, f"?due_before={before}") == ["Old bill", "Renew passport"]
    assert await listed(client, ann, f"?due_after={before}") == ["Pack bags"]
    assert await listed(client, ann, "?q=PASSPORT") == ["Renew passport"]
    assert await listed(client, ann, "?q=balcony water") == ["Water plants"]
    assert await listed(client, ann, "?q=balcony passport") == []
    assert await listed(client, ann, "?q=100%25") == []


async def test_every_order_and_every_page_of_it(client: httpx.AsyncClient, sign_up: SignUp) -> None:
    ann = await sign_up()
    for title, priority, due_at in [
        ("beta", "low", "2026-12-09T10:00:00Z"),
        ("Alpha", "high", None),
        ("delta", "medium", "2026-12-08T10:00:00Z"),
        ("gamma", "high", "2026-12-09T10:00:00Z"),
        ("epsilon", "low", None),
    ]:
        await add(client, ann, title=title, priority=priority, due_at=due_at)
    expected = {
        "-created_at": ["epsilon", "gamma", "delta", "Alpha", "beta"],
        "created_at": ["beta", "Alpha", "delta", "gamma", "epsilon"],
        "due_at": ["delta", "beta", "gamma", "Alpha", "epsilon"],
        "-due_at": ["gamma", "beta", "delta", "epsilon", "Alpha"],
        "priority": ["beta", "epsilon", "delta", "Alpha", "gamma"],
        "-priority": ["gamma", "Alpha", "delta", "epsilon", "beta"],
        "title": ["Alpha", "beta", "delta", "epsilon", "gamma"],
    }
    for sort, titles in expected.items():
        assert await listed(client, ann, f"?sort={sort}") == titles, sort
        paged: list[str] = []
        url: str | None = f"/api/{ann.id}/tasks?sort={sort}&limit=2"
        while url is not None:
            response = await client.get(url, headers=ann.headers)
            assert response.status_code == 200, response.text
            paged += [task["title"] for task in response.json()]
            link = response.headers.get("link")
            url = link.split(";")[0].strip("<>") if link else None
        assert paged == titles, sort
    filtered = await client.get(
        f"/api/{ann.id}/tasks?sort=due_at&priority=low&limit=1", headers=ann.headers
    )
    assert [task["title"] for task in filtered.json()] == ["beta"]
    next_url = filtered.headers["link"].split(";")[0].strip("<>")
    assert "priority=low" in next_url
    following = await client.get(next_url, headers=ann.headers)
    assert [task["title"] for task in following.json()] == ["epsilon"]
    assert "link" not in following.headers


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("?sort=due", "sort"),
        ("?priority=urgent", "priority"),
        ("?tag=two%20words", "tag"),
        ("?due_before=2026-12-08T10:00:00", "due_before"),
        ("?due_after=soon", "due_after"),
        ("?overdue=maybe", "overdue"),
        ("?cursor=not-a-cursor", "cursor"),
        ("?sort=title&cursor=12", "cursor"),
        ("?q=" + "+".join(["w"] * 11), "q"),
    ],
)
async def test_bad_list_parameters_are_a_422_that_names_the_parameter(
    client: httpx.AsyncClient, sign_up: SignUp, query: str, parameter: str
) -> None:
    ann = await sign_up()
    await add(client, ann, title="x")
    assert parameter in await refused(client, ann, "GET", query)


async def test_a_user_s_time_zone_is_set_at_sign_up_changed_and_used_for_plain_dates(
    client: httpx.AsyncClient,
) -> None:
    signed_up = await client.post(
        "/api/auth/sign-up",
        json={
            "email": "tz@example.com",
            "password": "correct horse",
            "name": "Tz",
            "timezone": "Asia/Tokyo",
        },
    )
    assert signed_up.status_code == 201, signed_up.text
    body = signed_up.json()
    assert body["user"]["timezone"] == "Asia/Tokyo"
    tz = Account(body["user"]["id"], "tz@example.com", "correct horse", body["token"])
    # Midnight of 9 December in Tokyo is 15:00 UTC on the 8th.
    await add(client, tz, title="before", due_at="2026-12-08T14:59:00Z")
    await add(client, tz, title="after", due_at="2026-12-08T15:00:00Z")
    assert await listed(client, tz, "?due_before=2026-12-09") == ["before"]

    changed = await client.patch(
        "/api/auth/me", json={"timezone": "America/New_York"}, headers=tz.headers
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["timezone"] == "America/New_York"
    me = await client.get("/api/auth/me", headers=tz.headers)
    assert me.json()["timezone"] == "America/New_York"
    assert await listed(client, tz, "?due_before=2026-12-09") == ["after", "before"]

    for bad in ("Mars/Olympus", "../../etc/passwd", ""):
        refused_zone = await client.patch(
            "/api/auth/me", json={"timezone": bad}, headers=tz.headers
        )
        assert refused_zone.status_code == 422
        assert "timezone" in refused_zone.json()["detail"]
    bad_sign_up = await client.post(
        "/api/auth/sign-up",
        json={
            "email": "tz2@example.com",
            "password": "correct horse",
            "name": "T",
            "timezone": "X",
        },
    )
    assert bad_sign_up.status_code == 422
    assert "timezone" in bad_sign_up.json()["detail"]


async def test_a_new_account_s_time_zone_is_utc(client: httpx.AsyncClient, sign_up: SignUp) -> None:
    ann = await sign_up()
    me = await client.get("/api/auth/me", headers=ann.headers)
    assert me.json()["timezone"] == "UTC"
