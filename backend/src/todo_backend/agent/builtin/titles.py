"""Task titles from what people type: the list words trimmed off, several items split apart, and
a follow-up ("make that oat milk") spliced into the title it amends."""

import re
from dataclasses import dataclass

from todo_backend.agent.builtin.references import TASK_WORD, same_word, stem, strip_quotes

# Verbs that start everyday to-dos: "Pick up the dry cleaning" is a task to add as it stands.
TODO_VERBS = (
    "pick drop put call ring phone buy pay book take get grab clean wash fix water walk feed send "
    "email text write file renew return cancel schedule order collect prepare cook bake mow "
    "vacuum hoover tidy sort empty fill charge check visit meet reply submit print sign post mail "
    "ship pack unpack move plan organise organize review replace repair install paint hang iron "
    "fold wrap bring drive go practise practice study learn exercise run apply register back "
    "sweep mop dust shop do make start try find look fetch change update set clear wipe throw "
    "recycle sell ask tell thank invite arrange cut trim load unload defrost watch read listen "
    "scan shred weed rake plant prune vote donate refill restock swap transfer deposit withdraw "
    "upload download message"
)
_VERBS = frozenset(TODO_VERBS.split())
_PARTICLES = frozenset(["up", "out", "off", "away", "in", "back", "down", "over"])
_DESTINATION = re.compile(
    rf"\s+(?:to|on|in|onto)\s+(?:my\s+|the\s+)?(?:[\w-]+\s+)?(?:list|{TASK_WORD})$", re.IGNORECASE
)
# "call John with description about the contract", "buy milk - notes: two litres"; but the
# notes in "Write the notes for the meeting" are part of the title.
_DESCRIPTION = re.compile(
    r"^(?P<title>.+?)(?:\s*[,;:-]\s*|\s+with\s+)(?:the\s+|a\s+)?(?:description|details|notes?)"
    r"\s*[:=]?\s*(?P<description>.+)$",
    re.IGNORECASE | re.DOTALL,
)
_ITEM_SEPARATOR = re.compile(r"\s*,\s*(?:and\s+|&\s+)?|\s+(?:and|&)\s+", re.IGNORECASE)


@dataclass(frozen=True)
class NewTask:
    title: str
    description: str | None = None


def clean_title(raw: str) -> str:
    """'buy groceries to my list.' -> 'Buy groceries'"""
    title = _DESTINATION.sub("", strip_quotes(raw))
    title = re.sub(r"\s+please$", "", title, flags=re.IGNORECASE)
    title = re.sub(rf"(?<=\S)\s+{TASK_WORD}$", "", title, flags=re.IGNORECASE)  # "a dentist task"
    title = strip_quotes(title.strip(" .,;:!"))
    if re.fullmatch(rf"(?:a |an |new )*{TASK_WORD}", title, flags=re.IGNORECASE):
        return ""  # "Add a task" says nothing about what the task is
    return title[:1].upper() + title[1:]


def _starts_with_verb(text: str) -> bool:
    first = text.split(maxsplit=1)[0].lower() if text.split() else ""
    return first in _VERBS


def new_tasks(raw: str) -> list[NewTask]:
    """The tasks one 'add' asks for: 'eggs, bread and butter' is three, 'call mom and pay rent'
    two, but 'bread and butter' (no comma, not two actions) and anything quoted only one."""
    described = _DESCRIPTION.match(raw)
    if described:
        title = clean_title(described["title"])
        return [NewTask(title, strip_quotes(described["description"]))]
    text = _DESTINATION.sub("", raw.strip())
    parts = [p for p in _ITEM_SEPARATOR.split(text) if p.strip()]
    quoted = strip_quotes(text) != text
    is_list = "," in text or (len(parts) > 1 and all(_starts_with_verb(p) for p in parts))
    if quoted or not is_list:
        return [NewTask(clean_title(raw))]
    return [NewTask(clean_title(part)) for part in _shared_verb(parts)]


def _shared_verb(parts: list[str]) -> list[str]:
    """'buy bread', 'milk', 'cheese' -> 'buy bread', 'buy milk', 'buy cheese': a verb that only
    the first item has belongs to them all ("pick up" with its particle)."""
    if not _starts_with_verb(parts[0]) or any(_starts_with_verb(p) for p in parts[1:]):
        return parts
    words = parts[0].split()
    verb = words[: 2 if len(words) > 2 and words[1].lower() in _PARTICLES else 1]
    return [parts[0], *(" ".join([*verb, part]) for part in parts[1:])]


def amended(old: str, change: str) -> str:
    """The title `old` becomes after 'make that <change>': 'Buy milk' + 'oat milk' is 'Buy oat
    milk' (the words they end on are spliced), 'Buy milk' + 'bread' is 'Buy bread' (the verb is
    kept), and a change with a verb of its own replaces the title."""
    old_words, new_words = old.split(), strip_quotes(change).split()
    if not new_words:
        return old
    for size in range(min(len(old_words), len(new_words)), 0, -1):
        if all(
            same_word(stem(a), stem(b))
            for a, b in zip(old_words[-size:], new_words[-size:], strict=True)
        ):
            return clean_title(" ".join([*old_words[:-size], *new_words]))
    if _starts_with_verb(change) or not old_words or old_words[0].lower() not in _VERBS:
        return clean_title(change)
    return clean_title(" ".join([old_words[0], *new_words]))
