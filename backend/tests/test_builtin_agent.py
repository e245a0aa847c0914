"""The built-in agent's corpus, through the real chat endpoint: for each message, the intent the
parser must read, the tools it used, the tasks in the database afterwards and a part of its
reply. `CASES` are single messages; `DIALOGUES` are conversations, where the agent reads its own
last question or the task it last named back from the stored history. Many cases must leave
every existing task as it was: the agent may never delete, complete or rename on a guess."""

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
import pytest

from backend_testkit import Account, make_settings
from todo_backend.agent.builtin.intents import Parsed
from todo_backend.agent.builtin.parser import Unclear, parse
from todo_backend.main import create_app

Seed = list[tuple[str, bool]]  # (title, completed), oldest first


@dataclass(frozen=True)
class Case:
    intent: str  # the intent the parser must read, "unclear" or "unknown"
    message: str
    tools: list[str]
    after: Seed  # the whole list afterwards, oldest first
    reply: str  # a part of the reply; {0}, {1}... are the seeded tasks' ids
    seed: Seed = field(default_factory=list)


MILK_AND_BILLS: Seed = [("Buy milk", False), ("Pay bills", False)]
MEETINGS: Seed = [("Team meeting", False), ("Meeting notes", False), ("Buy milk", False)]
MIXED: Seed = [("Buy milk", True), ("Pay bills", False), ("Call mom", False)]
CALLS: Seed = [("Call mom", False), ("Buy milk", False), ("Call the plumber", False)]
MILKS: Seed = [("Buy milk", False), ("Buy oat milk", False)]
DENTIST: Seed = [("Call the dentist about the crown", False)]
TWO_DONE: Seed = [("Buy milk", True), ("Pay bills", False), ("Call mom", True)]
KIDS = "Drop off the kids at school"
CHORES: Seed = [("Wash the car", False), ("Pay rent", False), ("Write the report", False)]
BILLS: Seed = [("Pay bills", False), ("Pay phone bills", False)]
CARS: Seed = [("Wash the car", False), ("Sell the car", False)]
DENTISTS: Seed = [("Call the dentist", False), ("Buy milk", False), ("Dentist on Friday", False)]

