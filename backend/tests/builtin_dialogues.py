"""The built-in agent's dialogues: messages in one conversation, where the agent reads its own
last question or the task it last named back from the stored history. test_builtin_agent.py
runs each through the real chat endpoint."""

from dataclasses import dataclass

from builtin_corpus import SEEDS, Seed

# The dialogues below start from the same task lists.
BILLS = SEEDS["bills"]
CALLS = SEEDS["calls"]
DENTIST = SEEDS["dentist"]
DENTISTS = SEEDS["dentists"]
MILK_AND_BILLS = SEEDS["milk_and_bills"]
MIXED = SEEDS["mixed"]
TWO_DONE = SEEDS["two_done"]


@dataclass(frozen=True)
class Step:
    message: str  # {0}, {1}... are the seeded tasks' ids, here and in the reply
    reply: str  # a part of the reply
    after: Seed  # the whole list afterwards, oldest first
    tools: list[str] | None = None  # the tools it used, where that matters


@dataclass(frozen=True)
class Dialogue:
    """Messages in one conversation: the agent reads its own earlier questions from history."""

    name: str
    seed: Seed
    steps: list[Step]


DIALOGUES = [
    Dialogue(
        "a number answers which one",
        CALLS,
        [
            Step("delete the call task", "Which one do you mean: {0}. Call mom", CALLS),
            Step("{2}", "Deleted task {2} 'Call the plumber'.", CALLS[:2]),
        ],
    ),
    Dialogue(
        "a title answers which one",
        CALLS,
        [
            Step("mark the call task as done", "I'll mark it complete", CALLS),
            Step(
                "call mom",
                "Marked task {0} 'Call mom' as complete.",
                [("Call mom", True), *CALLS[1:]],
            ),
        ],
    ),
    Dialogue(
        "a rename waits for its answer",
        CALLS,
        [
            Step("rename the call task to Ring mom", "I'll rename it to 'Ring mom'", CALLS),
            Step(
                "task {0}",
                "Updated task {0}: it is now 'Ring mom'.",
                [("Ring mom", False), *CALLS[1:]],
            ),
        ],
    ),
    Dialogue(
        "yes accepts a loose match",
        DENTIST,
        [
            Step("remove dentist", "Do you mean {0}.", DENTIST),
            Step("yes", "Deleted task {0} 'Call the dentist about the crown'.", []),
        ],
    ),
    Dialogue(
        "a new request after a question lists the tasks once",
        [*CALLS, ("Write the report", False)],
        [
            Step(
                "delete the call task",
                "Which one do you mean",
                [*CALLS, ("Write the report", False)],
            ),
            Step(
                "mark the report as done",
                "'Write the report' as complete",
                [*CALLS, ("Write the report", True)],
                ["list_tasks", "complete_task"],
            ),
        ],
    ),
    Dialogue(
        "no keeps everything",
        CALLS,
        [
            Step("delete the call task", "Which one do you mean", CALLS),
            Step("no", "Nothing changed.", CALLS),
        ],
    ),
    Dialogue(
        "a task that was not offered is no answer",
        CALLS,
        [
            Step("delete the call task", "Which one do you mean", CALLS),
            Step("{1}", "Nothing changed.", CALLS),
        ],
    ),
    Dialogue(
        "a new request drops the question",
        CALLS,
        [
            Step("delete the call task", "Which one do you mean", CALLS),
            Step("add eggs", "Added task", [*CALLS, ("Eggs", False)]),
        ],
    ),
    Dialogue(
        "yes confirms a bulk delete, once",
        TWO_DONE,
        [
            Step("delete all completed tasks", "Say 'yes' to delete them", TWO_DONE),
            Step("yes", "Deleted 2 tasks: {0}. Buy milk, {2}. Call mom.", [("Pay bills", False)]),
            Step("yes", "Nothing changed.", [("Pay bills", False)]),
        ],
    ),
    Dialogue(
        "make that amends the task just added",
        [],
        [
            Step("add buy milk", "Added task", [("Buy milk", False)]),
            Step(
                "actually make that oat milk", "it is now 'Buy oat milk'", [("Buy oat milk", False)]
            ),
        ],
    ),
    Dialogue(
        "it is the task just added",
        MILK_AND_BILLS,
        [
            Step("add call mom", "Added task", [*MILK_AND_BILLS, ("Call mom", False)]),
            Step("mark it done", "'Call mom' as complete", [*MILK_AND_BILLS, ("Call mom", True)]),
            Step("now delete it", "'Call mom'.", MILK_AND_BILLS),
        ],
    ),
    Dialogue(
        "it after a list of several is a question",
        MILK_AND_BILLS,
        [
            Step("show my tasks", "You have 2 tasks", MILK_AND_BILLS),
            Step("mark it done", "Which task?", MILK_AND_BILLS),
        ],
    ),
    Dialogue(
        "a finished gerund that fits two asks",
        CALLS,
        [
            Step("I finished calling", "Which one do you mean: {0}. Call mom", CALLS),
            Step("the plumber", "Marked task {2}", [*CALLS[:2], ("Call the plumber", True)]),
        ],
    ),
    Dialogue(
        "a new request that starts with ok is no yes",
        TWO_DONE,
        [
            Step("delete all completed tasks", "Say 'yes' to delete them", TWO_DONE),
            Step(
                "ok so delete task {1} please",
                "Deleted task {1} 'Pay bills'",
                [TWO_DONE[0], TWO_DONE[2]],
            ),
        ],
    ),
    Dialogue(
        "words that fit one offered task pick it",
        BILLS,
        [
            Step("delete the bills task", "Which one do you mean", BILLS),
            Step("the phone one", "Deleted task {1} 'Pay phone bills'.", BILLS[:1]),
        ],
    ),
    Dialogue(
        "it is the last task named",
        [],
        [
            Step("add buy milk", "Added task", [("Buy milk", False)]),
            Step("add eggs", "Added task", [("Buy milk", False), ("Eggs", False)]),
            Step("mark it done", "'Eggs' as complete", [("Buy milk", False), ("Eggs", True)]),
        ],
    ),
    Dialogue(
        "that's done completes the task just added",
        MILK_AND_BILLS,
        [
            Step("add call mom", "Added task", [*MILK_AND_BILLS, ("Call mom", False)]),
            Step("that's done 👍", "'Call mom' as complete", [*MILK_AND_BILLS, ("Call mom", True)]),
        ],
    ),
    Dialogue(
        "the example in a hint is not the task it means",
        MIXED,
        [
            Step("delete the last one", "Which task? Tell me its number (like 'task 3')", MIXED),
            Step("complete it", "Which task?", MIXED, []),
        ],
    ),
    Dialogue(
        "change it renames the task just added",
        [],
        [
            Step("add call mom", "Added task", [("Call mom", False)]),
            Step("change it to call dad", "it is now 'Call dad'", [("Call dad", False)]),
        ],
    ),
    Dialogue(
        "oops, change that renames the task just added",
        [],
        [
            Step("add call mom", "Added task", [("Call mom", False)]),
            Step("oops, change that to call dad", "it is now 'Call dad'", [("Call dad", False)]),
        ],
    ),
    Dialogue(
        "make it keeps the verb",
        [],
        [
            Step("add buy milk", "Added task", [("Buy milk", False)]),
            Step("make it two pints", "it is now 'Buy two pints'", [("Buy two pints", False)]),
        ],
    ),
    Dialogue(
        "yes please confirms",
        TWO_DONE,
        [
            Step("show my tasks", "You have 3 tasks", TWO_DONE),
            Step("clear completed tasks", "This will delete 2 completed tasks", TWO_DONE),
            Step("yes please", "Deleted 2 tasks", [("Pay bills", False)]),
        ],
    ),
    Dialogue(
        "it after a delete is gone",
        MILK_AND_BILLS,
        [
            Step("delete task {0}", "Deleted task {0}", MILK_AND_BILLS[1:]),
            Step("delete it", "couldn't find task {0}. Nothing changed.", MILK_AND_BILLS[1:]),
        ],
    ),
    Dialogue(
        "never mind drops a rename",
        CALLS,
        [
            Step("rename the call task to Ring mom", "Which one do you mean", CALLS),
            Step("never mind", "Nothing changed.", CALLS),
        ],
    ),
    Dialogue(
        "a search, then a choice",
        DENTISTS,
        [
            Step("anything about the dentist?", "2 tasks about 'dentist'", DENTISTS),
            Step("delete the dentist task", "Which one do you mean", DENTISTS),
            Step("{2}", "Deleted task {2} 'Dentist on Friday'.", DENTISTS[:2]),
        ],
    ),
    Dialogue(
        "no to a loose match",
        DENTIST,
        [
            Step("remove dentist", "Do you mean {0}.", DENTIST),
            Step("nope", "Nothing changed.", DENTIST),
        ],
    ),
    Dialogue(
        "yes confirms deleting two numbers",
        MIXED,
        [
            Step(
                "delete tasks {0} and {2}",
                "This will delete 2 tasks: {0}. Buy milk, {2}. Call mom.",
                MIXED,
            ),
            Step("yes", "Deleted 2 tasks: {0}. Buy milk, {2}. Call mom.", [("Pay bills", False)]),
        ],
    ),
    Dialogue(
        "that one isn't done after all reopens the task just completed",
        MILK_AND_BILLS,
        [
            Step(
                "mark the milk as done", "as complete", [("Buy milk", True), ("Pay bills", False)]
            ),
            Step(
                "oops, that one isn't done after all",
                "'Buy milk' is pending again",
                MILK_AND_BILLS,
                ["reopen_task"],
            ),
        ],
    ),
    Dialogue(
        "tag it tags the task just added",
        [],
        [
            Step("add buy nails", "Added task", [("Buy nails", False)]),
            # Tags are added to those the task has, so it is read first.
            Step("tag it home", "#home", [("Buy nails", False)], ["list_tasks", "update_task"]),
        ],
    ),
    Dialogue(
        "a due date waits for the answer to which one",
        CALLS,
        [
            Step("move the call task to Thursday", "Which one do you mean", CALLS),
            Step("call mom", "'Call mom', due Thu ", CALLS, ["list_tasks", "update_task"]),
        ],
    ),
    Dialogue(
        "a date it could not read is asked about, and the answer is read in its place",
        [],
        [
            Step("add dentist on the 45th", "When did you mean?", [], []),
            Step("the 15th", "Added task", [("Dentist", False)], ["add_task"]),
        ],
    ),
    Dialogue(
        "a new due date it could not read waits for the answer",
        CALLS,
        [
            Step("move mom to the 45th", "Nothing has changed yet", CALLS, []),
            Step("friday", "'Call mom', due Fri ", CALLS, ["list_tasks", "update_task"]),
        ],
    ),
    Dialogue(
        "no drops a date question",
        [],
        [
            Step("add dentist on the 45th", "When did you mean?", [], []),
            Step("never mind", "Nothing changed.", [], []),
        ],
    ),
    Dialogue(
        "no cancels a bulk delete",
        TWO_DONE,
        [
            Step("delete all completed tasks", "Nothing has changed yet", TWO_DONE),
            Step("no thanks", "Nothing changed.", TWO_DONE),
        ],
    ),
]
