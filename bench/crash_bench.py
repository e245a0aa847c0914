"""kill -9 under load loses nothing. Simulated users create, complete and delete tasks; midway
the backend is killed with SIGKILL and started again on the same port, and the users carry on.
Then the client's log is compared with the rows:
- every write the client saw acknowledged (2xx) is in the database;
- no task whose create the client saw refused is.
Requests cut off by the kill have no answer; either outcome is allowed for them.

`make bench` runs the full form (50 users, 60 s, the kill at 30 s) and prints the figures;
backend/tests/test_crash.py runs a short one."""

import asyncio
import signal
import subprocess
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from benchkit import (
    SERVE_BACKEND,
    backend_env,
    free_port,
    start_process,
    temporary_database,
    wait_ready,
)

CLIENT_TIMEOUT = 10.0  # seconds
RETRY_PAUSE = 0.05  # seconds between a user's attempts while the backend is down


@dataclass
class ClientLog:
    """What the clients saw, by each task's unique title and id."""

    created: dict[str, int] = field(default_factory=dict)  # acknowledged: title -> id
    completed: set[int] = field(default_factory=set)  # acknowledged
    deleted: set[int] = field(default_factory=set)  # acknowledged
    maybe_deleted: set[int] = field(default_factory=set)  # a delete without an answer
    refused_titles: set[str] = field(default_factory=set)  # a create answered with an error
    unanswered: int = 0  # requests cut off by the kill or sent while the backend was down
    acknowledged: int = 0

    def record(self, answered: bool) -> None:
        if answered:
            self.acknowledged += 1
        else:
            self.unanswered += 1


@dataclass(frozen=True)
class CrashReport:
    log: ClientLog
    acknowledged_before_kill: int
    down_seconds: float  # from the kill to the restarted backend answering
    lost: list[str]  # acknowledged writes missing afterwards
    phantoms: list[str]  # refused creates stored anyway

    def summary(self) -> str:
        log = self.log
        return (
            f"acknowledged before kill -9: {self.acknowledged_before_kill} writes; in all "
            f"{len(log.created)} creates, {len(log.completed)} completes, {len(log.deleted)} "
            f"deletes; {log.unanswered} requests unanswered (down {self.down_seconds:.1f} s)\n"
            f"afterwards: {len(self.lost)} acknowledged writes lost, "
            f"{len(self.phantoms)} refused creates stored"
        )


@dataclass
class Account:
    user_id: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def _answer(
    client: httpx.AsyncClient, method: str, path: str, account: Account, body: object = None
) -> httpx.Response | None:
    """One request; None when it got no answer (the backend killed or not yet back)."""
    try:
        return await client.request(method, path, json=body, headers=account.headers)
    except httpx.HTTPError:
        await asyncio.sleep(RETRY_PAUSE)
        return None


async def _user(
    client: httpx.AsyncClient, number: int, account: Account, log: ClientLog, deadline: float
) -> None:
    """Create a task, complete it, and delete every other one, until the deadline."""
    tasks = f"/api/{account.user_id}/tasks"
    made = 0
    while time.monotonic() < deadline:
        made += 1
        title = f"Crash task {number}-{made}"
        created = await _answer(client, "POST", tasks, account, {"title": title})
        log.record(created is not None)
        if created is None:
            continue
        if created.status_code != 201:
            log.refused_titles.add(title)
            continue
        task_id: int = created.json()["id"]
        log.created[title] = task_id
        completed = await _answer(client, "PATCH", f"{tasks}/{task_id}/complete", account)
        log.record(completed is not None)
        if completed is not None and completed.status_code == 200:
            log.completed.add(task_id)
        if made % 2:
            continue
        deleted = await _answer(client, "DELETE", f"{tasks}/{task_id}", account)
        log.record(deleted is not None)
        if deleted is None:
            log.maybe_deleted.add(task_id)
        elif deleted.status_code == 204:
            log.deleted.add(task_id)


def _check(log: ClientLog, stored: dict[str, dict[str, Any]]) -> tuple[list[str], list[str]]:
    """The acknowledged writes missing from `stored`, and the refused creates found in it."""
    lost = []
    for title, task_id in log.created.items():
        if task_id in log.deleted:
            if title in stored:
                lost.append(f"delete of {title!r}")
        elif title not in stored:
            if task_id not in log.maybe_deleted:
                lost.append(f"create of {title!r}")
        elif task_id in log.completed and stored[title]["completed"] is not True:
            lost.append(f"complete of {title!r}")
    phantoms = sorted(log.refused_titles & set(stored))
    return lost, phantoms


class Backend:
    """The backend process on a fixed port, so that users reach it again after a restart."""

    def __init__(self, database_url: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**backend_env(database_url), "LOG_LEVEL": "warning"}
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = start_process(SERVE_BACKEND, self.env, self.port)
        wait_ready(self.process, self.url)

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


async def _sign_up(client: httpx.AsyncClient, number: int) -> Account:
    body = {"email": f"crash-{number}-{time.time_ns()}@example.com", "password": "crash-pass-1"}
    answer = await client.post("/api/auth/sign-up", json={**body, "name": "C"}, timeout=120)
    answer.raise_for_status()
    return Account(answer.json()["user"]["id"], answer.json()["token"])


async def _stored_tasks(client: httpx.AsyncClient, accounts: list[Account]) -> dict[str, Any]:
    stored: dict[str, Any] = {}
    for account in accounts:
        listed = await client.get(f"/api/{account.user_id}/tasks", headers=account.headers)
        listed.raise_for_status()
        stored.update({task["title"]: task for task in listed.json()})
    return stored


async def run_crash(
    database_url: str, *, users: int, seconds: float, kill_at: float
) -> CrashReport:
    """`users` users for `seconds`; the backend is killed at `kill_at` and started again."""
    backend = Backend(database_url)
    log = ClientLog()
    await asyncio.to_thread(backend.start)
    try:
        async with httpx.AsyncClient(base_url=backend.url, timeout=CLIENT_TIMEOUT) as client:
            gate = asyncio.Semaphore(4)

            async def sign_up(number: int) -> Account:
                async with gate:  # password hashing is slow on purpose
                    return await _sign_up(client, number)

            accounts = await asyncio.gather(*(sign_up(n) for n in range(users)))
            deadline = time.monotonic() + seconds
            load = [
                asyncio.create_task(_user(client, n, account, log, deadline))
                for n, account in enumerate(accounts)
            ]
            await asyncio.sleep(kill_at)  # the fault is scheduled, not awaited on a condition
            acknowledged_before_kill = log.acknowledged
            killed_at = time.monotonic()
            await asyncio.to_thread(backend.kill)
            await asyncio.to_thread(backend.start)
            down_seconds = time.monotonic() - killed_at
            await asyncio.gather(*load)
            stored = await _stored_tasks(client, list(accounts))
    finally:
        backend.stop()
    lost, phantoms = _check(log, stored)
    return CrashReport(log, acknowledged_before_kill, down_seconds, lost, phantoms)


def main() -> None:
    with temporary_database() as database_url:
        report = asyncio.run(run_crash(database_url, users=50, seconds=60, kill_at=30))
    print("kill -9 under load, 50 users, 60 s, killed at 30 s and started again")
    print(report.summary())
    for problem in [*report.lost, *report.phantoms][:10]:
        print("  lost or phantom:", problem)


if __name__ == "__main__":
    main()
