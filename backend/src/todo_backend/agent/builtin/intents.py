"""What a message asks for: a table of intents, each with its patterns, the phrasings that must
reach it and those that must not.

Each row also names its handler, written just above its rows. This file holds the rows for
talking, adding, listing and searching and puts the table together; `change_intents` holds those
that change or remove a task and `plan_intents` those that plan one. Patterns are matched against
the whole message after `parser.normalise`, and no pattern's meaning depends on its place in the
table: a message that matches the patterns of two intents is `Unclear`, and the agent asks
instead of guessing. `backend/tests/test_builtin_parser.py` runs every
example and counter-example, so adding a phrasing is adding one example and running one test."""

from todo_backend.agent.builtin import replies
from todo_backend.agent.builtin.actions import TaskActions
from todo_backend.agent.builtin.change_intents import CHANGE_INTENTS
from todo_backend.agent.builtin.dates import WHEN
from todo_backend.agent.builtin.intent_spec import IntentName, IntentSpec, Parsed
from todo_backend.agent.builtin.plan_intents import PLAN_INTENTS
from todo_backend.agent.builtin.plans import PRIORITY
from todo_backend.agent.builtin.questions import FILTER_WORDS, read_filter
from todo_backend.agent.builtin.references import TASK_WORD
from todo_backend.agent.builtin.vocabulary import (
    DESTINATION,
    EVERYDAY_TODO,
    SEARCH_WORDS,
    STATUS_FILTER,
)

__all__ = ["INTENTS", "IntentName", "IntentSpec", "Parsed"]


async def _greeting(work: TaskActions, parsed: Parsed) -> str:
    return "Hi! " + replies.HELP


async def _thanks(work: TaskActions, parsed: Parsed) -> str:
    return "You're welcome! Anything else on your list?"


async def _help(work: TaskActions, parsed: Parsed) -> str:
    return replies.HELP


async def _add(work: TaskActions, parsed: Parsed) -> str:
    return await work.add(parsed.fields["title"], parsed.text, parsed.fields.get("when"))


async def _list(work: TaskActions, parsed: Parsed) -> str:
    return await work.listing(read_filter(parsed.text, work.now, work.zone))


async def _search(work: TaskActions, parsed: Parsed) -> str:
    return await work.search(parsed.fields["query"])


