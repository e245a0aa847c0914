"""Every route that starts a chat turn goes through the one turn pipeline (`chat.ChatTurns`):
`/chat`, `/chat/stream` and ChatKit each count the turn once, start it once, run the agent once
and finish it once. A route with a way of its own around any step fails here."""

from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from chatkit.types import ThreadAddUserMessageParams, ThreadsAddUserMessageReq
from test_chatkit import start_thread, turn, user_input

from backend_testkit import Account, SignUp, stream_chat
from todo_backend.chat import ChatTurns
from todo_backend.throttle import Limits

STEPS = ("count", "start", "run", "finish")


@pytest.fixture
def steps(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How often each step of a turn ran."""
    counted: Counter[str] = Counter()

    def counting(step: str, original: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            counted[step] += 1
            return original(*args, **kwargs)  # the coroutine or async iterator, unchanged

        return wrapper

    monkeypatch.setattr(Limits, "count_chat_turn", counting("count", Limits.count_chat_turn))
    for step in ("start", "run", "finish"):
        monkeypatch.setattr(ChatTurns, step, counting(step, getattr(ChatTurns, step)))
    return counted


async def messages_of(client: httpx.AsyncClient, account: Account) -> list[tuple[str, str]]:
    conversations = (
        await client.get(f"/api/{account.id}/conversations", headers=account.headers)
    ).json()
    stored = []
    for conversation in conversations:
        found = await client.get(
            f"/api/{account.id}/conversations/{conversation['id']}", headers=account.headers
        )
        stored += [(m["role"], m["content"]) for m in found.json()["messages"]]
    return stored


async def chat_json(client: httpx.AsyncClient, account: Account, message: str) -> None:
    response = await client.post(
        f"/api/{account.id}/chat", json={"message": message}, headers=account.headers
    )
    assert response.status_code == 200, response.text


async def chat_stream(client: httpx.AsyncClient, account: Account, message: str) -> None:
    assert (await stream_chat(client, account, message))[-1][0] == "done"


async def chatkit_new_thread(client: httpx.AsyncClient, account: Account, message: str) -> None:
    await start_thread(client, account, message)


ROUTES = {"/chat": chat_json, "/chat/stream": chat_stream, "ChatKit": chatkit_new_thread}


@pytest.mark.parametrize("route", ROUTES)
async def test_each_route_runs_every_step_of_a_turn_once(
    client: httpx.AsyncClient, sign_up: SignUp, steps: Counter[str], route: str
) -> None:
    ann = await sign_up()
    await ROUTES[route](client, ann, "Add a task to buy milk")

    assert {step: steps[step] for step in STEPS} == dict.fromkeys(STEPS, 1)
    stored = await messages_of(client, ann)
    assert [role for role, _ in stored] == ["user", "assistant"]
    assert stored[0][1] == "Add a task to buy milk"


async def test_a_chatkit_message_to_a_thread_is_one_more_turn(
    client: httpx.AsyncClient, sign_up: SignUp, steps: Counter[str]
) -> None:
    ann = await sign_up()
    thread_id, _ = await start_thread(client, ann, "Add a task to buy milk")
    await turn(
        client,
        ann,
        ThreadsAddUserMessageReq(
            params=ThreadAddUserMessageParams(thread_id=thread_id, input=user_input("list"))
        ),
    )

    assert {step: steps[step] for step in STEPS} == dict.fromkeys(STEPS, 2)
    assert [role for role, _ in await messages_of(client, ann)] == ["user", "assistant"] * 2
