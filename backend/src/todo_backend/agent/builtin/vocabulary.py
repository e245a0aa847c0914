"""The phrase fragments the intents' patterns share: how a task, a list, a status and a new
to-do are said. Kept apart from the table (`intents`) so that each row reads as its own patterns."""

import re

from todo_backend.agent.builtin.dates import WHEN
from todo_backend.agent.builtin.plans import PRIORITY
from todo_backend.agent.builtin.references import PRONOUN, TASK_WORD
from todo_backend.agent.builtin.titles import TODO_VERBS
from todo_backend.models import TaskStatus

LIST_END = rf"(?:list|{TASK_WORD})"
DESTINATION = rf"(?:on|to|in|onto)\s+(?:my|the)\s+(?:[\w-]+\s+)?{LIST_END}"
DONE = r"(?:done|complete|completed|finished|closed|sorted|ticked off|checked off)"
# More ways to say a task is finished, after "is": "the car is taken care of".
DONE_STATE = (
    rf"(?:{DONE}|done and dusted|taken care of|dealt with|handled|out of the way|squared away|"
    r"crossed off|knocked out|wrapped up|sorted out|all set)"
)
# Ways to say "I finished" whose verb is not the task's own: "knocked out the report".
FINISHED_IDIOM = (
    r"(?:knocked out|wrapped up|nailed|sorted out|dealt with|took care of|taken care of|"
    r"polished off|finished off|got through|squared away|ticked off|checked off|crossed off)"
)
# Any of these words in a message and it completes nothing: "don't mark it done", "it isn't done".
NEGATION = (
    r"\b(?:not|no|never|isn't|isnt|aren't|wasn't|weren't|hasn't|haven't|don't|dont|"
    r"didn't|doesn't|won't|shouldn't|undone|unfinished|incomplete|un(?:check|tick|mark)\w*)\b"
)
# Verbs that move a task to another date.
MOVE = r"(?:move|push|shift|bump|reschedule|postpone|delay|put\s+off|change|set|switch)"
# A part of a task, not the task: "remove the due date from the report" deletes nothing.
TASK_PART = r"(?:due\s+date|deadline|date|priority|tags?|label)"
TODO_VERB = "(?:" + "|".join(TODO_VERBS.split()) + ")"
# The past tense of those verbs, to read "I've paid the rent" as finishing "Pay rent".
PAST = r"(?:\w+ed|paid|bought|did|went|made|took|wrote|sent|got|fed|swept|met|brought|drove|ran)"
PENDING = (
    r"pending|left|remaining|outstanding|open|incomplete|unfinished|undone|not done|not finished|"
    r"to do|to-do|still need|still have"
)
COMPLETED = r"completed|complete|finished|finish|done|accomplished|achieved|ticked off|checked off"
STATUS_FILTER = f"(?:{PENDING}|{COMPLETED})"
SEARCH_WORDS = r"(?:about|regarding|with|mentioning|related to)"
# Several task numbers at once: "tasks 1 and 2", "#3, #4 and #5".
NUMBERS = (
    rf"(?:the\s+)?(?:{TASK_WORD}\s+)?(?P<ids>#?\d+(?:\s*(?:,\s*and|,|and|&)\s*#?\d+)+)"
    rf"(?:\s+{TASK_WORD})?"
)
# A reference that names a task as one: a number, a quoted title, "the milk task", "it".
NAMED_TASK = (
    rf"(?:(?:the\s+)?{TASK_WORD}\s+(?:#|number\s+)?\d+|#\d+|\d+|(?:the\s+|my\s+)?.+?\s+{TASK_WORD}|"
    rf"[\"'\u2018\u201c].+?[\"'\u2019\u201d]|{PRONOUN})"
)
# Sentences that start with an everyday verb but are not a new to-do, each with what it is.
NOT_A_NEW_TODO = (
    rf"\w+\s+(?:me\s+)?(?:a\s+|an\s+)?(?:new\s+)?{TASK_WORD}\b",  # "make a task to ...": add
    r"\w+\s+(?:i|you|we)\b",  # "do I have anything about milk": a question
    r"get\s+rid\s+of\b",  # delete
    r"clear\s+(?:out\s+)?(?:all|every|everything)\b",  # "clear all": delete all
    r"(?:check|tick|cross)\s+off\b",  # complete
    rf"(?:make|change)\s+{PRONOUN}\b",  # "make that oat milk": amend
    rf".*\b(?:{TASK_WORD}|list)(?:\s+(?:#|number\s+)?\d+)?$",  # "drop the milk task": names a task
    rf".*\s{DESTINATION}$",  # "put eggs on my list": add to the list
    rf"(?:change|update|edit)\s+{NAMED_TASK}\s+(?:to|into|as)\s",  # "change task 3 to": rename
    r"(?:change|update|set|edit)\s+the\s+(?:description|details|notes?)\s",  # describe
    rf".*\s(?:to|as)\s+{DONE}$",  # "set task 3 to done": complete
    rf".*\s(?:(?:is|are|was|were)\s+)?(?:now\s+)?{DONE}$",  # "call mom (is) done": complete
    r".*\s(?:one|ones)$",  # "find the passport one": names a task
    # "move the dentist to Thursday", "make the report due Friday": reschedule
    rf"(?:{MOVE}|make)\s+.+\s+(?:to|till|until|due)\s+{WHEN}$",
    rf"(?:make|mark|set|flag|change|switch)\s+.+\s+(?:as\s+|to\s+)?{PRIORITY}$",  # prioritise
    # "cancel the report's deadline", "clear the date on the dentist": a part of a task
    rf"\w+\s+(?:.+'s\s+{TASK_PART}$|(?:.+\s)?(?:due\s+date|deadline|tags?)\s+(?:from|off|on|of|for)\s)",
    r"(?:check|tick|cross|scratch|strike)\s+.+\s+off\b",  # "check it off": complete
    # "put task 3 back to pending": reopen
    rf".*\s(?:not\s+(?:yet\s+)?{DONE}|pending|undone|unfinished|incomplete)(?:\s+again)?$",
)
# The verb is looked for first: most messages start with none, and skip the exceptions.
EVERYDAY_TODO = (
    rf"(?={TODO_VERB}\b)"
    + "".join(f"(?!{p})" for p in NOT_A_NEW_TODO)
    + rf"(?P<title>{TODO_VERB}\b.+)"
)

PENDING_WORDS = re.compile(rf"\b(?:{PENDING})\b", re.IGNORECASE)
COMPLETED_WORDS = re.compile(rf"\b(?<!not )(?:{COMPLETED})\b", re.IGNORECASE)


def list_status(text: str) -> TaskStatus:
    """Which tasks a list request wants: pending, completed, or all when it says neither or both."""
    pending, completed = bool(PENDING_WORDS.search(text)), bool(COMPLETED_WORDS.search(text))
    if pending == completed:
        return "all"
    return "pending" if pending else "completed"
