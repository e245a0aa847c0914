"""What a message asks for: a table of intents, each with its patterns, the phrasings that must
reach it and those that must not.

Patterns are matched against the whole message after `normalise`, and no pattern's meaning
depends on its place in the table: a message that matches the patterns of two intents is
`Unclear`, and the agent asks instead of guessing. `backend/tests/test_builtin_parser.py` runs every
example and counter-example, so adding a phrasing is adding one example and running one test."""

import re
from dataclasses import dataclass
from typing import Literal

from todo_backend.agent.references import PRONOUN, TASK_WORD
from todo_backend.models import TaskStatus

IntentName = Literal[
    "greeting",
    "thanks",
    "help",
    "add",
    "list",
    "search",
    "complete",
    "delete",
    "delete_all",
    "rename",
    "amend",
    "describe",
]


@dataclass(frozen=True)
class IntentSpec:
    """One thing a user can ask for: how it is said, and what must and must not reach it."""

    name: IntentName
    patterns: tuple[str, ...]  # regexes over the whole normalised message; named groups are fields
    examples: tuple[str, ...]
    counter_examples: tuple[str, ...] = ()


@dataclass(frozen=True)
class Parsed:
    intent: IntentName
    fields: dict[str, str]
    text: str  # the normalised message, for handlers that read more than the fields


@dataclass(frozen=True)
class Unclear:
    """The message fits several intents; acting on either would be a guess."""

    intents: tuple[IntentName, ...]


@dataclass(frozen=True)
class NotUnderstood:
    pass


Parse = Parsed | Unclear | NotUnderstood

_LIST_END = rf"(?:list|{TASK_WORD})"
_DESTINATION = rf"(?:on|to|in|onto)\s+(?:my|the)\s+(?:[\w-]+\s+)?{_LIST_END}"
_DONE = r"(?:done|complete|completed|finished|closed|sorted|ticked off|checked off)"
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
_TODO_VERB = "(?:" + "|".join(TODO_VERBS.split()) + ")"
# The past tense of those verbs, to read "I've paid the rent" as finishing "Pay rent".
_PAST = r"(?:\w+ed|paid|bought|did|went|made|took|wrote|sent|got|fed|swept|met|brought|drove|ran)"
_PENDING = (
    r"pending|left|remaining|outstanding|open|incomplete|unfinished|undone|not done|not finished|"
    r"to do|to-do|still need|still have"
)
_COMPLETED = r"completed|complete|finished|finish|done|accomplished|achieved|ticked off|checked off"
_STATUS_FILTER = f"(?:{_PENDING}|{_COMPLETED})"
_SEARCH_WORDS = r"(?:about|regarding|with|mentioning|related to)"
# Several task numbers at once: "tasks 1 and 2", "#3, #4 and #5".
_NUMBERS = (
    rf"(?:the\s+)?(?:{TASK_WORD}\s+)?(?P<ids>#?\d+(?:\s*(?:,\s*and|,|and|&)\s*#?\d+)+)"
    rf"(?:\s+{TASK_WORD})?"
)
# A reference that names a task as one: a number, a quoted title, "the milk task", "it".
_NAMED_TASK = (
    rf"(?:(?:the\s+)?{TASK_WORD}\s+(?:#|number\s+)?\d+|#\d+|\d+|(?:the\s+|my\s+)?.+?\s+{TASK_WORD}|"
    rf"[\"'\u2018\u201c].+?[\"'\u2019\u201d]|{PRONOUN})"
)
# Sentences that start with an everyday verb but are not a new to-do, each with what it is.
_NOT_A_NEW_TODO = (
    rf"\w+\s+(?:me\s+)?(?:a\s+|an\s+)?(?:new\s+)?{TASK_WORD}\b",  # "make a task to ...": add
    r"\w+\s+(?:i|you|we)\b",  # "do I have anything about milk": a question
    r"get\s+rid\s+of\b",  # delete
    r"clear\s+(?:out\s+)?(?:all|every|everything)\b",  # "clear all": delete all
    r"(?:check|tick|cross)\s+off\b",  # complete
    rf"(?:make|change)\s+{PRONOUN}\b",  # "make that oat milk": amend
    rf".*\b(?:{TASK_WORD}|list)(?:\s+(?:#|number\s+)?\d+)?$",  # "drop the milk task": names a task
    rf".*\s{_DESTINATION}$",  # "put eggs on my list": add to the list
    rf"(?:change|update|edit)\s+{_NAMED_TASK}\s+(?:to|into|as)\s",  # "change task 3 to": rename
    r"(?:change|update|set|edit)\s+the\s+(?:description|details|notes?)\s",  # describe
    rf".*\s(?:to|as)\s+{_DONE}$",  # "set task 3 to done": complete
    rf".*\s(?:(?:is|are|was|were)\s+)?(?:now\s+)?{_DONE}$",  # "call mom (is) done": complete
)
_EVERYDAY_TODO = "".join(f"(?!{p})" for p in _NOT_A_NEW_TODO) + rf"(?P<title>{_TODO_VERB}\b.+)"