CASES = [
    # adding
    Case(
        "add", "Add a task to buy groceries", ["add_task"], [("Buy groceries", False)], "Added task"
    ),
    Case(
        "add",
        "I need to remember to pay bills",
        ["add_task"],
        [("Pay bills", False)],
        "'Pay bills'",
    ),
    Case("add", "add buy milk to my list", ["add_task"], [("Buy milk", False)], "'Buy milk'"),
    Case(
        "add", "Remind me to call the dentist", ["add_task"], [("Call the dentist", False)], "Added"
    ),
    Case(
        "add",
        "please add a new task: water the plants",
        ["add_task"],
        [("Water the plants", False)],
        "Added",
    ),
    Case(
        "add",
        "Create a task called 'Renew passport'",
        ["add_task"],
        [("Renew passport", False)],
        "Renew passport",
    ),
    Case("add", "todo: fix the bike", ["add_task"], [("Fix the bike", False)], "Fix the bike"),
    Case("add", "I have to walk the dog.", ["add_task"], [("Walk the dog", False)], "Walk the dog"),
    Case(
        "add",
        "Don't let me forget to book flights!",
        ["add_task"],
        [("Book flights", False)],
        "Book flights",
    ),
    Case(
        "add",
        "add a dentist appointment task",
        ["add_task"],
        [("Dentist appointment", False)],
        "Dentist appointment",
    ),
    Case(
        "add",
        "Write the notes for the meeting",
        ["add_task"],
        [("Write the notes for the meeting", False)],
        "'Write the notes for the meeting'",
    ),
    Case(
        "add",
        "add buy milk - notes: two litres",
        ["add_task"],
        [("Buy milk", False)],
        "'Buy milk'",
    ),
    Case(
        "add",
        "Add a task to call John with description about the contract",
        ["add_task"],
        [("Call John", False)],
        "Call John",
    ),
    Case("add", "Add a task", [], [], "What should the task say?"),
    Case("add", "add a task to " + "x" * 250, [], [], "keep it under 200"),
    # listing
    Case("list", "Show me all my tasks", ["list_tasks"], MIXED, "You have 3 tasks", MIXED),
    Case("list", "list my tasks", ["list_tasks"], MIXED, "- [x] Buy milk", MIXED),
    Case("list", "What's pending?", ["list_tasks"], MIXED, "You have 2 pending tasks", MIXED),
    Case("list", "what do I still have to do", ["list_tasks"], MIXED, "Call mom", MIXED),
    Case(
        "list", "What have I completed?", ["list_tasks"], MIXED, "You have completed 1 task", MIXED
    ),
    Case("list", "show finished tasks", ["list_tasks"], MIXED, "[x] Buy milk", MIXED),
    Case("list", "How many tasks do I have?", ["list_tasks"], MIXED, "3 tasks", MIXED),
    Case("list", "Show my tasks", ["list_tasks"], [], "You have no tasks yet"),
    Case(
        "list",
        "What's pending?",
        ["list_tasks"],
        [("Done", True)],
        "all caught up",
        [("Done", True)],
    ),
    Case(
        "list",
        "what have I completed",
        ["list_tasks"],
        [("Open", False)],
        "haven't completed any",
        [("Open", False)],
    ),
    # completing
    Case(
        "complete",
        "Mark task {0} as complete",
        ["complete_task"],
        [("Buy milk", True), ("Pay bills", False)],
        "Marked task {0} 'Buy milk' as complete",
        MILK_AND_BILLS,
    ),
    Case(
        "complete",
        "complete task #{1}",
        ["complete_task"],
        [("Buy milk", False), ("Pay bills", True)],
        "as complete",
        MILK_AND_BILLS,
    ),
    Case(
        "complete",
        "Mark the milk task as done",
        ["list_tasks", "complete_task"],
        [("Buy milk", True), ("Pay bills", False)],
        "'Buy milk' as complete",
        MILK_AND_BILLS,
    ),
    Case(
        "complete",
        "I finished the bills",
        ["list_tasks", "complete_task"],
        [("Buy milk", False), ("Pay bills", True)],
        "Pay bills",
        MILK_AND_BILLS,
    ),
    Case(
        "complete",
        "the milk task is done",
        ["list_tasks", "complete_task"],
        [("Buy milk", True), ("Pay bills", False)],
        "complete",
        MILK_AND_BILLS,
    ),
    Case(
        "complete",
        "check off buy milk",
        ["list_tasks", "complete_task"],
        [("Buy milk", True), ("Pay bills", False)],
        "complete",
        MILK_AND_BILLS,
    ),
    Case(
        "complete",
        "Mark task 99999 as complete",
        ["complete_task"],
        MILK_AND_BILLS,
        "couldn't find task 99999",
        MILK_AND_BILLS,
    ),
    Case(
        "complete",
        "Mark the dentist task as done",
        ["list_tasks"],
        MILK_AND_BILLS,
        "couldn't find a task matching 'dentist'",
        MILK_AND_BILLS,
    ),
    # deleting
    Case(
        "delete",
        "Delete the meeting task",
        ["list_tasks"],
        MEETINGS,
        "Which one do you mean: {0}. Team meeting, {1}. Meeting notes? Nothing has changed yet",
        MEETINGS,
    ),
    Case(
        "delete",
        "Delete the team meeting task",
        ["list_tasks", "delete_task"],
        MEETINGS[1:],
        "Deleted task {0} 'Team meeting'",
        MEETINGS,
    ),
    Case(
        "delete",
        "delete task {2}",
        ["delete_task"],
        MEETINGS[:2],
        "Deleted task {2} 'Buy milk'",
        MEETINGS,
    ),
    Case(
        "delete",
        "remove the milk one",
        ["list_tasks", "delete_task"],
        MEETINGS[:2],
        "Deleted",
        MEETINGS,
    ),
    Case(
        "delete",
        "get rid of meeting notes",
        ["list_tasks", "delete_task"],
        [MEETINGS[0], MEETINGS[2]],
        "'Meeting notes'",
        MEETINGS,
    ),
    Case(
        "delete",
        "Delete the gym task",
        ["list_tasks"],
        MEETINGS,
        "couldn't find a task matching 'gym'",
        MEETINGS,
    ),
    Case(
        "delete",
        "delete task 99999",
        ["delete_task"],
        MEETINGS,
        "couldn't find task 99999. Nothing changed.",
        MEETINGS,
    ),
    Case("delete", "delete it", [], MEETINGS, "Which task?", MEETINGS),
    # updating
    Case(
        "rename",
        "Change task {0} to 'Call mom tonight'",
        ["update_task"],
        [("Call mom tonight", False), ("Pay bills", False)],
        "it is now 'Call mom tonight'",
        MILK_AND_BILLS,
    ),
    Case(
        "rename",
        "rename the milk task to buy oat milk",
        ["list_tasks", "update_task"],
        [("Buy oat milk", False), ("Pay bills", False)],
        "'Buy oat milk'",
        MILK_AND_BILLS,
    ),
    Case(
        "rename",
        'update task {1} to "Pay all bills"',
        ["update_task"],
        [("Buy milk", False), ("Pay all bills", False)],
        "Pay all bills",
        MILK_AND_BILLS,
    ),
    Case(
        "rename",
        "change the gym task to yoga",
        ["list_tasks"],
        MILK_AND_BILLS,
        "couldn't find",
        MILK_AND_BILLS,
    ),
    Case(
        "describe",
        "set the description of task {0} to two litres",
        ["update_task"],
        MILK_AND_BILLS,
        "Updated the description of task {0}",
        MILK_AND_BILLS,
    ),
    # conversation
    Case("greeting", "Hello!", [], [], "I can manage your tasks"),
    Case("help", "help", [], [], "Add a task to buy groceries"),
    Case("thanks", "thanks!", [], [], "You're welcome"),
    Case("unknown", "what is the meaning of life", [], [], "Sorry, I didn't catch that"),
    Case("unknown", "asdf qwerty", [], [], "Sorry, I didn't catch that. Nothing changed."),
    # never destroying on a guess: new to-dos that start like commands are added, verb and all
    Case("add", KIDS, ["add_task"], [(KIDS, False), (KIDS, False)], "Added task", [(KIDS, False)]),
    Case(
        "add",
        "Pick up the dry cleaning",
        ["add_task"],
        [("Pick up the dry cleaning", False)],
        "'Pick up the dry cleaning'",
    ),
    Case(
        "add", "Put the bins out", ["add_task"], [("Put the bins out", False)], "'Put the bins out'"
    ),
    Case("add", "add call mom to my todos", ["add_task"], [("Call mom", False)], ": 'Call mom'."),
    Case(
        "add",
        "Cancel the gym membership",
        ["add_task"],
        [("Gym membership", False), ("Cancel the gym membership", False)],
        "'Cancel the gym membership'",
        [("Gym membership", False)],
    ),
    Case(
        "delete",
        "drop the milk task",
        ["list_tasks", "delete_task"],
        [("Pay bills", False)],
        "Deleted task {0} 'Buy milk'",
        MILK_AND_BILLS,
    ),
    Case(
        "complete",
        "Change task {2} to done",
        ["complete_task"],
        [("Buy milk", True), ("Pay bills", False), ("Call mom", True)],
        "Marked task {2} 'Call mom' as complete",
        MIXED,
    ),
    # ... and delete, complete and rename only a task named for sure
    Case(
        "delete",
        "delete the call task",
        ["list_tasks"],
        CALLS,
        "Which one do you mean: {0}. Call mom, {2}. Call the plumber? Nothing has changed yet",
        CALLS,
    ),
    Case("delete", "delete the milk task", ["list_tasks"], MILKS, "Which one do you mean", MILKS),
    Case("complete", "mark milk as done", ["list_tasks"], MILKS, "Which one do you mean", MILKS),
    Case(
        "delete",
        "delete the plumer task",
        ["list_tasks", "delete_task"],
        CALLS[:2],
        "Deleted task {2} 'Call the plumber'",
        CALLS,
    ),
    Case(
        "delete",
        "remove dentist",
        ["list_tasks"],
        DENTIST,
        "Do you mean {0}. Call the dentist about the crown? Nothing has changed yet",
        DENTIST,
    ),
    Case(
        "complete",
        "mark call mom as done",
        ["list_tasks", "complete_task"],
        [("Call mom tonight", False), ("Call mom", True)],
        "Marked task {1} 'Call mom' as complete",
        [("Call mom tonight", False), ("Call mom", False)],
    ),
    Case(
        "complete",
        "mark buy milk as done",
        ["list_tasks"],
        MIXED,
        "Task {0} 'Buy milk' is already complete. Nothing changed.",
        MIXED,
    ),
    Case(
        "delete_all",
        "delete all completed tasks",
        ["list_tasks"],
        TWO_DONE,
        "This will delete 2 completed tasks: {0}. Buy milk, {2}. Call mom. Say 'yes'",
        TWO_DONE,
    ),
    Case(
        "delete_all",
        "clear all done tasks",
        ["list_tasks"],
        MIXED,
        "This will delete 1 completed task",
        MIXED,
    ),
    Case(
        "delete_all", "delete everything", ["list_tasks"], MIXED, "This will delete 3 tasks", MIXED
    ),
    Case(
        "delete_all",
        "delete tasks {0}, {1} and 99999",
        ["list_tasks"],
        MIXED,
        "This will delete 2 tasks: {0}. Buy milk, {1}. Pay bills. Say 'yes' to delete them, "
        "or 'no' to keep them. Nothing has changed yet. I couldn't find task 99999.",
        MIXED,
    ),
    Case(
        "delete_all",
        "delete tasks 99998 and 99999",
        ["list_tasks"],
        MIXED,
        "I couldn't find tasks 99998 and 99999. Nothing changed.",
        MIXED,
    ),
    Case(
        "delete_all",
        "Delete all completed tasks",
        ["list_tasks"],
        MILK_AND_BILLS,
        "You have no completed tasks. Nothing changed.",
        MILK_AND_BILLS,
    ),  # completion stated as a fact, in another tense
    Case(
        "complete",
        "the car is washed",
        ["list_tasks", "complete_task"],
        [("Wash the car", True), *CHORES[1:]],
        "Marked task {0} 'Wash the car' as complete",
        CHORES,
    ),
    Case(
        "complete",
        "I've paid the rent",
        ["list_tasks", "complete_task"],
        [CHORES[0], ("Pay rent", True), CHORES[2]],
        "Marked task {1} 'Pay rent' as complete",
        CHORES,
    ),
    Case(
        "complete",
        "finished the report!",
        ["list_tasks", "complete_task"],
        [*CHORES[:2], ("Write the report", True)],
        "Marked task {2} 'Write the report' as complete",
        CHORES,
    ),
    Case(
        "complete",
        "I finished calling the plumber",
        ["list_tasks", "complete_task"],
        [*CALLS[:2], ("Call the plumber", True)],
        "Marked task {2} 'Call the plumber' as complete",
        CALLS,
    ),
    Case(
        "complete",
        "call mom is done",
        ["list_tasks", "complete_task"],
        [("Call mom", True), *CALLS[1:]],
        "Marked task {0} 'Call mom' as complete",
        CALLS,
    ),
    Case(
        "complete",
        "walked the dog 🐕",
        ["list_tasks", "complete_task"],
        [("Walk the dog", True), ("Feed the dog", False)],
        "Marked task {0} 'Walk the dog' as complete",
        [("Walk the dog", False), ("Feed the dog", False)],
    ),
    Case(
        "add",
        "feed the dog",
        ["add_task"],
        [("Walk the dog", False), ("Feed the dog", False)],
        "Added task",
        [("Walk the dog", False)],
    ),
    Case("complete", "the garage is painted", ["list_tasks"], CHORES, "Nothing changed", CHORES),
    # several items in one message
    Case(
        "add",
        "add eggs, bread and butter",
        ["add_task", "add_task", "add_task"],
        [("Eggs", False), ("Bread", False), ("Butter", False)],
        "Added 3 tasks:",
    ),
    Case(
        "add",
        "add call mom and pay rent",
        ["add_task", "add_task"],
        [("Call mom", False), ("Pay rent", False)],
        ". Call mom, ",
    ),
    Case(
        "add",
        "buy bread, milk, and cheese",
        ["add_task", "add_task", "add_task"],
        [("Buy bread", False), ("Buy milk", False), ("Buy cheese", False)],
        ". Buy bread, ",
    ),
    Case(
        "add",
        "Pick up the kids, the dry cleaning and the parcel",
        ["add_task", "add_task", "add_task"],
        [
            ("Pick up the kids", False),
            ("Pick up the dry cleaning", False),
            ("Pick up the parcel", False),
        ],
        "Added 3 tasks",
    ),
    Case("add", "add bread and butter", ["add_task"], [("Bread and butter", False)], "Added task"),
    # filters in words
    Case("list", "what's left?", ["list_tasks"], MIXED, "You have 2 pending tasks", MIXED),
    Case("list", "what did I finish", ["list_tasks"], MIXED, "You have completed 1 task", MIXED),
    Case(
        "search",
        "anything about the dentist?",
        ["list_tasks"],
        DENTISTS,
        "2 tasks about 'dentist':",
        DENTISTS,
    ),
    Case("search", "show tasks with milk", ["list_tasks"], MILKS, "2 tasks about 'milk':", MILKS),
    Case(
        "complete",
        "milk done ✅",
        ["list_tasks", "complete_task"],
        [("Buy milk", True), ("Pay bills", False)],
        "Marked task {0} 'Buy milk' as complete",
        MILK_AND_BILLS,
    ),
    Case(
        "complete",
        "task {1} done",
        ["complete_task"],
        [("Buy milk", False), ("Pay bills", True)],
        "Marked task {1} 'Pay bills' as complete",
        MILK_AND_BILLS,
    ),
    Case(
        "delete_all",
        "remove completed",
        ["list_tasks"],
        TWO_DONE,
        "This will delete 2 completed tasks",
        TWO_DONE,
    ),
    Case("search", "search milk", ["list_tasks"], MILKS, "2 tasks about 'milk':", MILKS),
    Case(
        "complete",
        "the report's done",
        ["list_tasks", "complete_task"],
        [*CHORES[:2], ("Write the report", True)],
        "Marked task {2} 'Write the report' as complete",
        CHORES,
    ),
    Case(
        "search",
        "anything about the gym?",
        ["list_tasks"],
        DENTISTS,
        "No tasks mention 'gym'",
        DENTISTS,
    ),
    # polite wrappers and noise
    Case("add", "Hey, could you please add milk 🥛!!", ["add_task"], [("Milk", False)], "'Milk'"),
    Case("list", "pls show my tasks, thanks", ["list_tasks"], MIXED, "You have 3 tasks", MIXED),
    Case(
        "delete",
        "ok so delete task {0} please",
        ["delete_task"],
        MIXED[1:],
        "Deleted task {0}",
        MIXED,
    ),
    # must not destroy: new to-dos that look like commands, loose or missing references
    Case(
        "add",
        "Drop off the dry cleaning",
        ["add_task"],
        [*MIXED, ("Drop off the dry cleaning", False)],
        "Added task",
        MIXED,
    ),
    Case(
        "add",
        "Cancel the newspaper",
        ["add_task"],
        [("Newspaper", False), ("Cancel the newspaper", False)],
        "Added task",
        [("Newspaper", False)],
    ),
    Case(
        "add",
        "Clean the fridge",
        ["add_task"],
        [("Clean the fridge", True), ("Clean the fridge", False)],
        "Added task",
        [("Clean the fridge", True)],
    ),
    Case(
        "add",
        "Take out the trash",
        ["add_task"],
        [("Take out the trash", True), ("Take out the trash", False)],
        "Added task",
        [("Take out the trash", True)],
    ),
    Case(
        "add",
        "Put away the groceries",
        ["add_task"],
        [*MIXED, ("Put away the groceries", False)],
        "'Put away the groceries'",
        MIXED,
    ),
    Case(
        "add",
        "Pick up milk on the way home",
        ["add_task"],
        [*MIXED, ("Pick up milk on the way home", False)],
        "Added task",
        MIXED,
    ),
    Case(
        "add",
        "Drop the car at the garage",
        ["add_task"],
        [*CARS, ("Drop the car at the garage", False)],
        "Added task",
        CARS,
    ),
    Case(
        "add",
        "Check the tyres",
        ["add_task"],
        [*CARS, ("Check the tyres", False)],
        "'Check the tyres'",
        CARS,
    ),
    Case(
        "add",
        "Book a table for Friday",
        ["add_task"],
        [*MIXED, ("Book a table for Friday", False)],
        "Added task",
        MIXED,
    ),
    Case(
        "add",
        "Change the bed sheets",
        ["add_task"],
        [*MIXED, ("Change the bed sheets", False)],
        "Added task",
        MIXED,
    ),
    Case(
        "add",
        "Clear the table after dinner",
        ["add_task"],
        [*MIXED, ("Clear the table after dinner", False)],
        "Added task",
        MIXED,
    ),
    Case(
        "add",
        "Throw out the old magazines",
        ["add_task"],
        [*MIXED, ("Throw out the old magazines", False)],
        "Added task",
        MIXED,
    ),
    Case("delete_all", "clear all", ["list_tasks"], MIXED, "This will delete 3 tasks", MIXED),
    Case(
        "add",
        "update the report to include Q3 numbers",
        ["add_task"],
        [*CHORES, ("Update the report to include Q3 numbers", False)],
        "Added task",
        CHORES,
    ),
    Case(
        "add",
        "change the car oil to synthetic",
        ["add_task"],
        [*CHORES, ("Change the car oil to synthetic", False)],
        "Added task",
        CHORES,
    ),
    Case(
        "add",
        "Update the CV",
        ["add_task"],
        [*MIXED, ("Update the CV", False)],
        "'Update the CV'",
        MIXED,
    ),
    Case(
        "add",
        "Set up the printer",
        ["add_task"],
        [*MIXED, ("Set up the printer", False)],
        "Added task",
        MIXED,
    ),
    Case(
        "add",
        "Move the sofa to the lounge",
        ["add_task"],
        [*MIXED, ("Move the sofa to the lounge", False)],
        "Added task",
        MIXED,
    ),
    Case(
        "delete",
        "delete the bills task",
        ["list_tasks"],
        BILLS,
        "Which one do you mean: {0}. Pay bills, {1}. Pay phone bills?",
        BILLS,
    ),
    Case("delete", "remove the car", ["list_tasks"], CARS, "Which one do you mean", CARS),
    Case(
        "delete",
        "delete the dentist",
        ["list_tasks"],
        DENTISTS,
        "Which one do you mean: {0}. Call the dentist, {2}. Dentist on Friday?",
        DENTISTS,
    ),
    Case(
        "delete",
        "remove the dentist one",
        ["list_tasks"],
        DENTISTS,
        "Nothing has changed yet",
        DENTISTS,
    ),
    Case("delete", "delete the 'Pay' task", ["list_tasks"], BILLS, "Which one do you mean", BILLS),
    Case(
        "delete",
        "delete mum",
        ["list_tasks"],
        CALLS,
        "couldn't find a task matching 'mum'. Nothing changed.",
        CALLS,
    ),
    Case(
        "delete",
        "delete the mild task",
        ["list_tasks"],
        MILK_AND_BILLS,
        "Nothing changed.",
        MILK_AND_BILLS,
    ),
    Case(
        "delete",
        "delete task 0",
        [],  # no task can have number 0: the tools are not asked
        MIXED,
        "couldn't find task 0. Nothing changed.",
        MIXED,
    ),
    Case("delete", "cancel task 99999", ["delete_task"], MIXED, "couldn't find task 99999", MIXED),
    Case(
        "delete",
        "remove the crown and the bill",
        ["list_tasks"],
        DENTIST,
        "Nothing changed.",
        DENTIST,
    ),
    Case(
        "complete",
        "mark the dentist as done",
        ["list_tasks"],
        DENTISTS,
        "I'll mark it complete",
        DENTISTS,
    ),
    Case("complete", "I've paid the gas bill", ["list_tasks"], CHORES, "Nothing changed.", CHORES),
    Case(
        "complete", "finished the presentation", ["list_tasks"], CHORES, "Nothing changed.", CHORES
    ),
    Case("complete", "the milk is bought", ["list_tasks"], MILKS, "Which one do you mean", MILKS),
    Case(
        "complete",
        "done with the meeting",
        ["list_tasks"],
        MEETINGS,
        "Which one do you mean",
        MEETINGS,
    ),
    Case("complete", "mark everything as done", ["list_tasks"], MIXED, "Nothing changed.", MIXED),
    Case("complete", "the bills are paid", ["list_tasks"], BILLS, "Which one do you mean", BILLS),
    Case(
        "rename",
        "rename bills to Pay all bills",
        ["list_tasks"],
        BILLS,
        "I'll rename it to 'Pay all bills'",
        BILLS,
    ),
    Case(
        "rename",
        "rename the dentist task to Orthodontist",
        ["list_tasks"],
        DENTISTS,
        "Nothing has changed yet",
        DENTISTS,
    ),
    Case(
        "rename",
        "change task 99999 to Walk the dog",
        ["update_task"],
        MIXED,
        "couldn't find task 99999",
        MIXED,
    ),
    Case(
        "describe",
        "set the description of the bills task to monthly",
        ["list_tasks"],
        BILLS,
        "I'll set its description to 'monthly'",
        BILLS,
    ),
    Case(
        "delete_all",
        "remove all my tasks",
        ["list_tasks"],
        MIXED,
        "This will delete 3 tasks",
        MIXED,
    ),
    Case(
        "delete_all",
        "clear completed tasks",
        ["list_tasks"],
        TWO_DONE,
        "This will delete 2 completed tasks",
        TWO_DONE,
    ),
    Case(
        "delete_all",
        "get rid of everything on my list",
        ["list_tasks"],
        MIXED,
        "Nothing has changed yet",
        MIXED,
    ),
    Case("unknown", "milk", [], MIXED, "Nothing changed.", MIXED),
    Case("unknown", "delete", [], MIXED, "Nothing changed.", MIXED),
    Case("unclear", "add the milk task is done", [], MIXED, "Nothing changed.", MIXED),
    Case(
        "complete",
        "I did the meeting notes",
        ["list_tasks", "complete_task"],
        [MEETINGS[0], ("Meeting notes", True), MEETINGS[2]],
        "Marked task {1} 'Meeting notes'",
        MEETINGS,
    ),
    Case(
        "unclear",
        "show me the milk task is done",
        [],
        MIXED,
        "I'm not sure whether you want to see your tasks or to complete a task. Nothing changed.",
        MIXED,
    ),
]


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
async def agent_client(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[httpx.AsyncClient]:
    """One SQLite app for the whole table (the agent's wording does not depend on the database)."""
    database = tmp_path_factory.mktemp("agent") / "todo.db"
    app = create_app(make_settings(f"sqlite:///{database}"))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client,
    ):
        yield client


