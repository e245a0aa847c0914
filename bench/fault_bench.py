"""Load with a fault: simulated users sign in, create, list, complete and delete tasks and chat,
while PostgreSQL is cut behind a TCP proxy for a few seconds in the middle.

Outside the outage every request must succeed; inside it only fast 503s with Retry-After (or
successes) are allowed, never a hang past the client's timeout; afterwards the same process
serves again. `make bench` runs the full form (50 users, 60 s, a 5 s outage) and prints the
figures; backend/tests/test_fault_load.py runs a short form."""

import asyncio
import statistics
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy.engine import make_url

from benchkit import backend_env, running_service, temporary_database
from tcpproxy import ThreadedTcpProxy

CLIENT_TIMEOUT = 10.0  # seconds: a request slower than this is a hang


@dataclass(frozen=True)
class Outcome:
    name: str
    started: float
    ended: float
    status: int  # 0: no usable response (timeout, connection error, a body that is not JSON)
    retry_after: bool
    problem: str = ""  # what went wrong when status is 0

    @property
    def seconds(self) -> float:
        return self.ended - self.started


@dataclass
class FaultReport:
    outcomes: list[Outcome] = field(default_factory=list)
    cut_at: float = 0.0
    restored_at: float = 0.0

    def during_outage(self, outcome: Outcome) -> bool:
        return outcome.started < self.restored_at and outcome.ended > self.cut_at

    @property
    def errors_outside(self) -> list[Outcome]:
        return [o for o in self.outcomes if not self.during_outage(o) and not 200 <= o.status < 300]

    @property
    def wrong_inside(self) -> list[Outcome]:
        """Inside the outage: anything but a success or a 503 with Retry-After."""
        return [
            o
            for o in self.outcomes
            if self.during_outage(o)
            and not (200 <= o.status < 300 or (o.status == 503 and o.retry_after))
        ]

    @property
    def unavailable(self) -> int:
        return sum(o.status == 503 for o in self.outcomes)

    @property
    def successes_after(self) -> int:
        return sum(o.started > self.restored_at and 200 <= o.status < 300 for o in self.outcomes)

    def percentile_ms(self, q: float) -> float:
        ordered = sorted(o.seconds * 1000 for o in self.outcomes)
        return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]

    def summary(self) -> str:
        slowest_503 = max((o.seconds for o in self.outcomes if o.status == 503), default=0.0)
        return (
            f"{len(self.outcomes)} requests  p50 {self.percentile_ms(50):.1f} ms"
            f"  p99 {self.percentile_ms(99):.1f} ms"
            f"  mean {statistics.fmean(o.seconds * 1000 for o in self.outcomes):.1f} ms\n"
            f"outage {self.restored_at - self.cut_at:.1f} s: {self.unavailable} fast 503s"
            f" (slowest {slowest_503 * 1000:.0f} ms), {len(self.wrong_inside)} other failures;"
            f" errors outside the outage: {len(self.errors_outside)};"
            f" successes after it: {self.successes_after}"
        )


