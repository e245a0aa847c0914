"""The built-in agent (deterministic, instant and offline) and its parts: `agent` wires
`intents` (the table of intents, each with its handler), `parser` (which intent a message is),
`references` (which task), `titles`, `followups` (questions and pronouns from history),
`actions` (tool calls) and `replies`."""

from todo_backend.agent.builtin.agent import BuiltinAgent

__all__ = ["BuiltinAgent"]
