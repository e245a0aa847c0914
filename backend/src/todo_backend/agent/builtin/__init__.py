"""The built-in agent (deterministic, instant and offline) and its parts: `agent` wires
`intents` (the table of intents, each with its handler, with the rows of `change_intents` and
`plan_intents`), `parser` (which intent a message is), `references` (which task), `titles`,
`dates`, `plans` (a new task's due date, priority and tags), `questions` (list filters),
`followups` (questions and pronouns from history), `actions` (tool calls), `replies` and
`plan_replies`."""

from todo_backend.agent.builtin.agent import BuiltinAgent

__all__ = ["BuiltinAgent"]
