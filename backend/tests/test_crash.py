"""kill -9 during load loses nothing: every write the client saw acknowledged (2xx) is in the
database after a restart, and no write the client saw refused is. Requests cut off by the kill
have no answer; either outcome is allowed for them."""

import asyncio
import signal
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from backend_testkit import TEST_SECRET
from testkit import Service, run_service

pytestmark = pytest.mark.postgres

USERS = 10
KILL_AFTER_CREATES = 100  # acknowledged creates before the kill


@dataclass
class ClientLog:
    """What the client saw: acknowledged and refused writes, by the task's unique title."""

    created: dict[str, int] = field(default_factory=dict)  # title -> id
    completed: set[int] = field(default_factory=set)
    deleted: set[int] = field(default_factory=set)
    delete_sent: set[int] = field(default_factory=set)  # acknowledged or cut off by the kill
    refused_titles: set[str] = field(default_factory=set)
    enough: asyncio.Event = field(default_factory=asyncio.Event)  # time for the crash


async def work(client: httpx.AsyncClient, account: dict[str, str], log: ClientLog) -> None:
    """Create, complete and (every other one) delete tasks until the backend is gone."""
    headers = {"Authorization": f"Bearer {account['token']}"}
    tasks = f"/api/{account['id']}/tasks"
    number = 0
    try:
        while True:
            number += 1
            title = f"{account['id'][:6]} {number} {uuid.uuid4().hex[:6]}"
            created = await client.post(tasks, json={"title": title}, headers=headers)
            if created.status_code != 201:
                log.refused_titles.add(title)
                continue
            task_id = created.json()["id"]
            log.created[title] = task_id
            if len(log.created) >= KILL_AFTER_CREATES:
                log.enough.set()
            if (await client.patch(f"{tasks}/{task_id}/complete", headers=headers)).is_success:
                log.completed.add(task_id)
            if number % 2:
                log.delete_sent.add(task_id)
                deleted = await client.delete(f"{tasks}/{task_id}", headers=headers)
                if deleted.is_success:
                    log.deleted.add(task_id)
    except httpx.HTTPError:
        return  # the kill: this request has no answer


def sign_up(service: Service) -> dict[str, str]:
    body = {"email": f"crash-{uuid.uuid4().hex[:8]}@example.com", "password": "crash-pass-1"}
    answer = httpx.post(f"{service.url}/api/auth/sign-up", json={**body, "name": "C"}).json()
    return {"id": answer["user"]["id"], "token": answer["token"]}


async def load_then_kill(service: Service, accounts: list[dict[str, str]], log: ClientLog) -> None:
    async with httpx.AsyncClient(base_url=service.url, timeout=10) as client:
        workers = [asyncio.create_task(work(client, account, log)) for account in accounts]
        await asyncio.wait_for(log.enough.wait(), timeout=60)
        service.process.send_signal(signal.SIGKILL)
        await asyncio.gather(*workers)


def test_kill_9_under_load_loses_no_acknowledged_write(
    fresh_postgres_url: str, tmp_path: Path
) -> None:
    env = {"DATABASE_URL": fresh_postgres_url, "BETTER_AUTH_SECRET": TEST_SECRET}
    log = ClientLog()
    with run_service("todo-backend", env, tmp_path / "first.log") as first:
        accounts = [sign_up(first) for _ in range(USERS)]
        asyncio.run(load_then_kill(first, accounts, log))
        assert first.process.wait(timeout=10) == -signal.SIGKILL

    with run_service("todo-backend", env, tmp_path / "second.log") as second:
        stored: dict[str, dict[str, object]] = {}
        for account in accounts:
            listed = httpx.get(
                f"{second.url}/api/{account['id']}/tasks",
                headers={"Authorization": f"Bearer {account['token']}"},
            )
            stored.update({task["title"]: task for task in listed.json()})
    for title, task_id in log.created.items():
        if task_id in log.deleted:
            assert title not in stored, f"acknowledged delete of {title!r} was lost"
        elif title in stored or task_id not in log.delete_sent:  # a delete cut off by the kill
            assert title in stored, f"acknowledged create of {title!r} was lost"
            if task_id in log.completed:
                assert stored[title]["completed"] is True
    assert not log.refused_titles & set(stored), "a refused create was stored"
    print(
        f"crash: {len(log.created)} creates, {len(log.completed)} completes and "
        f"{len(log.deleted)} deletes acknowledged before kill -9; all as acknowledged after"
    )