async def fresh_account(client: httpx.AsyncClient, number: int) -> Account:
    email = f"agent-{number}@example.com"
    response = await client.post(
        "/api/auth/sign-up", json={"email": email, "password": "agent-pass", "name": "Agent"}
    )
    body = response.json()
    return Account(body["user"]["id"], email, "agent-pass", body["token"])


@pytest.mark.parametrize("number", range(len(CASES)), ids=[case.message[:40] for case in CASES])
async def test_phrasing(agent_client: httpx.AsyncClient, number: int) -> None:
    case = CASES[number]
    account = await fresh_account(agent_client, number)
    ids = await seed_tasks(agent_client, account, case.seed)

    response = await agent_client.post(
        f"/api/{account.id}/chat",
        json={"message": case.message.format(*ids)},
        headers=account.headers,
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert case.reply.format(*ids) in body["response"]
    assert [call["name"] for call in body["tool_calls"]] == case.tools
    for call in body["tool_calls"]:
        assert call["arguments"]["user_id"] == account.id
    assert await tasks_now(agent_client, account) == case.after
    assert reading(case.message.format(*ids)) == case.intent


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
        "no cancels a bulk delete",
        TWO_DONE,
        [
            Step("delete all completed tasks", "Nothing has changed yet", TWO_DONE),
            Step("no thanks", "Nothing changed.", TWO_DONE),
        ],
    ),
]


