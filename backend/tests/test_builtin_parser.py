"""The built-in agent's intent table on its own: every example reaches its own intent and no
counter-example does. Adding a phrasing is adding an example to `intents.INTENTS` and running
this file, which takes well under a second."""

from typing import get_args

import pytest

from todo_backend.agent.builtin.intents import INTENTS, IntentName, Parsed
from todo_backend.agent.builtin.parser import Unclear, normalise, parse

EXAMPLES = [(spec.name, example) for spec in INTENTS for example in spec.examples]
COUNTER_EXAMPLES = [(spec.name, counter) for spec in INTENTS for counter in spec.counter_examples]


@pytest.mark.parametrize(("intent", "message"), EXAMPLES, ids=[m for _, m in EXAMPLES])
def test_every_example_reaches_its_intent(intent: str, message: str) -> None:
    parsed = parse(message)
    assert isinstance(parsed, Parsed), parsed
    assert parsed.intent == intent


@pytest.mark.parametrize(
    ("intent", "message"), COUNTER_EXAMPLES, ids=[m for _, m in COUNTER_EXAMPLES]
)
def test_no_counter_example_reaches_the_intent(intent: str, message: str) -> None:
    parsed = parse(message)
    assert not (isinstance(parsed, Parsed) and parsed.intent == intent), parsed


def test_every_intent_has_examples_and_a_row_of_its_own() -> None:
    assert all(spec.examples for spec in INTENTS)
    assert len({spec.name for spec in INTENTS}) == len(INTENTS)
    assert {spec.name for spec in INTENTS} == set(get_args(IntentName))


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("Hey, could you please add milk 🥛!!", "add milk"),
        ("please show my tasks, thanks", "show my tasks"),
        ("  mark   task 3 as done.  ", "mark task 3 as done"),
        ("ok so delete the milk task please", "delete the milk task"),
    ],
)
def test_polite_wrappers_and_noise_are_dropped(message: str, expected: str) -> None:
    assert normalise(message) == expected


def test_a_message_that_fits_two_intents_is_unclear_not_guessed() -> None:
    # "show me" lists and "... is done" completes: acting on either would be a guess.
    assert parse("show me the milk task is done") == Unclear(("list", "complete"))
