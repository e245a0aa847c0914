"""What a message asks for: a table of intents, each with its patterns, the phrasings that must
reach it and those that must not.

Each row also names its handler, written just above the table. Patterns are matched against
the whole message after `parser.normalise`, and no pattern's meaning depends on its place in the
table: a message that matches the patterns of two intents is `Unclear`, and the agent asks
instead of guessing. `backend/tests/test_builtin_parser.py` runs every
example and counter-example, so adding a phrasing is adding one example and running one test."""

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal

from todo_backend.agent.builtin import replies
from todo_backend.agent.builtin.actions import TaskActions
from todo_backend.agent.builtin.references import PRONOUN, TASK_WORD, strip_quotes
from todo_backend.agent.builtin.titles import clean_title
from todo_backend.agent.builtin.vocabulary import (
    DESTINATION,
    DONE,
    EVERYDAY_TODO,
    NAMED_TASK,
    NUMBERS,
    PAST,
    SEARCH_WORDS,
    STATUS_FILTER,
    TODO_VERB,
    list_status,
)

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
class Parsed:
    """A message read as one intent: the fields its pattern named, and the message itself."""

    intent: IntentName
    fields: dict[str, str]
    text: str  # the normalised message, for handlers that read more than the fields


# What an intent does: acts through the task tools and returns the reply that says what changed.
Handler = Callable[[TaskActions, Parsed], Awaitable[str]]


@dataclass(frozen=True)
class IntentSpec:
    """One thing a user can ask for: how it is said, what must and must not reach it, and what
    the agent then does."""

    name: IntentName
    patterns: tuple[str, ...]  # regexes over the whole normalised message; named groups are fields
    examples: tuple[str, ...]
    counter_examples: tuple[str, ...] = ()
    handler: Handler = field(kw_only=True)


async def _greeting(work: TaskActions, parsed: Parsed) -> str:
    return "Hi! " + replies.HELP


async def _thanks(work: TaskActions, parsed: Parsed) -> str:
    return "You're welcome! Anything else on your list?"


async def _help(work: TaskActions, parsed: Parsed) -> str:
    return replies.HELP


async def _add(work: TaskActions, parsed: Parsed) -> str:
    return await work.add(parsed.fields["title"])


async def _list(work: TaskActions, parsed: Parsed) -> str:
    status = list_status(parsed.text)
    return replies.task_list(await work.tasks(status), status)


async def _search(work: TaskActions, parsed: Parsed) -> str:
    return await work.search(parsed.fields["query"])


async def _complete(work: TaskActions, parsed: Parsed) -> str:
    reference = " ".join(filter(None, [parsed.fields["ref"], parsed.fields.get("state")]))
    return await work.act_on_reference("complete", reference)


async def _delete(work: TaskActions, parsed: Parsed) -> str:
    return await work.act_on_reference("delete", parsed.fields["ref"])


async def _delete_all(work: TaskActions, parsed: Parsed) -> str:
    """Several tasks at once: never done on the spot, the agent asks for a "yes" first."""
    if "ids" in parsed.fields:
        return await work.ask_to_delete_numbers(
            [int(n) for n in re.findall(r"\d+", parsed.fields["ids"])]
        )
    return await work.ask_to_delete_all("completed" if parsed.fields.get("status") else "all")


async def _rename(work: TaskActions, parsed: Parsed) -> str:
    title = clean_title(parsed.fields["title"])
    problem = replies.title_problem(title)
    if problem:
        return problem
    return await work.act_on_reference("rename", parsed.fields["ref"], title)


async def _amend(work: TaskActions, parsed: Parsed) -> str:
    return await work.amend(parsed.fields["title"])


