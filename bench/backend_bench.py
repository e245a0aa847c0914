"""Backend throughput, latency and CPU per request, side by side with a bare endpoint.

Four scenarios, 16 concurrent keep-alive clients: listing a user's 100 tasks, a filtered and
sorted page of another user's 1,000 planned tasks (due dates, priorities, tags; this tree only,
as a baseline before them has no such filters), creating a task and the liveness probe (the
fixed cost of every request). Each server is a process of its own
(one uvicorn worker); the servers take turns, in alternating order, for BENCH_ALTERNATIONS
rounds, so drift on the machine (another process, a CPU's clock) falls on all of them alike.

- `ours`: the backend of this working tree.
- `bare endpoint`: `bare_endpoint.py`, the floor: one Starlette route that verifies the token,
  runs one asyncpg SELECT and writes orjson, on the same database. The list's "vs bare" column
  is our throughput as a fraction of its throughput.
- `before (<rev>)`: with BENCH_BASELINE=<git revision>, the backend as it was at that revision,
  run from the same virtual environment, for before-and-after figures from one run.

Per server and scenario: requests per second, the server's CPU time per request (user and
system time of its process from /proc, so the load generator's own CPU is not counted), the
latency percentiles and the errors; and each server's resident memory when idle, on a
database migrated beforehand (as every start of a deployment but its first finds it).

The load generator is loadgen.py on uvloop (no wrk needed): on a small machine it shares the
CPUs with the servers and PostgreSQL, which is why the servers take turns rather than run at
once.

Run: `make bench` (or `uv run python bench/backend_bench.py`) with TEST_DATABASE_URL or
BENCH_DATABASE_URL pointing at PostgreSQL. BENCH_SECONDS is the time per server and scenario
(default 15), split over BENCH_ALTERNATIONS rounds (default 5); BENCH_ONLY=list (or create, or
liveness) runs only the scenarios whose name contains it."""

import asyncio
import os
import time
from collections.abc import Callable, Coroutine, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from loadgen import HeadersFactory, LoadResult, RequestFactory, run_load

from benchkit import (
    BENCH_SECRET,
    CURRENT,
    ROUNDS,
    SECONDS,
    CodeTree,
    Server,
    backend_server,
    call,
    code_at,
    migrate,
    running_server,
    temporary_database,
    user_with_tasks,
)

CONCURRENCY = 16
WARM_UP_SECONDS = 1.0
TASKS = 100
CREATE_USERS = CONCURRENCY  # each create goes to the next of them: no user nears a quota
PLANNED_TASKS = 1000
# A third of them high, a third medium; every other one tagged "work": some 330 match.
PLANNED_QUERY = "?tag=work&priority=high&priority=medium&sort=due_at&limit=100"
BARE = "bare endpoint"
T = TypeVar("T")


@dataclass
class Target:
    """One server under load and the users it serves."""

    label: str
    server: Server
    list_user: tuple[str, str] = ("", "")  # (user id, token)
    planned_user: tuple[str, str] = ("", "")
    create_users: list[tuple[str, str]] = field(default_factory=list)
    conversations: list[int] = field(default_factory=list)  # chat_bench's
    turns_sent: int = 0  # chat_bench's
    rss_at_start_mb: float = 0.0

    @property
    def is_ours(self) -> bool:
        return self.label == CURRENT.label


