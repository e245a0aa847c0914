"""The intents that plan a task that exists: reopen it, move its due date, clear it, change its
priority, tag and untag it; each with its handler. A date that names none is asked about before
any task is looked at."""

from todo_backend.agent.builtin.actions import TaskActions
from todo_backend.agent.builtin.dates import WHEN
from todo_backend.agent.builtin.intent_spec import IntentSpec, Parsed
from todo_backend.agent.builtin.plans import PRIORITY, TAG_LIST, TAG_NAME, priority_of, tag_names
from todo_backend.agent.builtin.vocabulary import DONE, DONE_STATE, TASK_PART

# Verbs that say a priority by themselves.
_PRIORITY_VERBS = {
    "prioritise": "high",
    "prioritize": "high",
    "escalate": "high",
    "deprioritise": "low",
    "deprioritize": "low",
}
_DEADLINE = r"(?:due\s+date|deadline|date)"
_NOT_A_TAG = r"(?!(?:the|all|its|every|any)\s)"
_AFTER_ALL = r"(?:\s+(?:after all|yet|anymore|any more|actually))*"


async def _reopen(work: TaskActions, parsed: Parsed) -> str:
    return await work.act_on_reference("reopen", parsed.fields["ref"])


async def _reschedule(work: TaskActions, parsed: Parsed) -> str:
    when = parsed.fields["when"]
    problem = work.date_problem(when, parsed.text)
    if problem:
        return problem
    return await work.act_on_reference("reschedule", parsed.fields["ref"], when)


async def _clear_due(work: TaskActions, parsed: Parsed) -> str:
    return await work.act_on_reference("clear_due", parsed.fields["ref"])


async def _prioritise(work: TaskActions, parsed: Parsed) -> str:
    words = parsed.fields["priority"].lower()
    priority = _PRIORITY_VERBS.get(words) or priority_of(words)
    return await work.act_on_reference("prioritise", parsed.fields["ref"], priority)


async def _tag(work: TaskActions, parsed: Parsed) -> str:
    tags = " ".join(f"#{tag}" for tag in tag_names(parsed.fields["tags"]))
    return await work.act_on_reference("tag", parsed.fields["ref"], tags)


async def _untag(work: TaskActions, parsed: Parsed) -> str:
    if "tags" not in parsed.fields:
        return await work.act_on_reference("untag_all", parsed.fields["ref"])
    tags = " ".join(f"#{tag}" for tag in tag_names(parsed.fields["tags"]))
    return await work.act_on_reference("untag", parsed.fields["ref"], tags)