async def _describe(work: TaskActions, parsed: Parsed) -> str:
    description = strip_quotes(parsed.fields["description"])
    return await work.act_on_reference("describe", parsed.fields["ref"], description)


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
            rf"(?:add|create)\s+(?:me\s+)?(?:a\s+|an\s+)?(?:new\s+)?(?:{TASK_WORD}\s*)?"
            r"(?:to\s+|:\s*|called\s+|named\s+|titled\s+|for\s+)?(?P<title>.+)",
            rf"(?:make|put|insert|save)\s+(?:me\s+)?(?:a\s+|an\s+)?(?:new\s+)?{TASK_WORD}\s*"
            r"(?:to\s+|:\s*|called\s+|named\s+|titled\s+|for\s+)?(?P<title>.+)",
            rf"(?:put|insert|save|stick)\s+(?P<title>.+?\s+{DESTINATION})",
            r"(?:remind me to|i need to remember to|remember to|don'?t (?:let me )?forget to|"
            r"i (?:still )?(?:need|have|got|must|should) to|i must|i should|i gotta|i want to)"
            r"\s+(?P<title>.+)",
            rf"(?:new\s+)?{TASK_WORD}\s*:\s*(?P<title>.+)",
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
        handler=_add,
    ),
    IntentSpec(
        "list",
        (
            rf"(?:show|list|display|see|view|give me|tell me|print)\b"
            rf"(?!.*\b{SEARCH_WORDS}\s)(?:.*\s)?"
            rf"(?:{TASK_WORD}|list|everything|all|{STATUS_FILTER})\b.*",
            rf"(?:what|which|how many|whats|what's|anything)\b"
            rf"(?!.*\b{SEARCH_WORDS}\s)(?:.*\s)?"
            rf"(?:{TASK_WORD}|list|agenda|plate|do i have|{STATUS_FILTER})\b.*",
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
        handler=_list,
    ),
    IntentSpec(
        "search",
        (
            r"(?:(?:do i have |is there |are there )?(?:anything|any tasks?|something)|"
            r"(?:show|find|search|list|what)(?:\s+(?:me|for|my|tasks?|all|the|do i have))*)"
            rf"\s+(?:{SEARCH_WORDS}|on)\s+(?P<query>.+)",
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
        handler=_search,
    ),
    IntentSpec(
        "complete",
        (
            rf"(?:mark|set|flag)\s+(?P<ref>.+?)\s+(?:as\s+)?{DONE}",
            rf"(?:change|set|update|switch|mark)\s+(?P<ref>.+?)\s+(?:to|as)\s+{DONE}",
            r"(?:complete|completed|finish|finished|check off|tick off|cross off|close|done with)"
            r"\s+(?P<ref>.+)",
            r"i(?:'ve| have)?\s+(?:just\s+|already\s+|finally\s+)?(?:finished|completed|done|did|"
            r"ticked off|checked off)(?:\s+with)?\s+(?P<ref>.+)",
            # "walked the dog", "I've paid the rent": a past tense finishes the task of its verb,
            # but "feed the cat" or "need milk" only end in "ed".
            rf"(?:i(?:'ve| have)?\s+)?(?:just\s+|already\s+|finally\s+)?"
            rf"(?!(?:finished|completed|done|did|need|needed|wanted|added|{TODO_VERB})\b)"
            rf"(?P<ref>{PAST}\s+.+)",
            rf"(?P<ref>.+?)\s+(?:is|are|was|were)\s+(?:now\s+|all\s+)?{DONE}",
            # "milk done": a bare name and a state, when the name is no command or question.
            rf"(?!(?:mark|set|flag|change|update|switch|what|which|how|i|delete|remove|clear|erase|"
            rf"get rid)\b)(?P<ref>[^']+?)"
            r"(?<!\sas)(?<!\sto)(?<!\sis)(?<!\sare)(?<!\swas)(?<!\swere)(?<!\snow)(?<!\sall)"
            rf"\s+{DONE}",
            rf"(?!(?:what|which|who|how|where|when)\b)(?P<ref>.+?)'s\s+(?:now\s+|all\s+)?{DONE}",
            rf"(?P<ref>.+?)\s+(?:is|are|was|were|has been|have been)\s+(?:now\s+|all\s+)?"
            rf"(?!{DONE}$)(?P<state>{PAST})",
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
        handler=_complete,
    ),
    IntentSpec(
        "delete",
        (
            r"(?:delete|remove|erase|trash|scrap|get rid of)\s+"
            rf"(?!(?:all|every|everything)\b)(?!(?:my\s+|the\s+)?{DONE}(?:\s+(?:tasks|todos|items|ones))?$)"
            rf"(?!{NUMBERS}$)(?P<ref>.+)",
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
        handler=_delete,
    ),
    IntentSpec(
        "delete_all",
        (
            r"(?:delete|remove|clear(?:\s+out)?|erase|get rid of)\s+(?:all|every|everything)\b"
            rf"(?:\s+(?:of\s+)?(?:my|the))?\s*(?:(?P<status>{DONE})\s*)?(?:{TASK_WORD}|ones)?"
            r"(?:\s+(?:on|from|in)\s+my\s+list)?",
            r"(?:delete|remove|clear(?:\s+out)?|erase|get rid of)\s+(?:my\s+|the\s+)?"
            rf"(?P<status>{DONE})(?:\s+(?:tasks|todos|to-dos|items|ones))?",
            rf"(?:delete|remove|erase|get rid of)\s+{NUMBERS}",
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
        handler=_delete_all,
    ),
    IntentSpec(
        "rename",
        (
            r"(?:rename|retitle|reword)\s+(?P<ref>.+?)\s+(?:to|into|as)\s+"
            rf"(?!{DONE}$)(?P<title>.+)",
            # "change" and "update" rename only a task they name as one: "update the report to
            # include Q3 numbers" is a new to-do, not a new title for "Write the report".
            rf"(?:change|update|edit|modify)\s+(?P<ref>{NAMED_TASK})\s+(?:to|into|as)\s+"
            rf"(?!{DONE}$)(?P<title>.+)",
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
        handler=_rename,
    ),
    IntentSpec(
        "amend",
        (
            rf"(?:(?:actually|no|sorry|oops|wait)[,\s]+)*(?:make|change)\s+{PRONOUN}\s+"
            r"(?!(?:to|into)\s)(?P<title>.+)",
        ),
        ("actually make that oat milk", "make it two pints", "no, make that 3 eggs"),
        ("make a task to buy milk",),
        handler=_amend,
    ),
    IntentSpec(
        "describe",
        (
            r"(?:change|update|set|edit)\s+the\s+(?:description|details|notes?)\s+"
            r"(?:of|for|on)\s+(?P<ref>.+?)\s+to\s+(?P<description>.+)",
        ),
        ("set the description of task 2 to two litres",),
        handler=_describe,
    ),
)