@dataclass
class Tally:
    """What one server did in one scenario, summed over the rounds."""

    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0

    def add(self, result: LoadResult, cpu_seconds: float) -> None:
        self.latencies_ms += result.latencies_ms
        self.errors += result.errors
        self.seconds += result.seconds
        self.cpu_seconds += cpu_seconds

    @property
    def requests_per_second(self) -> float:
        return len(self.latencies_ms) / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms_per_request(self) -> float:
        return 1000 * self.cpu_seconds / max(1, len(self.latencies_ms) + self.errors)

    def percentile(self, q: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


@dataclass(frozen=True)
class Scenario:
    name: str
    expected_status: int
    request: Callable[[Target], RequestFactory]
    headers: Callable[[Target], HeadersFactory]
    for_bare: bool = True
    for_baseline: bool = True


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


SCENARIOS = [
    Scenario(
        f"list {TASKS} tasks (GET /api/{{user_id}}/tasks)",
        200,
        lambda t: lambda n: ("GET", f"/api/{t.list_user[0]}/tasks", b""),
        lambda t: lambda n: _bearer(t.list_user[1]),
    ),
    Scenario(
        f"filtered, sorted page of {PLANNED_TASKS} planned tasks (GET ...{PLANNED_QUERY})",
        200,
        lambda t: lambda n: ("GET", f"/api/{t.planned_user[0]}/tasks{PLANNED_QUERY}", b""),
        lambda t: lambda n: _bearer(t.planned_user[1]),
        for_bare=False,
        for_baseline=False,
    ),
    Scenario(
        "create a task (POST /api/{user_id}/tasks)",
        201,
        lambda t: (
            lambda n: (
                "POST",
                f"/api/{t.create_users[n % CREATE_USERS][0]}/tasks",
                f'{{"title": "Load task {n}"}}'.encode(),
            )
        ),
        lambda t: lambda n: _bearer(t.create_users[n % CREATE_USERS][1]),
        for_bare=False,
    ),
    Scenario(
        "liveness (GET /api/health/live)",
        200,
        lambda t: lambda n: ("GET", "/api/health/live", b""),
        lambda t: lambda n: {},
    ),
]


async def _load(target: Target, scenario: Scenario, seconds: float) -> tuple[LoadResult, float]:
    cpu_before = target.server.cpu_seconds()
    result = await run_load(
        target.label,
        target.server.url,
        scenario.request(target),
        headers={},
        headers_for=scenario.headers(target),
        concurrency=CONCURRENCY,
        seconds=seconds,
        expected_status=scenario.expected_status,
    )
    return result, target.server.cpu_seconds() - cpu_before


async def measure(targets: list[Target]) -> dict[str, dict[str, Tally]]:
    tallies: dict[str, dict[str, Tally]] = {}
    only = os.environ.get("BENCH_ONLY", "")  # e.g. "list": the scenarios whose name has it
    for scenario in (s for s in SCENARIOS if only in s.name):
        runners = [
            t
            for t in targets
            if (scenario.for_bare if t.label == BARE else scenario.for_baseline or t.is_ours)
        ]
        for target in runners:
            await _load(target, scenario, WARM_UP_SECONDS)
        tallies[scenario.name] = {t.label: Tally() for t in runners}
        for round_number in range(ROUNDS):
            order = runners if round_number % 2 == 0 else runners[::-1]
            for target in order:
                result, cpu = await _load(target, scenario, SECONDS / ROUNDS)
                tallies[scenario.name][target.label].add(result, cpu)
    return tallies


def run_with_uvloop(main: Coroutine[Any, Any, T]) -> T:
    """The load generator on uvloop where installed: a leaner client leaves the server more of
    a small machine."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)


def report(targets: list[Target], tallies: dict[str, dict[str, Tally]]) -> None:
    print(
        f"PostgreSQL, one uvicorn worker per server, {CONCURRENCY} concurrent clients; "
        f"{ROUNDS} alternating rounds, {SECONDS:.0f} s per server and scenario"
    )
    header = (
        f"  {'':<22} {'req/s':>8} {'CPU ms/req':>11} {'p50 ms':>8} {'p99 ms':>8}"
        f" {'errors':>7} {'vs bare':>8}"
    )
    for scenario, by_target in tallies.items():
        print(f"\n{scenario}\n{header}")
        bare = by_target.get(BARE)
        for label, tally in by_target.items():
            ratio = (
                f"{tally.requests_per_second / bare.requests_per_second:7.2f}x"
                if bare and bare.requests_per_second and label != BARE
                else ""
            )
            print(
                f"  {label:<22} {tally.requests_per_second:8.0f} {tally.cpu_ms_per_request:11.3f}"
                f" {tally.percentile(50):8.1f} {tally.percentile(99):8.1f}"
                f" {tally.errors:7d} {ratio:>8}"
            )
    print("\nresident memory (RSS): idle after start (schema up to date) / after the bench")
    for target in targets:
        print(
            f"  {target.label:<22} {target.rss_at_start_mb:6.1f} MB / "
            f"{target.server.rss_mb():6.1f} MB"
        )


@contextmanager
def running_bare(database_url: str) -> Iterator[Server]:
    script = str(Path(__file__).with_name("bare_endpoint.py"))
    env = {"DATABASE_URL": database_url, "BETTER_AUTH_SECRET": BENCH_SECRET}
    with running_server([script], env) as server:
        yield server


def _planned_task(number: int) -> dict[str, Any]:
    return {
        "title": f"Planned task {number}",
        "due_at": f"2027-{number % 12 + 1:02}-{number % 28 + 1:02}T09:00:00Z",
        "priority": ("low", "medium", "high")[number % 3],
        "tags": ["work", "q1"] if number % 2 else ["home"],
    }


def _backend_target(stack: ExitStack, code: CodeTree) -> tuple[Target, str]:
    database_url = stack.enter_context(temporary_database())
    migrate(database_url, code=code)  # the server starts as on a database it has seen before
    # Many creates per user in a run: the task quota is raised, not hit.
    server = stack.enter_context(
        backend_server(database_url, code=code, MAX_TASKS_PER_USER="1000000")
    )
    time.sleep(1)  # settled: what it holds when idle
    target = Target(code.label, server, rss_at_start_mb=server.rss_mb())
    target.list_user = user_with_tasks(server.url, TASKS)
    if code is CURRENT:
        target.planned_user = user_with_tasks(server.url, PLANNED_TASKS, _planned_task)
    for number in range(CREATE_USERS):
        auth = call(
            server.url,
            "POST",
            "/api/auth/sign-up",
            {"email": f"creator-{number}@example.com", "password": "bench-pw", "name": "C"},
        )
        target.create_users.append((auth["user"]["id"], auth["token"]))
    return target, database_url


def main() -> None:
    baseline = os.environ.get("BENCH_BASELINE", "")
    with ExitStack() as stack:
        ours, database_url = _backend_target(stack, CURRENT)
        targets = [ours]
        if baseline:
            targets.append(_backend_target(stack, stack.enter_context(code_at(baseline)))[0])
        # The floor reads our database, with the same user and token.
        bare_server = stack.enter_context(running_bare(database_url))
        time.sleep(1)
        bare = Target(BARE, bare_server, ours.list_user, rss_at_start_mb=bare_server.rss_mb())
        targets.append(bare)
        tallies = run_with_uvloop(measure(targets))
        report(targets, tallies)


if __name__ == "__main__":
    main()
