"""The built-in agent's single-message corpus, as data: data/builtin_phrasings.toml and
data/builtin_plans.toml say how it is laid out. test_builtin_agent.py sends every case through
the real chat endpoint."""

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Seed = list[tuple[str, bool]]  # (title, completed), oldest first


# A task as the REST API lists it, for `details`: title, priority, tags, whether it has a due date.
Details = list[tuple[str, str, list[str], bool]]


@dataclass(frozen=True)
class Case:
    intent: str  # the intent the parser must read, "unclear" or "unknown"
    message: str
    tools: list[str]
    after: Seed  # the whole list afterwards, oldest first
    reply: str  # a part of the reply; {0}, {1}... are the seeded tasks' ids
    seed: Seed = field(default_factory=list)
    # The fields each seeded task is created with (due_at, priority, tags), in seed order.
    seed_fields: list[dict[str, Any]] = field(default_factory=list)
    details: Details | None = None  # the whole list afterwards with its plans, when checked


# The phrasings and the task lists they start from, as data: data/builtin_phrasings.toml says
# how it is laid out, and data/builtin_plans.toml adds dates, priorities and tags.
CORPORA = [
    tomllib.loads((Path(__file__).parent / "data" / name).read_text(encoding="utf-8"))
    for name in ("builtin_phrasings.toml", "builtin_plans.toml")
]
SEED_ROWS: dict[str, list[list[Any]]] = {
    name: rows for corpus in CORPORA for name, rows in corpus["seeds"].items()
}


def task_list(tasks: list[list[Any]]) -> Seed:
    return [(row[0], row[1]) for row in tasks]


SEEDS = {name: task_list(rows) for name, rows in SEED_ROWS.items()}


def rows_of(tasks: str | list[list[Any]]) -> list[list[Any]]:
    """A task list of the corpus: the name of one of its seeds, or the tasks themselves."""
    return SEED_ROWS[tasks] if isinstance(tasks, str) else tasks


# Every key is one of Case's fields: a misspelt one fails here rather than being ignored.
CASES = [
    Case(
        **{
            **entry,
            "seed": task_list(rows_of(entry.get("seed", []))),
            "seed_fields": [
                row[2] if len(row) > 2 else {} for row in rows_of(entry.get("seed", []))
            ],
            "after": task_list(rows_of(entry["after"])),
            "details": [tuple(row) for row in entry["details"]] if "details" in entry else None,
        }
    )
    for corpus in CORPORA
    for entry in corpus["case"]
]
