"""What a row of the intent table is: its name, patterns, examples, counter-examples and handler.
Kept apart from the rows, which are split by meaning over `intents`, `change_intents` and
`plan_intents`."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal

from todo_backend.agent.builtin.actions import TaskActions

IntentName = Literal[
    "greeting",
    "thanks",
    "help",
    "add",
    "list",
    "search",
    "complete",
    "reopen",
    "delete",
    "delete_all",
    "rename",
    "amend",
    "describe",
    "reschedule",
    "clear_due",
    "prioritise",
    "tag",
    "untag",
]


@dataclass(frozen=True)
class Parsed:
    """A message read as one intent: the fields its pattern named, and the message itself."""

    intent: IntentName
    fields: dict[str, str]
    text: str  # the normalised message, for handlers that read more than the fields


# What an intent does: acts through the task tools and returns the reply that says what changed.
Handler = Callable[[TaskActions, Parsed], Awaitable[str]]


@dataclass(frozen=True)
class IntentSpec:
    """One thing a user can ask for: how it is said, what must and must not reach it, and what
    the agent then does."""

    name: IntentName
    patterns: tuple[str, ...]  # regexes over the whole normalised message; named groups are fields
    examples: tuple[str, ...]
    counter_examples: tuple[str, ...] = ()
    handler: Handler = field(kw_only=True)
    # Words that keep a message from this intent wherever they are, whatever else it says.
    refused: str | None = field(default=None, kw_only=True)