INTENTS: tuple[IntentSpec, ...] = (
    IntentSpec(
        "greeting",
        (r"(?:hi|hello|hey|hiya|yo|howdy|good (?:morning|afternoon|evening))(?: there)?",),
        ("Hello!", "hi there", "good morning"),
        ("hey, add milk",),
        handler=_greeting,
    ),
    IntentSpec(
        "thanks",
        (r"(?:thanks|thank you|thx|cheers|great|perfect|awesome|ta)(?: (?:a lot|so much))?",),
        ("thanks!", "thank you so much", "perfect"),
        handler=_thanks,
    ),
    IntentSpec(
        "help",
        (
            r"(?:help|\?|commands|what can you do|how does this work|"
            r"how do (?:i|you) use (?:this|you))",
        ),
        ("help", "what can you do?", "How does this work"),
        handler=_help,
    ),
    IntentSpec(
        "add",
        (
            # "add #errands to the car" tags a task; "add a high priority task to ..." adds one.
            rf"(?:add|create)\s+(?!(?:#[a-z][\w-]*\s*)+\s+to\s)(?:me\s+)?(?:a\s+|an\s+)?"
            rf"(?:new\s+)?(?:{PRIORITY}\s+)?(?:new\s+)?(?:{TASK_WORD}\s*)?"
            r"(?:to\s+|:\s*|called\s+|named\s+|titled\s+|for\s+)?(?P<title>.+)",
            rf"(?:make|put|insert|save)\s+(?:me\s+)?(?:a\s+|an\s+)?(?:new\s+)?"
            rf"(?:{PRIORITY}\s+)?{TASK_WORD}\s*"
            r"(?:to\s+|:\s*|called\s+|named\s+|titled\s+|for\s+)?(?P<title>.+)",
            rf"(?:put|insert|save|stick)\s+(?P<title>.+?\s+{DESTINATION})",
            r"(?:remind me to|i need to remember to|remember to|don'?t (?:let me )?forget to|"
            r"i (?:still )?(?:need|have|got|must|should) to|i must|i should|i gotta|i want to)"
            r"\s+(?P<title>.+)",
            rf"(?:new\s+)?{TASK_WORD}\s*:\s*(?P<title>.+)",
            rf"remind\s+me\s+(?P<when>{WHEN})\s+to\s+(?P<title>.+)",
            rf"{PRIORITY}\s*:\s*(?P<title>.+)",  # "urgent: call the bank"
            # An everyday verb starts a new to-do, verb and all ("Put the bins out").
            EVERYDAY_TODO,
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
            "remind me to call mom tomorrow at 5pm",
            "Remind me tomorrow at 9am to call the plumber",
            "add a high priority task to renew passport",
            "urgent: email the boss tomorrow #work",
            "add buy paint, tag it home",
            "Book flights in 2 hours",
            "add dentist on the 45th",
        ),
        (
            "drop the milk task",
            "cancel task 3",
            "check off buy milk",
            "make that oat milk",
            "change task 3 to Call mom tonight",
            "show my tasks",
            "clear all",
            "add #errands to the car",
            "move the dentist to Thursday",
            "make milk urgent",
            "cancel the report's deadline",
            "find the passport one",
        ),
        handler=_add,
    ),
    IntentSpec(
        "list",
        (
            rf"(?:show|list|display|see|view|give me|tell me|print)\b"
            rf"(?!.*\b{SEARCH_WORDS}\s)(?:.*\s)?"
            rf"(?:{TASK_WORD}|list|everything|all|{STATUS_FILTER}|{FILTER_WORDS})\b.*",
            rf"(?:what|which|how many|whats|what's|anything)\b"
            rf"(?!.*\b{SEARCH_WORDS}\s)(?:.*\s)?"
            rf"(?:{TASK_WORD}|list|agenda|plate|do i have|ones|{STATUS_FILTER}|{FILTER_WORDS})\b.*",
            # "#work tasks", "urgent tasks", "today's tasks"
            rf"(?:(?:my|the|all)\s+)?(?:#[a-z][\w-]*|{PRIORITY}|today'?s|tomorrow'?s)(?:\s+#[a-z][\w-]*)*"
            rf"(?:\s+{TASK_WORD})?",
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
            "what's due this week?",
            "anything overdue?",
            "show my high priority tasks",
            "what's urgent?",
            "#work tasks",
            "show tasks tagged home",
            "which ones have I finished?",
            "what have I ticked off so far?",
            "what's due tomorrow?",
            "show my tasks by due date",
            "urgent tasks",
            "what's due?",
            "show my deadlines",
            "what have I got coming up",
        ),
        ("anything about the dentist?", "the milk task is done", "the car is due friday"),
        handler=_list,
    ),
    IntentSpec(
        "search",
        (
            r"(?:(?:do i have |is there |are there )?(?:anything|any tasks?|something)|"
            r"(?:show|find|search|list|what)(?:\s+(?:me|for|my|tasks?|all|the|do i have))*)"
            rf"\s+(?:{SEARCH_WORDS}|on)\s+(?P<query>.+)",
            r"search(?:\s+my\s+(?:tasks|list))?\s+(?:for\s+)?(?P<query>.+)",
            # "find the passport one": a task named as one, not a new to-do to find something
            rf"(?:find|look\s+up|where(?:'s|\s+is))\s+(?P<query>(?:the|my)\s+.+?\s+(?:one|{TASK_WORD}))",
        ),
        (
            "anything about the dentist?",
            "do I have anything about milk",
            "find tasks about the car",
            "show me tasks about bills",
            "show tasks with milk",
            "search milk",
            "search my tasks for the dentist",
            "find the passport one",
            "where's the dentist task",
        ),
        ("show my tasks",),
        handler=_search,
    ),
    *CHANGE_INTENTS,
    *PLAN_INTENTS,
)
