"""The built-in agent's own work in a chat turn, without the database: reading a message (every
example and counter-example of the intent table) and finding the task a name means among a
user's tasks: 100 of them, and 1,000 (the default quota). Name matching runs on the event loop,
so its time is time every other request of the process waits.

With BENCH_BASELINE=<git revision>, the same figures for that revision's code, measured in the
same run (in turns, in processes of their own), with the ratio. Run: `make bench` (or
`uv run python bench/parser_bench.py`)."""

import json
import os
import random
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import ExitStack
from functools import partial

from benchkit import CURRENT, CodeTree, codes_to_measure
from todo_backend.agent.builtin.intents import INTENTS
from todo_backend.agent.builtin.parser import parse
from todo_backend.agent.builtin.references import TaskRow, resolve

ROUNDS = 3  # alternating runs per revision; each figure is the best of them
# Words of made-up titles (2 to 5 words each), and names to find among them: one task or
# several, none, a misspelling.
TITLE_WORDS = (
    "buy milk call mom dentist appointment groceries pay bills fix bike clean kitchen email boss "
    "report write letter walk dog water plants book flight renew passport gym laundry cancel "
    "subscription order pizza plumber garage paint fence study exam read chapter"
)
NAMES = ["the milk task", "renew passport", "the plumbar", "bench item 12"]


def _per_call_us(work: Callable[[], object], calls: int) -> float:
    work()  # warm: regexes compiled, caches filled as on a server that has seen this user
    start = time.perf_counter()
    for _ in range(calls):
        work()
    return (time.perf_counter() - start) / calls * 1e6


def _tasks(count: int) -> list[TaskRow]:
    """`count` tasks with made-up titles, the same every run."""
    chooser = random.Random(7)
    words = TITLE_WORDS.split()
    return [
        TaskRow(
            id=number,
            title=" ".join(chooser.choices(words, k=chooser.randint(2, 5))).capitalize(),
            completed=number % 3 == 0,
        )
        for number in range(1, count + 1)
    ]


def _find_each_name(tasks: list[TaskRow]) -> list[object]:
    return [resolve(name, tasks) for name in NAMES]


def figures() -> dict[str, float]:
    """µs per message read, and per name found among 100 and 1,000 tasks."""
    messages = [m for spec in INTENTS for m in (*spec.examples, *spec.counter_examples)]
    result = {
        "read a message": _per_call_us(lambda: [parse(m) for m in messages], 20) / len(messages)
    }
    for count in (100, 1000):
        find = partial(_find_each_name, _tasks(count))
        result[f"find a task by name, {count:,} tasks"] = _per_call_us(find, 10) / len(NAMES)
    return result


def _figures_of(code: CodeTree) -> dict[str, float]:
    output = subprocess.run(
        [sys.executable, __file__, "--figures"],
        env={**os.environ, **code.environment()},
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    measured: dict[str, float] = json.loads(output)
    return measured


def main() -> None:
    with ExitStack() as stack:
        codes = codes_to_measure(stack)
        best: dict[str, dict[str, float]] = {code.label: {} for code in codes}
        for round_number in range(ROUNDS):
            for code in codes if round_number % 2 == 0 else codes[::-1]:
                for name, value in _figures_of(code).items():
                    best[code.label][name] = min(value, best[code.label].get(name, value))
    print("the built-in agent without the database: µs per call, best of", ROUNDS, "runs")
    labels = [code.label for code in codes]
    compared = len(codes) > 1
    ratio_header = "  before/ours" if compared else ""
    print(f"  {'':<36}" + "".join(f" {label:>16}" for label in labels) + ratio_header)
    for name, ours in best[CURRENT.label].items():
        cells = "".join(f" {best[label][name]:16.1f}" for label in labels)
        ratio = f"  {best[labels[-1]][name] / ours:10.1f}x" if compared else ""
        print(f"  {name:<36}{cells}{ratio}")


if __name__ == "__main__":
    if sys.argv[1:] == ["--figures"]:
        print(json.dumps(figures()))
    else:
        main()
