"""What a new task's words say besides its title: when it is due, how much it matters and its
tags ("urgent: email the boss tomorrow at 9am #work"), each taken out of the title."""

import re
from dataclasses import dataclass, field

from todo_backend.agent.builtin.dates import split_when
from todo_backend.agent.builtin.references import TASK_WORD
from todo_backend.task_fields import TAG_MAX, Priority

# How people say a priority. Low first where one contains the other: "not important" is low.
PRIORITY_WORDS: dict[Priority, str] = {
    "low": r"low[\s-]priority|not\s+(?:important|urgent)|unimportant|no\s+rush|whenever",
    "medium": r"medium[\s-]priority|normal[\s-]priority",
    "high": r"high[\s-]priority|top[\s-]priority|urgent|important|asap|a\s+priority",
}
PRIORITY = "(?:" + "|".join(PRIORITY_WORDS.values()) + ")"
_LEADING = re.compile(rf"^(?P<priority>{PRIORITY})\s*[:,-]\s*(?P<rest>.+)$", re.IGNORECASE)
# After a comma, a dash or "it's", or "asap" on its own: "buy the urgent care forms" keeps its
# word.
_TRAILING = re.compile(
    rf"^(?P<rest>.+?)(?:\s*[,;:(-]\s*(?:(?:it's|it is|this is)\s+)?|\s+(?:it's|it is)\s+|"
    rf"\s+(?=asap\b))(?P<priority>{PRIORITY})\)?$",
    re.IGNORECASE,
)
# "a high priority task to ...": the priority describes the task word that follows it.
_BEFORE_TASK_WORD = re.compile(rf"\b(?P<priority>{PRIORITY})\s+(?={TASK_WORD}\b)", re.IGNORECASE)

# A tag is a hashtag that starts with a letter: "#12" is a task or an issue number.
HASHTAG_NAME = rf"[A-Za-z][\w-]{{0,{TAG_MAX - 1}}}"
_HASHTAG = re.compile(rf"(?<![\w&#])#(?P<tag>{HASHTAG_NAME})\b")
_TRAILING_HASHTAGS = re.compile(rf"(?:\s+#{HASHTAG_NAME}\b)+$")
TAG_NAME = rf"[A-Za-z0-9_-]{{1,{TAG_MAX}}}"
TAG_LIST = rf"#?{TAG_NAME}(?:(?:\s*,\s*|\s+and\s+|\s+)#?{TAG_NAME})*"
_TAGGED = re.compile(
    r"[\s,;-]+(?:and\s+)?(?:tag(?:ged)?|label(?:led)?)(?:\s+(?:it|this|them))?"
    rf"(?:\s+(?:as|with))?\s*:?\s+(?P<tags>{TAG_LIST})$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Plan:
    """A new task as typed: its title and what else the words said."""

    title: str
    when: str | None = None  # the date phrase, read later from the turn's now and zone
    priority: Priority | None = None
    tags: list[str] = field(default_factory=list)


def priority_of(words: str) -> Priority:
    """The priority that words known to say one say ('urgent' -> 'high')."""
    for priority, pattern in PRIORITY_WORDS.items():
        if re.fullmatch(pattern, words.strip(), re.IGNORECASE):
            return priority
    raise ValueError(words)


def read_priority(text: str) -> tuple[str, Priority | None]:
    """'call the bank, urgent' -> ('call the bank', 'high'); (text, None) when it says none."""
    for pattern in (_LEADING, _TRAILING):
        match = pattern.match(text)
        if match:
            return match["rest"].strip(), priority_of(match["priority"])
    match = _BEFORE_TASK_WORD.search(text)
    if match:
        rest = text[: match.start()] + text[match.end() :]
        return re.sub(r"\ban(?=\s+[^aeiou\W])", "a", rest).strip(), priority_of(match["priority"])
    return text, None


def tag_names(words: str) -> list[str]:
    """'#home, DIY and garden' -> ['home', 'diy', 'garden']: lower-cased, each once."""
    names = [w.lstrip("#").lower() for w in re.split(r"\s*,\s*|\s+and\s+|\s+", words.strip())]
    return list(dict.fromkeys(name for name in names if name))


def read_tags(text: str) -> tuple[str, list[str]]:
    """'buy nails #home' or 'buy paint, tag it home' -> the text without its tags, and them."""
    tagged = _TAGGED.search(text)
    tags: list[str] = []
    if tagged:
        tags = tag_names(tagged["tags"])
        text = text[: tagged.start()]
    tags += [match["tag"].lower() for match in _HASHTAG.finditer(text)]
    text = _TRAILING_HASHTAGS.sub("", text)
    text = _HASHTAG.sub(lambda match: match["tag"], text)  # "#work" inside a title stays a word
    return text.strip(" ,;-"), list(dict.fromkeys(tags))


def read_plan(raw: str) -> Plan:
    """The title, date phrase, priority and tags of the words of one new task."""
    text, tags = read_tags(raw)
    text, priority = read_priority(text)
    text, when = split_when(text)
    if priority is None:  # "call the bank tomorrow, urgent" or "urgent ... tomorrow"
        text, priority = read_priority(text)
    return Plan(text, when, priority, tags)
