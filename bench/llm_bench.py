"""Chat turns with the LLM agent, against the scripted OpenAI-compatible model server of the
tests (backend/tests/openai_test_server.py): the server's CPU and the wall time of a turn
when the model costs next to nothing, so what is left is the backend's own work.

Each turn asks to complete one of the user's tasks; the scripted model answers with two tool
calls at once (list_tasks and complete_task, which the Agents SDK runs concurrently), then
with a sentence once it has their results: two model calls and two tool calls per turn. One
client sends turns one after another over conversations that stay under the message quota.
With BENCH_BASELINE=<git revision> the backend as it was at that revision runs too, in
alternating rounds, as in backend_bench.py.

The model server runs in a thread of this process, so its CPU is not counted as the backend's."""

import json
import re
import sys
import time
from contextlib import ExitStack
from typing import Any

from backend_bench import Tally, Target, run_with_uvloop
from loadgen import LoadResult, run_load

from benchkit import (
    REPOSITORY,
    ROUNDS,
    SECONDS,
    CodeTree,
    backend_server,
    call,
    codes_to_measure,
    temporary_database,
    user_with_tasks,
)

sys.path.append(str(REPOSITORY / "backend" / "tests"))  # the tests' scripted model server
from openai_test_server import (
    OpenAITestServer,
    Reply,
    ToolCall,
    last_message,
    text_of,
    user_id_from,
)

CONVERSATIONS = 10
TURNS_PER_CONVERSATION = 200  # 400 messages: under the default quota of 500
SCENARIO = "LLM turn (2 model calls, 2 tool calls), 1 client"


def list_and_complete(body: dict[str, Any]) -> Reply:
    """The scripted model: for "Complete task N", list the tasks and complete N at once; then,
    shown their results, say so."""
    last = last_message(body)
    if last["role"] == "tool":
        return Reply(text="Done: the task is completed.")
    user_id = user_id_from(body)
    match = re.search(r"\d+", text_of(last))
    assert match, last
    return Reply(
        tool_calls=[
            ToolCall("list_tasks", {"user_id": user_id, "limit": 20}),
            ToolCall("complete_task", {"user_id": user_id, "task_id": int(match[0])}),
        ]
    )


def turns(target: Target, task_ids: list[int], first: int) -> Any:
    """Turn n of a run is turn first + n of the target: each conversation gets its share."""
    user_id, _ = target.list_user
    path = f"/api/{user_id}/chat"

    def turn(n: int) -> tuple[str, str, bytes]:
        n += first
        message = f"Complete task {task_ids[n % len(task_ids)]}"
        conversation = target.conversations[n // TURNS_PER_CONVERSATION % CONVERSATIONS]
        body = json.dumps({"message": message, "conversation_id": conversation})
        return "POST", path, body.encode()

    return turn


async def _load(
    target: Target, task_ids: list[int], model: OpenAITestServer, seconds: float
) -> tuple[LoadResult, float]:
    cpu_before = target.server.cpu_seconds()
    first = target.turns_sent
    result = await run_load(
        target.label,
        target.server.url,
        turns(target, task_ids, first),
        headers={"Authorization": f"Bearer {target.list_user[1]}"},
        concurrency=1,
        seconds=seconds,
    )
    target.turns_sent += len(result.latencies_ms) + result.errors + 1  # + the one cut off
    model.requests.clear()  # it keeps every request, history and all
    return result, target.server.cpu_seconds() - cpu_before


async def measure(
    targets: list[tuple[Target, list[int]]], model: OpenAITestServer
) -> dict[str, Tally]:
    for target, task_ids in targets:
        await _load(target, task_ids, model, 1.0)  # warm-up
    tallies = {target.label: Tally() for target, _ in targets}
    for round_number in range(ROUNDS):
        order = targets if round_number % 2 == 0 else targets[::-1]
        for target, task_ids in order:
            result, cpu = await _load(target, task_ids, model, SECONDS / ROUNDS)
            tallies[target.label].add(result, cpu)
    return tallies


def _llm_target(
    stack: ExitStack, code: CodeTree, model: OpenAITestServer
) -> tuple[Target, list[int]]:
    database_url = stack.enter_context(temporary_database())
    server = stack.enter_context(
        backend_server(
            database_url,
            code=code,
            AGENT_PROVIDER="openai",
            OPENAI_BASE_URL=model.base_url,
            OPENAI_API_KEY="bench-key",
            OPENAI_MODEL="bench-model",
        )
    )
    target = Target(code.label, server, rss_at_start_mb=server.rss_mb())
    target.list_user = user_with_tasks(server.url, 20)
    user_id, token = target.list_user
    tasks = call(server.url, "GET", f"/api/{user_id}/tasks", token=token)
    task_ids = [task["id"] for task in tasks]
    for _ in range(CONVERSATIONS):
        message = {"message": f"Complete task {task_ids[0]}"}
        first = call(server.url, "POST", f"/api/{user_id}/chat", message, token)
        target.conversations.append(first["conversation_id"])
    return target, task_ids


def report(tallies: dict[str, Tally]) -> None:
    print(
        f"{SCENARIO}, scripted model server, PostgreSQL; {ROUNDS} alternating rounds, "
        f"{SECONDS:.0f} s per server"
    )
    print(
        f"  {'':<22} {'turns/s':>8} {'CPU ms/turn':>12} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}"
    )
    for label, tally in tallies.items():
        print(
            f"  {label:<22} {tally.requests_per_second:8.1f} {tally.cpu_ms_per_request:12.2f}"
            f" {tally.percentile(50):8.1f} {tally.percentile(99):8.1f} {tally.errors:7d}"
        )
    labels = list(tallies)
    if len(labels) == 2:
        ours, before = tallies[labels[0]], tallies[labels[1]]
        cpu = ours.cpu_ms_per_request / before.cpu_ms_per_request
        wall = ours.percentile(50) / before.percentile(50)
        print(f"  ours / before: CPU per turn {cpu:.2f}, p50 {wall:.2f}")


def main() -> None:
    model = OpenAITestServer(respond=list_and_complete)
    with model.running(), ExitStack() as stack:
        codes = codes_to_measure(stack)
        targets = [_llm_target(stack, code, model) for code in codes]
        time.sleep(1)
        tallies = run_with_uvloop(measure(targets, model))
    report(tallies)


if __name__ == "__main__":
    main()