PLAN_INTENTS: tuple[IntentSpec, ...] = (
    IntentSpec(
        "reopen",
        (
            r"(?:reopen|re-open|uncheck|untick|unmark|uncomplete|un-complete)\s+(?P<ref>.+)",
            r"(?:mark|set|flag|change|switch|put)\s+(?P<ref>.+?)\s+(?:back\s+)?(?:as\s+|to\s+)?"
            rf"(?:not\s+(?:yet\s+)?{DONE}|undone|unfinished|incomplete|pending|open|to\s+do)"
            r"(?:\s+again)?",
            rf"(?P<ref>.+?)\s+(?:isn't|is not|isnt|aren't|are not|wasn't|was not)\s+"
            rf"(?:really\s+|actually\s+|quite\s+)?{DONE_STATE}{_AFTER_ALL}",
            rf"(?P<ref>.+?)'s\s+not\s+(?:really\s+|actually\s+)?{DONE_STATE}{_AFTER_ALL}",
            r"i\s+(?:haven't|have not|didn't|did not)\s+(?:actually\s+|really\s+)?"
            rf"(?:finish|finished|complete|completed|do|done)\s+(?P<ref>.+?){_AFTER_ALL}",
        ),
        (
            "reopen buy milk",
            "that one isn't done after all",
            "the report isn't done yet",
            "mark the milk as not done",
            "uncheck milk",
            "mark task 3 as pending",
            "I haven't finished the report",
            "milk's not done after all",
        ),
        ("mark the milk as done", "the report is done"),
        handler=_reopen,
    ),
    IntentSpec(
        "reschedule",
        (
            rf"(?:move|push|shift|bump|change|set|switch)\s+(?!back\b)(?!the\s+{TASK_PART}\s)"
            rf"(?P<ref>.+?)\s+(?:to|till|until|back\s+to|out\s+to)\s+(?P<when>{WHEN})",
            r"(?:reschedule|postpone|delay|put\s+off|push\s+back)\s+(?P<ref>.+?)\s+(?:to\s+)?"
            rf"(?P<when>{WHEN})",
            rf"(?P<ref>.+?)\s+(?:is|are)\s+(?:now\s+)?due\s+(?P<when>{WHEN})",
            rf"(?:make|set)\s+(?P<ref>.+?)\s+due\s+(?P<when>{WHEN})",
            rf"(?:set|change|make|update|move)\s+the\s+{_DEADLINE}\s+(?:of|for|on)\s+(?P<ref>.+?)"
            rf"\s+to\s+(?P<when>{WHEN})",
        ),
        (
            "move the dentist to Thursday",
            "push the report to next week",
            "the car is due friday",
            "move the dentist to the 45th",
            "postpone the dentist until Monday morning",
            "make the report due tomorrow at 5pm",
            "change the due date of the report to the 3rd",
            "change task 3 to Friday",
            "push back the report to next week",
        ),
        ("move the car to the garage", "Change the oil"),
        handler=_reschedule,
    ),
    IntentSpec(
        "clear_due",
        (
            r"(?:no|remove(?:\s+the)?|clear(?:\s+the)?|drop(?:\s+the)?|delete(?:\s+the)?|"
            r"cancel(?:\s+the)?|take(?:\s+off)?\s+the|forget(?:\s+the)?)\s+"
            rf"{_DEADLINE}\s+(?:for|from|on|of|off)\s+(?P<ref>.+)",
            rf"(?:remove|clear|drop|delete|cancel|forget)\s+(?P<ref>.+?)'s\s+{_DEADLINE}",
            rf"(?P<ref>.+?)\s+(?:has|have|needs)\s+no\s+{_DEADLINE}(?:\s+any\s*more)?",
        ),
        (
            "no deadline for the report",
            "remove the due date from the dentist",
            "cancel the report's deadline",
            "take the deadline off the report",
            "the report has no deadline",
        ),
        ("delete the report",),
        handler=_clear_due,
    ),
    IntentSpec(
        "prioritise",
        (
            r"(?:make|mark|set|flag|change|switch)\s+(?P<ref>.+?)\s+(?:as\s+|to\s+)?(?:a\s+)?"
            rf"(?P<priority>{PRIORITY})",
            rf"(?P<ref>.+?)\s+(?:is|are)\s+(?:now\s+|really\s+|very\s+|super\s+)?(?:a\s+)?"
            rf"(?P<priority>{PRIORITY})",
            r"(?P<priority>prioriti[sz]e|deprioriti[sz]e|escalate)\s+(?P<ref>.+)",
        ),
        (
            "make the passport urgent",
            "the report is not important",
            "set the rent to high priority",
            "make it urgent",
            "mark task 2 as low priority",
            "prioritise the report",
        ),
        ("add call the bank, urgent", "show my high priority tasks"),
        handler=_prioritise,
    ),
    IntentSpec(
        "tag",
        (
            rf"(?:tag|label)\s+(?P<ref>.+?)\s+(?:as|with)\s+(?P<tags>{TAG_LIST})",
            rf"(?:tag|label)\s+(?P<ref>.+)(?<!\sas)(?<!\swith)\s+(?P<tags>#?{TAG_NAME})",
            rf"add\s+(?P<tags>#{TAG_NAME}(?:\s+#{TAG_NAME})*)\s+to\s+(?P<ref>.+)",
        ),
        ("tag the passport travel", "tag it home", "add #errands to the car", "tag task 3 as work"),
        ("add buy nails #home",),
        handler=_tag,
    ),
    IntentSpec(
        "untag",
        (
            r"(?:untag|unlabel)\s+(?P<ref>.+)",
            rf"(?:remove|delete|drop|take)\s+(?:the\s+)?{_NOT_A_TAG}"
            rf"(?P<tags>#?{TAG_NAME}(?:(?:\s*,\s*|\s+and\s+)#?{TAG_NAME})*)\s+tags?\s+(?:off|from)"
            r"\s+(?P<ref>.+)",
            rf"(?:remove|delete|drop|take)\s+(?P<tags>#{TAG_NAME}(?:\s+#{TAG_NAME})*)\s+"
            r"(?:off|from)\s+(?P<ref>.+)",
            r"(?:remove|delete|drop|clear|take)\s+(?:all\s+)?(?:the\s+|its\s+)?tags\s+"
            r"(?:off|from|on)\s+(?P<ref>.+)",
        ),
        (
            "untag the report",
            "remove the home tag from the passport",
            "remove #work from the report",
            "clear the tags on task 2",
        ),
        ("remove the report",),
        handler=_untag,
    ),
)
