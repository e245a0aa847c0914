"""The intents that change or remove tasks that exist: complete, delete, delete several,
rename, amend and describe, each with its handler. Completing refuses any message with a negation
in it ("don't mark it done", "it isn't done"): no guess may finish a task."""

import re

from todo_backend.agent.builtin import replies
from todo_backend.agent.builtin.actions import TaskActions
from todo_backend.agent.builtin.dates import WHEN
from todo_backend.agent.builtin.intent_spec import IntentSpec, Parsed
from todo_backend.agent.builtin.plans import PRIORITY
from todo_backend.agent.builtin.references import PRONOUN, TASK_WORD, strip_quotes
from todo_backend.agent.builtin.titles import clean_title
from todo_backend.agent.builtin.vocabulary import (
    DONE,
    DONE_STATE,
    FINISHED_IDIOM,
    NAMED_TASK,
    NEGATION,
    NUMBERS,
    PAST,
    TASK_PART,
    TODO_VERB,
)

# A new title is no date and no priority: "change task 3 to Friday" moves it.
NOT_A_TITLE = rf"(?:{WHEN}|(?:a\s+)?{PRIORITY})$"


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


CHANGE_INTENTS: tuple[IntentSpec, ...] = (
    IntentSpec(
        "complete",
        (
            rf"(?:mark|set|flag)\s+(?P<ref>.+?)\s+(?:as\s+)?{DONE}",
            rf"(?:change|set|update|switch|mark)\s+(?P<ref>.+?)\s+(?:to|as)\s+{DONE}",
            r"(?:complete|completed|finish|finished|check off|tick off|cross off|close|"
            r"done with)\s+(?P<ref>.+)",
            # "cross the report off", "scratch the rent off my list"
            r"(?:i(?:'ve| have)?\s+)?(?:cross|crossed|tick|ticked|check|checked|scratch|"
            r"scratched|strike|struck)\s+(?!off\b)(?P<ref>.+?)\s+off"
            r"(?:\s+(?:my|the)\s+(?:list|todos?|to-do list))?",
            r"i(?:'ve| have)?\s+(?:just\s+|already\s+|finally\s+)?(?:finished|completed|done|"
            r"did|ticked off|checked off)(?:\s+with)?\s+(?P<ref>.+)",
            rf"(?:i(?:'ve| have)?\s+)?(?:just\s+|already\s+|finally\s+)?{FINISHED_IDIOM}"
            r"\s+(?P<ref>.+)",
            r"(?:i(?:'ve| have)?\s+)?(?:just\s+|finally\s+)?got\s+(?P<ref>.+?)\s+"
            r"(?:done|finished|sorted|out of the way)",
            # "walked the dog", "I've paid the rent": a past tense finishes the task of its
            # verb, but "feed the cat" or "need milk" only end in "ed".
            rf"(?:i(?:'ve| have)?\s+)?(?:just\s+|already\s+|finally\s+)"
            rf"?(?!(?:finished|completed|done|did|need|needed|wanted|added|got|{TODO_VERB})\b)"
            rf"(?!{FINISHED_IDIOM}\b)(?!\w+\s+(?:.+\s+)?off(?:\s+(?:my|the)\s+\w+)*$)"
            rf"(?P<ref>{PAST}\s+.+)",
            rf"(?P<ref>.+?)\s+(?:is|are|was|were)\s+(?:now\s+|all\s+)?{DONE_STATE}",
            # "milk done": a bare name and a state, when the name is no command or question.
            rf"(?!(?:mark|set|flag|change|update|switch|what|which|how|i|delete|remove|clear|"
            rf"erase|get rid|got)\b)(?P<ref>[^']+?)"
            r"(?<!\sas)(?<!\sto)(?<!\sis)(?<!\sare)(?<!\swas)(?<!\swere)(?<!\snow)(?<!\sall)"
            rf"\s+{DONE}",
            rf"(?!(?:what|which|who|how|where|when)\b)(?P<ref>.+?)'s\s+(?:now\s+|all\s+)?"
            rf"{DONE_STATE}",
            rf"(?P<ref>.+?)\s+(?:is|are|was|were|has been|have been)\s+(?:now\s+|all\s+)?"
            rf"(?!{DONE_STATE}$)(?P<state>{PAST})",
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
            "call uncle bob is done",
            "that's done",
            "the report's done",
            "task 3 done",
            "milk done ✅",
            "walked the dog",
            "paid the rent",
            "cross the report off",
            "scratch the rent off my list",
            "got the report done",
            "the car is taken care of",
            "rent's dealt with",
            "the report is done and dusted",
            "knocked out the report",
            "ticked the car off",
            "wrapped up the report",
            "tick off milk",
        ),
        (
            "I need to pay the rent",
            "what have I completed",
            "feed the cat",
            "need milk",
            "what's done",
            "mark milk as not done",
            "the report isn't done yet",
            "don't mark the report as done",
            "that one isn't done after all",
            "knock out the report",
            "I haven't finished the report",
        ),
        handler=_complete,
        refused=NEGATION,  # "don't mark it done", "it isn't done": no guess may finish a task
    ),
    IntentSpec(
        "delete",
        (
            r"(?:delete|remove|erase|trash|scrap|get rid of)\s+"
            rf"(?!.*\b{TASK_PART}\s+(?:from|off|on|of|for)\s)(?!.*'s\s+{TASK_PART}$)(?!#[a-z])"
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
        (
            "Drop off the kids at school",
            "delete all completed tasks",
            "Cancel the gym membership",
            "remove the due date from the dentist",
            "remove the home tag from the passport",
            "remove #work from the report",
            "cancel the report's deadline",
            "remove the report's deadline",
        ),
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
            rf"(?!{DONE}$)(?!{NOT_A_TITLE})(?P<title>.+)",
            # "change" and "update" rename only a task they name as one: "update the report to
            # include Q3 numbers" is a new to-do, not a new title for "Write the report".
            rf"(?:change|update|edit|modify)\s+(?P<ref>{NAMED_TASK})\s+(?:to|into|as)\s+"
            rf"(?!{DONE}$)(?!{NOT_A_TITLE})(?P<title>.+)",
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
            "change task 3 to Friday",
            "change it to urgent",
        ),
        handler=_rename,
    ),
    IntentSpec(
        "amend",
        (
            rf"(?:(?:actually|no|sorry|oops|wait)[,\s]+)*(?:make|change)\s+{PRONOUN}\s+"
            rf"(?!(?:to|into)\s)(?!(?:as\s+)?{PRIORITY}$)(?!due\s)(?P<title>.+)",
        ),
        ("actually make that oat milk", "make it two pints", "no, make that 3 eggs"),
        ("make a task to buy milk", "make it urgent"),
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