class _User:
    """One simulated user: signs in once, then repeats create, list, complete, delete, chat."""

    def __init__(self, client: httpx.AsyncClient, report: FaultReport) -> None:
        self.client = client
        self.report = report
        self.email = f"load-{uuid.uuid4().hex[:10]}@example.com"
        self.user_id = ""
        self.headers: dict[str, str] = {}

    async def request(
        self, name: str, method: str, path: str, body: object = None
    ) -> dict[str, Any]:
        """Make one request and record its outcome; returns a successful answer's JSON."""
        started = time.monotonic()
        problem = ""
        try:
            response = await self.client.request(method, path, json=body, headers=self.headers)
            status, retry_after = response.status_code, "retry-after" in response.headers
            payload = response.json() if response.content else {}
        except (httpx.HTTPError, ValueError) as error:
            status, retry_after, payload = 0, False, {}
            problem = f"{type(error).__name__}: {error}"[:200]
        self.report.outcomes.append(
            Outcome(name, started, time.monotonic(), status, retry_after, problem)
        )
        return payload if isinstance(payload, dict) and 200 <= status < 300 else {}

    async def sign_up(self, gate: asyncio.Semaphore) -> None:
        """Not part of the measured load: a few at a time, with time for password hashing."""
        body = {"email": self.email, "password": "load-password", "name": "Load"}
        async with gate:
            response = await self.client.post("/api/auth/sign-up", json=body, timeout=120)
        response.raise_for_status()
        self.user_id = response.json()["user"]["id"]

    async def run(self, arrival: float, deadline: float) -> None:
        await asyncio.sleep(arrival)  # users arrive one after another, as people do
        signed = await self.request(
            "sign-in",
            "POST",
            "/api/auth/sign-in",
            {"email": self.email, "password": "load-password"},
        )
        while not signed and time.monotonic() < deadline:  # signed in during the outage
            signed = await self.request(
                "sign-in",
                "POST",
                "/api/auth/sign-in",
                {"email": self.email, "password": "load-password"},
            )
        self.headers = {"Authorization": f"Bearer {signed.get('token', '')}"}
        tasks = f"/api/{self.user_id}/tasks"
        while time.monotonic() < deadline:
            created = await self.request("create", "POST", tasks, {"title": "Load test task"})
            await self.request("list", "GET", tasks)
            if "id" in created:
                await self.request("complete", "PATCH", f"{tasks}/{created['id']}/complete")
                await self.request("delete", "DELETE", f"{tasks}/{created['id']}")
            await self.request(
                "chat", "POST", f"/api/{self.user_id}/chat", {"message": "What's pending?"}
            )


async def _outage(
    proxy: ThreadedTcpProxy, report: FaultReport, *, at: float, seconds: float
) -> None:
    await asyncio.sleep(at)  # the fault is scheduled, not awaited on a condition
    # The window opens as the cut begins and closes once the restore is done: a request that
    # meets the cut while it is under way is inside it.
    report.cut_at = time.monotonic()
    await asyncio.to_thread(proxy.cut)
    await asyncio.sleep(seconds)
    await asyncio.to_thread(proxy.start)
    report.restored_at = time.monotonic()


async def run_fault_load(
    base_url: str, proxy: ThreadedTcpProxy, *, users: int, seconds: float, outage: float
) -> FaultReport:
    """`users` users for `seconds`, the database cut for `outage` seconds in the middle."""
    report = FaultReport()
    # Idle connections expire before the server's 5 s keep-alive does: with equal timeouts a
    # request sent just as the server closes its idle connection fails (a client-side race).
    limits = httpx.Limits(
        max_connections=users, max_keepalive_connections=users, keepalive_expiry=2.0
    )
    async with httpx.AsyncClient(
        base_url=base_url, timeout=CLIENT_TIMEOUT, limits=limits
    ) as client:
        people = [_User(client, report) for _ in range(users)]
        gate = asyncio.Semaphore(4)
        await asyncio.gather(*(person.sign_up(gate) for person in people))
        deadline = time.monotonic() + seconds
        fault = _outage(proxy, report, at=(seconds - outage) / 2, seconds=outage)
        ramp = min(5.0, seconds / 5) / users  # all arrived within the first 20 % (<= 5 s)
        await asyncio.gather(
            fault, *(person.run(number * ramp, deadline) for number, person in enumerate(people))
        )
    return report


@contextmanager
def backend_behind_a_proxy(database_url: str) -> Iterator[tuple[str, ThreadedTcpProxy]]:
    """The backend (built-in agent) reaching `database_url` through a proxy that can be cut."""
    real = make_url(database_url)
    proxy = ThreadedTcpProxy(real.host or "127.0.0.1", real.port or 5432)
    proxy.start()
    through = database_url.replace(f":{real.port}/", f":{proxy.port}/")
    env = backend_env(through)  # the same limits lifted as every benchmark
    try:
        with running_service("todo_backend.cli", env) as base_url:
            yield base_url, proxy
    finally:
        proxy.close()


def main() -> None:
    with (
        temporary_database() as database_url,
        backend_behind_a_proxy(database_url) as (
            base_url,
            proxy,
        ),
    ):
        report = asyncio.run(run_fault_load(base_url, proxy, users=50, seconds=60, outage=5))
    print("load with a 5 s database outage, 50 users, 60 s")
    print(report.summary())
    for outcome in [*report.errors_outside, *report.wrong_inside][:10]:
        when = outcome.started - report.cut_at
        print(f"  failed: {outcome.name} {when:+.1f} s from the cut, {outcome}")


if __name__ == "__main__":
    main()