INTENTS: tuple[IntentSpec, ...] = (
    IntentSpec(
        "greeting",
        (r"(?:hi|hello|hey|hiya|yo|howdy|good (?:morning|afternoon|evening))(?: there)?",),
        ("Hello!", "hi there", "good morning"),
        ("hey, add milk",),
    ),
    IntentSpec(
        "thanks",
        (r"(?:thanks|thank you|thx|cheers|great|perfect|awesome|ta)(?: (?:a lot|so much))?",),
        ("thanks!", "thank you so much", "perfect"),
    ),
    IntentSpec(
        "help",
        (
            r"(?:help|\?|commands|what can you do|how does this work|"
            r"how do (?:i|you) use (?:this|you))",
        ),
        ("help", "what can you do?", "How does this work"),
    ),
    IntentSpec(
        "add",
        (
            rf"(?:add|create)\s+(?:me\s+)?(?:a\s+|an\s+)?(?:new\s+)?(?:{TASK_WORD}\s*)?"
            r"(?:to\s+|:\s*|called\s+|named\s+|titled\s+|for\s+)?(?P<title>.+)",
            rf"(?:make|put|insert|save)\s+(?:me\s+)?(?:a\s+|an\s+)?(?:new\s+)?{TASK_WORD}\s*"
            r"(?:to\s+|:\s*|called\s+|named\s+|titled\s+|for\s+)?(?P<title>.+)",
            rf"(?:put|insert|save|stick)\s+(?P<title>.+?\s+{_DESTINATION})",
            r"(?:remind me to|i need to remember to|remember to|don'?t (?:let me )?forget to|"
            r"i (?:still )?(?:need|have|got|must|should) to|i must|i should|i gotta|i want to)"
            r"\s+(?P<title>.+)",
            rf"(?:new\s+)?{TASK_WORD}\s*:\s*(?P<title>.+)",
            # An everyday verb starts a new to-do, verb and all ("Put the bins out").
            _EVERYDAY_TODO,
        ),
        (
            "Add a task to buy groceries",
            "add buy milk to my list",
            "add call mom to my todos",
            "please add a new task: water the plants",
            "Create a task called 'Renew passport'",
            "make a task to water the plants",
            "put eggs on my shopping list",
            "I need to remember to pay bills",
            "Remind me to call the dentist",
            "Don't let me forget to book flights",
            "I have to walk the dog",
            "todo: fix the bike",
            "Drop off the kids at school",
            "Pick up the dry cleaning",
            "Put the bins out",
            "Cancel the gym membership",
            "Call the plumber",
            "Change the oil",
            "update the report to include Q3 numbers",
            "change the car oil to synthetic",
            "Clear the table after dinner",
            "Throw out the old magazines",
            "add eggs, bread and butter",
        ),
        (
            "drop the milk task",
            "cancel task 3",
            "check off buy milk",
            "make that oat milk",
            "change task 3 to Call mom tonight",
            "show my tasks",
            "clear all",
        ),
    ),
    IntentSpec(
        "list",
        (
            rf"(?:show|list|display|see|view|give me|tell me|print)\b"
            rf"(?!.*\b{_SEARCH_WORDS}\s)(?:.*\s)?"
            rf"(?:{TASK_WORD}|list|everything|all|{_STATUS_FILTER})\b.*",
            rf"(?:what|which|how many|whats|what's|anything)\b"
            rf"(?!.*\b{_SEARCH_WORDS}\s)(?:.*\s)?"
            rf"(?:{TASK_WORD}|list|agenda|plate|do i have|{_STATUS_FILTER})\b.*",
        ),
        (
            "Show me all my tasks",
            "list my tasks",
            "What's pending?",
            "what do I still have to do",
            "What have I completed?",
            "show finished tasks",
            "How many tasks do I have?",
            "what's left",
            "what did I finish",
            "what's on my plate",
            "show me everything",
        ),
        ("anything about the dentist?", "the milk task is done"),
    ),
    IntentSpec(
        "search",
        (
            r"(?:(?:do i have |is there |are there )?(?:anything|any tasks?|something)|"
            r"(?:show|find|search|list|what)(?:\s+(?:me|for|my|tasks?|all|the|do i have))*)"
            rf"\s+(?:{_SEARCH_WORDS}|on)\s+(?P<query>.+)",
            r"search(?:\s+my\s+(?:tasks|list))?\s+(?:for\s+)?(?P<query>.+)",
        ),
        (
            "anything about the dentist?",
            "do I have anything about milk",
            "find tasks about the car",
            "show me tasks about bills",
            "show tasks with milk",
            "search milk",
            "search my tasks for the dentist",
        ),
        ("show my tasks",),
    ),
    IntentSpec(
        "complete",
        (
            rf"(?:mark|set|flag)\s+(?P<ref>.+?)\s+(?:as\s+)?{_DONE}",
            rf"(?:change|set|update|switch|mark)\s+(?P<ref>.+?)\s+(?:to|as)\s+{_DONE}",
            r"(?:complete|completed|finish|finished|check off|tick off|cross off|close|done with)"
            r"\s+(?P<ref>.+)",
            r"i(?:'ve| have)?\s+(?:just\s+|already\s+|finally\s+)?(?:finished|completed|done|did|"
            r"ticked off|checked off)(?:\s+with)?\s+(?P<ref>.+)",
            # "walked the dog", "I've paid the rent": a past tense finishes the task of its verb,
            # but "feed the cat" or "need milk" only end in "ed".
            rf"(?:i(?:'ve| have)?\s+)?(?:just\s+|already\s+|finally\s+)?"
            rf"(?!(?:finished|completed|done|did|need|needed|wanted|added|{_TODO_VERB})\b)"
            rf"(?P<ref>{_PAST}\s+.+)",
            rf"(?P<ref>.+?)\s+(?:is|are|was|were)\s+(?:now\s+|all\s+)?{_DONE}",
            # "milk done": a bare name and a state, when the name is no command or question.
            rf"(?!(?:mark|set|flag|change|update|switch|what|which|how|i|delete|remove|clear|erase|"
            rf"get rid)\b)(?P<ref>[^']+?)"
            r"(?<!\sas)(?<!\sto)(?<!\sis)(?<!\sare)(?<!\swas)(?<!\swere)(?<!\snow)(?<!\sall)"
            rf"\s+{_DONE}",
            rf"(?!(?:what|which|who|how|where|when)\b)(?P<ref>.+?)'s\s+(?:now\s+|all\s+)?{_DONE}",
            rf"(?P<ref>.+?)\s+(?:is|are|was|were|has been|have been)\s+(?:now\s+|all\s+)?"
            rf"(?!{_DONE}$)(?P<state>{_PAST})",
        ),
        (
            "Mark task 3 as complete",
            "complete task #4",
            "Mark the milk task as done",
            "mark it done",
            "Change task 3 to done",
            "I finished the bills",
            "the milk task is done",
            "check off buy milk",
            "the car is washed",
            "I've paid the rent",
            "finished the report",
            "I finished calling the plumber",
            "call mom is done",
            "that's done",
            "the report's done",
            "task 3 done",
            "milk done ✅",
            "walked the dog",
            "paid the rent",
        ),
        (
            "I need to pay the rent",
            "what have I completed",
            "feed the cat",
            "need milk",
            "what's done",
        ),
    ),
    IntentSpec(
        "delete",
        (
            r"(?:delete|remove|erase|trash|scrap|get rid of)\s+"
            rf"(?!(?:all|every|everything)\b)(?!(?:my\s+|the\s+)?{_DONE}(?:\s+(?:tasks|todos|items|ones))?$)"
            rf"(?!{_NUMBERS}$)(?P<ref>.+)",
            # "drop" and "cancel" start new to-dos too ("Drop off the kids"): they delete only a
            # task they name as one ("drop the milk task", "cancel task 3").
            rf"(?:drop|cancel)\s+(?P<ref>(?:the\s+)?(?:{TASK_WORD}\s+)?(?:#|number\s+)?\d+"
            rf"|.+?\s+{TASK_WORD})",
        ),
        (
            "Delete the meeting task",
            "delete task 7",
            "remove the milk one",
            "get rid of meeting notes",
            "drop the milk task",
            "cancel task 3",
            "delete it",
            "now delete it",
        ),
        ("Drop off the kids at school", "delete all completed tasks", "Cancel the gym membership"),
    ),
    IntentSpec(
        "delete_all",
        (
            r"(?:delete|remove|clear(?:\s+out)?|erase|get rid of)\s+(?:all|every|everything)\b"
            rf"(?:\s+(?:of\s+)?(?:my|the))?\s*(?:(?P<status>{_DONE})\s*)?(?:{TASK_WORD}|ones)?"
            r"(?:\s+(?:on|from|in)\s+my\s+list)?",
            r"(?:delete|remove|clear(?:\s+out)?|erase|get rid of)\s+(?:my\s+|the\s+)?"
            rf"(?P<status>{_DONE})(?:\s+(?:tasks|todos|to-dos|items|ones))?",
            rf"(?:delete|remove|erase|get rid of)\s+{_NUMBERS}",
        ),
        (
            "delete all completed tasks",
            "clear all done tasks",
            "delete everything",
            "delete tasks 1 and 2",
            "remove completed",
            "remove tasks #3, #4 and #5",
        ),
        ("delete the done task", "delete task 3"),
    ),
    IntentSpec(
        "rename",
        (
            r"(?:rename|retitle|reword)\s+(?P<ref>.+?)\s+(?:to|into|as)\s+"
            rf"(?!{_DONE}$)(?P<title>.+)",
            # "change" and "update" rename only a task they name as one: "update the report to
            # include Q3 numbers" is a new to-do, not a new title for "Write the report".
            rf"(?:change|update|edit|modify)\s+(?P<ref>{_NAMED_TASK})\s+(?:to|into|as)\s+"
            rf"(?!{_DONE}$)(?P<title>.+)",
        ),
        (
            "Change task 1 to 'Call mom tonight'",
            "rename the milk task to buy oat milk",
            "change it to call dad",
            "change the gym task to yoga",
            "update 'Buy milk' to buy oat milk",
            "rename mom to Call mum",
            "oops, change that to call dad",
        ),
        (
            "Change task 3 to done",
            "change the description of task 1 to two litres",
            "update the report to include Q3 numbers",
            "change the car oil to synthetic",
        ),
    ),
    IntentSpec(
        "amend",
        (
            rf"(?:(?:actually|no|sorry|oops|wait)[,\s]+)*(?:make|change)\s+{PRONOUN}\s+"
            r"(?!(?:to|into)\s)(?P<title>.+)",
        ),
        ("actually make that oat milk", "make it two pints", "no, make that 3 eggs"),
        ("make a task to buy milk",),
    ),
    IntentSpec(
        "describe",
        (
            r"(?:change|update|set|edit)\s+the\s+(?:description|details|notes?)\s+"
            r"(?:of|for|on)\s+(?P<ref>.+?)\s+to\s+(?P<description>.+)",
        ),
        ("set the description of task 2 to two litres",),
    ),
)

_PENDING_WORDS = re.compile(rf"\b(?:{_PENDING})\b", re.IGNORECASE)
_COMPLETED_WORDS = re.compile(rf"\b(?<!not )(?:{_COMPLETED})\b", re.IGNORECASE)


def list_status(text: str) -> TaskStatus:
    """Which tasks a list request wants: pending, completed, or all when it says neither or both."""
    pending, completed = bool(_PENDING_WORDS.search(text)), bool(_COMPLETED_WORDS.search(text))
    if pending == completed:
        return "all"
    return "pending" if pending else "completed"


_COMPILED = tuple(
    (spec.name, tuple(re.compile(p, re.IGNORECASE | re.DOTALL) for p in spec.patterns))
    for spec in INTENTS
)
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
    for name, patterns in _COMPILED:
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