async def seed_tasks(client: httpx.AsyncClient, account: Account, seed: Seed) -> list[int]:
    """Create the seed's tasks through the REST API; returns their ids, oldest first."""
    tasks_url = f"/api/{account.id}/tasks"
    ids: list[int] = []
    for title, completed in seed:
        created = await client.post(tasks_url, json={"title": title}, headers=account.headers)
        ids.append(created.json()["id"])
        if completed:
            await client.patch(f"{tasks_url}/{ids[-1]}/complete", headers=account.headers)
    return ids


async def tasks_now(client: httpx.AsyncClient, account: Account) -> Seed:
    """Every task as the REST API lists it, oldest first."""
    tasks = (await client.get(f"/api/{account.id}/tasks", headers=account.headers)).json()
    return [(t["title"], t["completed"]) for t in reversed(tasks)]


@pytest.mark.parametrize("number", range(len(DIALOGUES)), ids=[d.name for d in DIALOGUES])
async def test_dialogue(agent_client: httpx.AsyncClient, number: int) -> None:
    dialogue = DIALOGUES[number]
    account = await fresh_account(agent_client, 10_000 + number)
    ids = await seed_tasks(agent_client, account, dialogue.seed)
    conversation: int | None = None
    for step in dialogue.steps:
        response = await agent_client.post(
            f"/api/{account.id}/chat",
            json={"message": step.message.format(*ids), "conversation_id": conversation},
            headers=account.headers,
        )
        assert response.status_code == 200, response.text
        conversation = response.json()["conversation_id"]
        assert step.reply.format(*ids) in response.json()["response"], step.message
        assert await tasks_now(agent_client, account) == step.after, step.message
        if step.tools is not None:
            assert [call["name"] for call in response.json()["tool_calls"]] == step.tools


