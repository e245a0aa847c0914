"""Chat turns with the built-in agent on PostgreSQL: latency, throughput, server CPU per turn,
and the SQL each kind of turn sends.

A user with 100 tasks cycles through "add", "list" and "delete by name" turns, one turn at a
time (latency) and 8 at a time (throughput), spread over many conversations so that none
reaches its message quota. With BENCH_BASELINE=<git revision> the backend as it was at that
revision runs too, in alternating rounds, as in backend_bench.py.

The SQL per turn is counted in-process by sql_count.py (statements and round trips, at the
driver), for this tree and for the baseline."""

import json
import os
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from backend_bench import Tally, Target, run_with_uvloop
from loadgen import LoadResult, run_load

from benchkit import (
    ROUNDS,
    SECONDS,
    CodeTree,
    backend_server,
    call,
    codes_to_measure,
    temporary_database,
    user_with_tasks,
)

CONVERSATIONS = 90  # of the 100 a user may keep
TURNS_PER_CONVERSATION = 200  # 400 messages: under the default quota of 500
SCENARIOS = [("chat turn (add/list/delete), 1 client", 1), ("chat turn, 8 clients", 8)]


def turns(target: Target, first: int) -> Any:
    """Turn n of a run is turn first + n of the target: each conversation gets its share."""
    user_id, _ = target.list_user
    path = f"/api/{user_id}/chat"

    def turn(n: int) -> tuple[str, str, bytes]:
        n += first
        item = f"bench item {n // 3}"
        message = [f"Add a task to {item}", "Show my tasks", f"Delete the {item} task"][n % 3]
        conversation = target.conversations[n // TURNS_PER_CONVERSATION % CONVERSATIONS]
        body = json.dumps({"message": message, "conversation_id": conversation})
        return "POST", path, body.encode()

    return turn


async def _load(target: Target, clients: int, seconds: float) -> tuple[LoadResult, float]:
    cpu_before = target.server.cpu_seconds()
    first = target.turns_sent
    result = await run_load(
        target.label,
        target.server.url,
        turns(target, first),
        headers={"Authorization": f"Bearer {target.list_user[1]}"},
        concurrency=clients,
        seconds=seconds,
    )
    target.turns_sent += len(result.latencies_ms) + result.errors + clients  # + those cut off
    return result, target.server.cpu_seconds() - cpu_before


async def measure(targets: list[Target]) -> dict[str, dict[str, Tally]]:
    tallies: dict[str, dict[str, Tally]] = {}
    for name, clients in SCENARIOS:
        for target in targets:
            await _load(target, clients, 1.0)  # warm-up
        tallies[name] = {target.label: Tally() for target in targets}
        for round_number in range(ROUNDS):
            order = targets if round_number % 2 == 0 else targets[::-1]
            for target in order:
                result, cpu = await _load(target, clients, SECONDS / ROUNDS)
                tallies[name][target.label].add(result, cpu)
    return tallies


def _chat_target(stack: ExitStack, code: CodeTree) -> Target:
    database_url = stack.enter_context(temporary_database())
    server = stack.enter_context(backend_server(database_url, code=code))
    target = Target(code.label, server, rss_at_start_mb=server.rss_mb())
    target.list_user = user_with_tasks(server.url, 100)
    user_id, token = target.list_user
    for _ in range(CONVERSATIONS):
        first = call(server.url, "POST", f"/api/{user_id}/chat", {"message": "hello"}, token)
        target.conversations.append(first["conversation_id"])
    return target


def count_sql(code: CodeTree) -> dict[str, dict[str, int]]:
    """sql_count.py for `code`, on a database of its own."""
    with temporary_database() as database_url:
        output = subprocess.run(
            [sys.executable, str(Path(__file__).with_name("sql_count.py")), database_url],
            env={**os.environ, **code.environment()},
            cwd=code.root,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    figures: dict[str, dict[str, int]] = json.loads(output)
    return figures


def report(tallies: dict[str, dict[str, Tally]], sql: dict[str, dict[str, dict[str, int]]]) -> None:
    print(
        f"chat with the built-in agent on PostgreSQL, user with 100+ tasks; {ROUNDS} "
        f"alternating rounds, {SECONDS:.0f} s per server and scenario"
    )
    header = (
        f"  {'':<22} {'turns/s':>8} {'CPU ms/turn':>12} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}"
    )
    for scenario, by_target in tallies.items():
        print(f"\n{scenario}\n{header}")
        for label, tally in by_target.items():
            print(
                f"  {label:<22} {tally.requests_per_second:8.1f} {tally.cpu_ms_per_request:12.3f}"
                f" {tally.percentile(50):8.1f} {tally.percentile(99):8.1f} {tally.errors:7d}"
            )
    labels = list(sql)
    print("\nSQL per request, counted at the driver: statements / round trips (BEGIN, COMMIT...)")
    print(f"  {'':<36}" + "".join(f" {label:>20}" for label in labels))
    for kind in sql[labels[0]]:
        cells = "".join(
            f" {sql[label][kind]['statements']:>10} / {sql[label][kind]['round trips']:<7}"
            for label in labels
        )
        print(f"  {kind:<36}{cells}")


def main() -> None:
    with ExitStack() as stack:
        codes = codes_to_measure(stack)
        sql = {code.label: count_sql(code) for code in codes}
        targets = [_chat_target(stack, code) for code in codes]
        time.sleep(1)
        tallies = run_with_uvloop(measure(targets))
    report(tallies, sql)


if __name__ == "__main__":
    main()
