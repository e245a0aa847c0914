"""Reading a message: the one intent of the table in `intents` that it matches, with its fields.

No pattern's meaning depends on its place in the table: a message that matches the patterns of
two intents is `Unclear`, and the agent asks instead of guessing. A message with words an intent
refuses (a negation, for completing) never reaches it, whichever of its patterns it fits."""

import re
from dataclasses import dataclass

from todo_backend.agent.builtin.intents import INTENTS, IntentName, IntentSpec, Parsed


@dataclass(frozen=True)
class Unclear:
    """The message fits several intents; acting on either would be a guess."""

    intents: tuple[IntentName, ...]


@dataclass(frozen=True)
class NotUnderstood:
    """The message fits no intent."""


Parse = Parsed | Unclear | NotUnderstood


_COMPILED = tuple(
    (
        spec.name,
        re.compile(spec.refused, re.IGNORECASE) if spec.refused else None,
        tuple(re.compile(p, re.IGNORECASE | re.DOTALL) for p in spec.patterns),
    )
    for spec in INTENTS
)
_BY_NAME: dict[IntentName, IntentSpec] = {spec.name: spec for spec in INTENTS}
_WRAPPERS = re.compile(
    r"^(?:(?:hey|hi|hello|hiya|oops|sorry|wait|no)\s*[,!.]\s*(?=\S)|"
    r"(?:ok|okay|so|um+|uh+|oh|well)(?:\s*[,!.]\s*|\s+)(?=\S)|"
    r"(?:please|pls|plz|kindly|can you|could you|would you|will you|would you mind|"
    r"i'd like you to|i want you to|go ahead and|just|now|then|also|and|and then|actually)\s+)+",
    re.IGNORECASE,
)
_TRAILERS = re.compile(
    r"(?:[\s,]+(?:please|pls|plz|thanks|thank you|thx|for me|ok|okay))*[\s.!?,;:]*$", re.IGNORECASE
)
_NOISE = re.compile(r"[^\w\s'\"`\u2018\u2019\u201c\u201d.,!?;:#&/()-]")


def normalise(message: str) -> str:
    """The message without emoji, polite wrappers, filler and closing punctuation."""
    text = _NOISE.sub(" ", message)
    text = re.sub(r"\s+", " ", text).strip()
    text = text.replace("\u2019", "'")
    while True:
        shorter = _TRAILERS.sub("", _WRAPPERS.sub("", text)).strip()
        if shorter == text:
            return text
        text = shorter


def parse(message: str) -> Parse:
    """The one intent the message matches, with its fields; or why there isn't exactly one.

    Two patterns of one intent may both match, but only if they read the same fields."""
    text = normalise(message)
    if not text:
        return Parsed("help", {}, text)
    found: dict[IntentName, set[tuple[tuple[str, str], ...]]] = {}
    for name, refused, patterns in _COMPILED:
        if refused and refused.search(text):
            continue
        for pattern in patterns:
            match = pattern.fullmatch(text)
            if match:
                fields = tuple(sorted((k, v) for k, v in match.groupdict().items() if v))
                found.setdefault(name, set()).add(fields)
    if len(found) == 1:
        [(name, readings)] = found.items()
        if len(readings) == 1:
            return Parsed(name, dict(readings.pop()), text)
    if found:
        return Unclear(tuple(found))
    return NotUnderstood()


def intent(name: IntentName) -> IntentSpec:
    """The table's row for an intent, whose handler acts on a `Parsed` message."""
    return _BY_NAME[name]
