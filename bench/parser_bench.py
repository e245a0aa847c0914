"""The built-in agent's parser on its own: time per message over every example and
counter-example of the intent table. Run: `make bench` (or `uv run python bench/parser_bench.py`).
It needs no database: the parser is pure, and this is its cost on every built-in chat turn."""

import time

from todo_backend.agent.intents import INTENTS
from todo_backend.agent.parser import parse

ROUNDS = 20


def main() -> None:
    messages = [m for spec in INTENTS for m in (*spec.examples, *spec.counter_examples)]
    for message in messages:  # warm the regex cache
        parse(message)
    start = time.perf_counter()
    for _ in range(ROUNDS):
        for message in messages:
            parse(message)
    per_message = (time.perf_counter() - start) / (ROUNDS * len(messages))
    print(
        f"built-in agent parser: {per_message * 1e6:.0f} µs per message "
        f"({len(messages)} messages x {ROUNDS} rounds)"
    )


if __name__ == "__main__":
    main()