def reading(message: str) -> str:
    """The intent the parser reads in a message, or "unclear" or "unknown"."""
    parsed = parse(message)
    if isinstance(parsed, Parsed):
        return parsed.intent
    return "unclear" if isinstance(parsed, Unclear) else "unknown"


RISKY = {"add", "complete", "delete", "delete_all", "rename", "describe", "unclear", "unknown"}


def keeps_the_seed(seed: Seed, after: Seed) -> bool:
    return bool(seed) and all(after.count(task) >= seed.count(task) for task in seed)


def test_the_corpus_is_large_and_mostly_about_not_destroying() -> None:
    """The issue's bar: 150 phrasings, 40 that must not destroy, 20 later turns of a dialogue."""
    steps = [step for dialogue in DIALOGUES for step in dialogue.steps]
    later_turns = sum(len(dialogue.steps) - 1 for dialogue in DIALOGUES)
    must_not_destroy = [c for c in CASES if c.intent in RISKY and keeps_the_seed(c.seed, c.after)]
    assert len(CASES) + len(steps) >= 150
    assert len(must_not_destroy) >= 40
    assert later_turns >= 20
    used = {tool for case in CASES for tool in case.tools}
    assert used == {"add_task", "list_tasks", "complete_task", "delete_task", "update_task"}
