"""The built-in agent, phrase by phrase, through the chat endpoint: for each message, the tasks
in the database afterwards, the tools it used and the gist of its reply."""

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
import pytest

from backend_testkit import Account, make_settings
from todo_backend.main import create_app

Seed = list[tuple[str, bool]]  # (title, completed), oldest first


@dataclass(frozen=True)
class Case:
    message: str
    tools: list[str]
    after: Seed  # the whole list afterwards, oldest first
    reply: str  # a part of the reply; {0}, {1}... are the seeded tasks' ids
    seed: Seed = field(default_factory=list)


MILK_AND_BILLS: Seed = [("Buy milk", False), ("Pay bills", False)]
MEETINGS: Seed = [("Team meeting", False), ("Meeting notes", False), ("Buy milk", False)]
MIXED: Seed = [("Buy milk", True), ("Pay bills", False), ("Call mom", False)]

CASES = [
    # adding
    Case("Add a task to buy groceries", ["add_task"], [("Buy groceries", False)], "Added task"),
    Case("I need to remember to pay bills", ["add_task"], [("Pay bills", False)], "'Pay bills'"),
    Case("add buy milk to my list", ["add_task"], [("Buy milk", False)], "'Buy milk'"),
    Case("Remind me to call the dentist", ["add_task"], [("Call the dentist", False)], "Added"),
    Case(
        "please add a new task: water the plants",
        ["add_task"],
        [("Water the plants", False)],
        "Added",
    ),
    Case(
        "Create a task called 'Renew passport'",
        ["add_task"],
        [("Renew passport", False)],
        "Renew passport",
    ),
    Case("todo: fix the bike", ["add_task"], [("Fix the bike", False)], "Fix the bike"),
    Case("I have to walk the dog.", ["add_task"], [("Walk the dog", False)], "Walk the dog"),
    Case(
        "Don't let me forget to book flights!",
        ["add_task"],
        [("Book flights", False)],
        "Book flights",
    ),
    Case(
        "add a dentist appointment task",
        ["add_task"],
        [("Dentist appointment", False)],
        "Dentist appointment",
    ),
    Case(
        "Add a task to call John with description about the contract",
        ["add_task"],
        [("Call John", False)],
        "Call John",
    ),
    Case("Add a task", [], [], "What should the task say?"),
    Case("add a task to " + "x" * 250, [], [], "keep it under 200"),
    # listing
    Case("Show me all my tasks", ["list_tasks"], MIXED, "You have 3 tasks", MIXED),
    Case("list my tasks", ["list_tasks"], MIXED, "- [x] Buy milk", MIXED),
    Case("What's pending?", ["list_tasks"], MIXED, "You have 2 pending tasks", MIXED),
    Case("what do I still have to do", ["list_tasks"], MIXED, "Call mom", MIXED),
    Case("What have I completed?", ["list_tasks"], MIXED, "You have completed 1 task", MIXED),
    Case("show finished tasks", ["list_tasks"], MIXED, "[x] Buy milk", MIXED),
    Case("How many tasks do I have?", ["list_tasks"], MIXED, "3 tasks", MIXED),
    Case("Show my tasks", ["list_tasks"], [], "You have no tasks yet"),
    Case("What's pending?", ["list_tasks"], [("Done", True)], "all caught up", [("Done", True)]),
    Case(
        "what have I completed",
        ["list_tasks"],
        [("Open", False)],
        "haven't completed any",
        [("Open", False)],
    ),
    # completing
    Case(
        "Mark task {0} as complete",
        ["complete_task"],
        [("Buy milk", True), ("Pay bills", False)],
        "Marked task {0} 'Buy milk' as complete",
        MILK_AND_BILLS,
    ),
    Case(
        "complete task #{1}",
        ["complete_task"],
        [("Buy milk", False), ("Pay bills", True)],
        "as complete",
        MILK_AND_BILLS,
    ),
    Case(
        "Mark the milk task as done",
        ["list_tasks", "complete_task"],
        [("Buy milk", True), ("Pay bills", False)],
        "'Buy milk' as complete",
        MILK_AND_BILLS,
    ),
    Case(
        "I finished the bills",
        ["list_tasks", "complete_task"],
        [("Buy milk", False), ("Pay bills", True)],
        "Pay bills",
        MILK_AND_BILLS,
    ),
    Case(
        "the milk task is done",
        ["list_tasks", "complete_task"],
        [("Buy milk", True), ("Pay bills", False)],
        "complete",
        MILK_AND_BILLS,
    ),
    Case(
        "check off buy milk",
        ["list_tasks", "complete_task"],
        [("Buy milk", True), ("Pay bills", False)],
        "complete",
        MILK_AND_BILLS,
    ),
    Case(
        "Mark task 99999 as complete",
        ["complete_task"],
        MILK_AND_BILLS,
        "couldn't find task 99999",
        MILK_AND_BILLS,
    ),
    Case(
        "Mark the dentist task as done",
        ["list_tasks"],
        MILK_AND_BILLS,
        "couldn't find a task matching 'dentist'",
        MILK_AND_BILLS,
    ),
    # deleting
    Case(
        "Delete the meeting task",
        ["list_tasks"],
        MEETINGS,
        "I found 2 tasks matching 'meeting'",
        MEETINGS,
    ),
    Case(
        "Delete the team meeting task",
        ["list_tasks", "delete_task"],
        MEETINGS[1:],
        "Deleted task {0} 'Team meeting'",
        MEETINGS,
    ),
    Case("delete task {2}", ["delete_task"], MEETINGS[:2], "Deleted task {2} 'Buy milk'", MEETINGS),
    Case("remove the milk one", ["list_tasks", "delete_task"], MEETINGS[:2], "Deleted", MEETINGS),
    Case(
        "get rid of meeting notes",
        ["list_tasks", "delete_task"],
        [MEETINGS[0], MEETINGS[2]],
        "'Meeting notes'",
        MEETINGS,
    ),
    Case(
        "Delete the gym task",
        ["list_tasks"],
        MEETINGS,
        "couldn't find a task matching 'gym'",
        MEETINGS,
    ),
    Case("delete task 99999", ["delete_task"], MEETINGS, "couldn't find task 99999", MEETINGS),
    Case("delete it", [], MEETINGS, "Which task?", MEETINGS),
    # updating
    Case(
        "Change task {0} to 'Call mom tonight'",
        ["update_task"],
        [("Call mom tonight", False), ("Pay bills", False)],
        "it is now 'Call mom tonight'",
        MILK_AND_BILLS,
    ),
    Case(
        "rename the milk task to buy oat milk",
        ["list_tasks", "update_task"],
        [("Buy oat milk", False), ("Pay bills", False)],
        "'Buy oat milk'",
        MILK_AND_BILLS,
    ),
    Case(
        'update task {1} to "Pay all bills"',
        ["update_task"],
        [("Buy milk", False), ("Pay all bills", False)],
        "Pay all bills",
        MILK_AND_BILLS,
    ),
    Case(
        "change the gym task to yoga",
        ["list_tasks"],
        MILK_AND_BILLS,
        "couldn't find",
        MILK_AND_BILLS,
    ),
    Case(
        "set the description of task {0} to two litres",
        ["update_task"],
        MILK_AND_BILLS,
        "Updated the description of task {0}",
        MILK_AND_BILLS,
    ),
    # conversation
    Case("Hello!", [], [], "I can manage your tasks"),
    Case("help", [], [], "Add a task to buy groceries"),
    Case("thanks!", [], [], "You're welcome"),
    Case("what is the meaning of life", [], [], "Sorry, I didn't catch that"),
    Case("asdf qwerty", [], [], "Sorry, I didn't catch that"),
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
    tasks_url = f"/api/{account.id}/tasks"
    ids: list[int] = []
    for title, completed in case.seed:
        created = await agent_client.post(tasks_url, json={"title": title}, headers=account.headers)
        ids.append(created.json()["id"])
        if completed:
            await agent_client.patch(f"{tasks_url}/{ids[-1]}/complete", headers=account.headers)

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
    after = (await agent_client.get(tasks_url, headers=account.headers)).json()
    assert [(t["title"], t["completed"]) for t in reversed(after)] == case.after


def test_the_table_covers_every_intent_with_forty_phrasings() -> None:
    assert len(CASES) >= 40
    used = {tool for case in CASES for tool in case.tools}
    assert used == {"add_task", "list_tasks", "complete_task", "delete_task", "update_task"}
