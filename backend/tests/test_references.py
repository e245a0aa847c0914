"""When two words are the same word, for the built-in agent's name matching (`references`):
the examples its rule is written for, and its fast form checked against the rule itself."""

from difflib import SequenceMatcher
from itertools import product

import pytest

from todo_backend.agent.builtin.references import WORD_SIMILARITY, same_word, stem

SAME = [("plumer", "plumber"), ("plumbar", "plumber"), ("call", "call"), ("groceries", "grocery")]
DIFFERENT = [("mild", "milk"), ("bulls", "bills"), ("mum", "mom"), ("dentist", "dental")]
# Words and near misses of them: a letter missing, extra, changed or moved.
VOCABULARY = (
    "milk mild silk bills bulls pay paid dentist dentists dentsit plumber plumer plumbar "
    "plumbers groceries grocery grocer call calls calling mom mum report reports repot rent "
    "kitchen kitchens kitchin passport pasport appointment apointment subscription tax taxes"
)


@pytest.mark.parametrize(("a", "b"), SAME)
def test_these_are_the_same_word(a: str, b: str) -> None:
    assert same_word(stem(a), stem(b))


@pytest.mark.parametrize(("a", "b"), DIFFERENT)
def test_these_are_different_words(a: str, b: str) -> None:
    assert not same_word(stem(a), stem(b))


def test_the_fast_form_answers_as_the_rule_for_every_pair() -> None:
    for a, b in product(map(stem, VOCABULARY.split()), repeat=2):
        rule = a == b or (
            min(len(a), len(b)) >= 4 and SequenceMatcher(None, a, b).ratio() >= WORD_SIMILARITY
        )
        assert same_word(a, b) == rule, (a, b)
