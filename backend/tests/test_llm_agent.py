"""The LLM path end to end: the Agents SDK talks HTTP to an OpenAI-compatible test server and
reaches the task tools through the app's MCP server; the task, the reply and the messages are
real."""

import json
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from agents.tracing import flush_traces
from agents.tracing.processors import default_exporter
from openai_test_server import (
    OpenAITestServer,
    Reply,
    ToolCall,
    add_then_confirm,
    last_message,
    text_of,
    user_id_from,
)

from backend_testkit import TOOL_NAMES, UNPLANNED, Account, SignUp, llm_settings, stream_chat
from testkit import INITIALIZE, MCP_ACCEPT
from todo_backend.chat import AGENT_FAILED_REPLY
from todo_backend.main import create_app
from todo_backend.mcp_mount import LazyMCPApp
from todo_backend.mcp_server import BearerAuth


@pytest.fixture
def llm_sign_up(llm_client: httpx.AsyncClient) -> SignUp:
    async def create(name: str = "Lee") -> Account:
        email = f"{name.lower()}-{uuid.uuid4().hex[:8]}@example.com"
        response = await llm_client.post(
            "/api/auth/sign-up", json={"email": email, "password": "llm-password", "name": name}
        )
        body = response.json()
        return Account(body["user"]["id"], email, "llm-password", body["token"])

    return create


async def chat(
    client: httpx.AsyncClient, account: Account, message: str, conversation_id: int | None = None
) -> dict[str, Any]:
    response = await client.post(
        f"/api/{account.id}/chat",
        json={"message": message, "conversation_id": conversation_id},
        headers=account.headers,
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def tasks_of(client: httpx.AsyncClient, account: Account) -> list[dict[str, Any]]:
    response = await client.get(f"/api/{account.id}/tasks", headers=account.headers)
    tasks: list[dict[str, Any]] = response.json()
    return tasks


async def messages_of(
    client: httpx.AsyncClient, account: Account, conversation_id: int
) -> list[tuple[str, str]]:
    response = await client.get(
        f"/api/{account.id}/conversations/{conversation_id}", headers=account.headers
    )
    return [(m["role"], m["content"]) for m in response.json()["messages"]]


async def test_the_model_calls_add_task_through_mcp_and_confirms(
    llm_client: httpx.AsyncClient, llm_sign_up: SignUp, llm: OpenAITestServer
) -> None:
    lee = await llm_sign_up()
    body = await chat(llm_client, lee, "Add a task to buy milk")

    tasks = await tasks_of(llm_client, lee)
    assert [t["title"] for t in tasks] == ["Buy milk"]
    task_id = tasks[0]["id"]
    assert body["response"] == f"Added task {task_id}: 'Buy milk'."
    assert body["tool_calls"] == [
        {
            "name": "add_task",
            "arguments": {"user_id": lee.id, "title": "Buy milk"},
            "result": {"task_id": task_id, "status": "created", "title": "Buy milk", **UNPLANNED},
        }
    ]
    assert await messages_of(llm_client, lee, body["conversation_id"]) == [
        ("user", "Add a task to buy milk"),
        ("assistant", f"Added task {task_id}: 'Buy milk'."),
    ]

    # The model was offered exactly the MCP tools, with their schemas.
    first = llm.requests[0]
    offered = {tool["function"]["name"]: tool["function"] for tool in first["tools"]}
    assert set(offered) == TOOL_NAMES
    title_schema = offered["add_task"]["parameters"]["properties"]["title"]
    assert title_schema["maxLength"] == 200
    assert first["model"] == "test-model"
    assert "The user's id is " + lee.id in first["messages"][0]["content"]
    # Then it saw the tool's result before answering.
    assert llm.requests[1]["messages"][-1]["role"] == "tool"


def two_adds_then_a_list(body: dict[str, Any]) -> Reply:
    """Two tool calls in one response (the SDK runs them concurrently), then one more."""
    user_id = user_id_from(body)
    results = sum(message["role"] == "tool" for message in body["messages"])
    if results == 0:
        return Reply(
            tool_calls=[
                ToolCall("add_task", {"user_id": user_id, "title": "Buy milk"}),
                ToolCall("add_task", {"user_id": user_id, "title": "Buy bread"}),
            ]
        )
    if results == 2:
        return Reply(tool_calls=[ToolCall("list_tasks", {"user_id": user_id})])
    return Reply(text="Done.")


async def test_tool_calls_reach_the_mcp_server_in_process_for_the_authorized_caller(
    llm_client: httpx.AsyncClient,
    llm_sign_up: SignUp,
    llm: OpenAITestServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The turn authorized its caller once; its tool calls reach the MCP server without an
    HTTP request to /mcp, so without BearerAuth's second look at the token, and come back with
    the tools' results as the JSON objects they are."""
    mcp_requests: list[str] = []
    authentications: list[str] = []
    serve_mcp, caller_of = LazyMCPApp.__call__, BearerAuth._caller

    async def counted_request(self: LazyMCPApp, scope: Any, receive: Any, send: Any) -> None:
        mcp_requests.append(scope["path"])
        await serve_mcp(self, scope, receive, send)

    async def counted_caller(self: BearerAuth, token: str) -> str:
        authentications.append(token)
        return await caller_of(self, token)

    monkeypatch.setattr(LazyMCPApp, "__call__", counted_request)
    monkeypatch.setattr(BearerAuth, "_caller", counted_caller)
    llm.respond = two_adds_then_a_list
    lee = await llm_sign_up()
    body = await chat(llm_client, lee, "Add milk and bread, then show my list")

    assert mcp_requests == [] and authentications == []
    ids = {task["title"]: task["id"] for task in await tasks_of(llm_client, lee)}
    assert body["tool_calls"] == [
        {
            "name": "add_task",
            "arguments": {"user_id": lee.id, "title": "Buy milk"},
            "result": {
                "task_id": ids["Buy milk"],
                "status": "created",
                "title": "Buy milk",
                **UNPLANNED,
            },
        },
        {
            "name": "add_task",
            "arguments": {"user_id": lee.id, "title": "Buy bread"},
            "result": {
                "task_id": ids["Buy bread"],
                "status": "created",
                "title": "Buy bread",
                **UNPLANNED,
            },
        },
        {
            "name": "list_tasks",
            "arguments": {"user_id": lee.id},
            "result": {
                "tasks": [
                    {"id": ids[title], "title": title, "completed": False, **UNPLANNED}
                    for title in sorted(ids, key=ids.__getitem__, reverse=True)
                ],
                "more": False,
            },
        },
    ]
    assert body["response"] == "Done."


async def test_mcp_over_http_shares_the_agents_server_and_keeps_its_bearer_auth(
    llm_client: httpx.AsyncClient, llm_sign_up: SignUp
) -> None:
    """The agent's turns and HTTP clients use one MCP server; HTTP still needs a token."""
    lee = await llm_sign_up()
    await chat(llm_client, lee, "Add a task to buy milk")
    signed_in = await llm_client.post(
        "/mcp/", json=INITIALIZE, headers={**MCP_ACCEPT, **lee.headers}
    )
    anonymous = await llm_client.post("/mcp/", json=INITIALIZE, headers=MCP_ACCEPT)
    assert (signed_in.status_code, anonymous.status_code) == (200, 401)


async def test_streamed_turn_passes_text_and_tool_calls_through(
    llm_client: httpx.AsyncClient, llm_sign_up: SignUp, llm: OpenAITestServer
) -> None:
    lee = await llm_sign_up()
    events = await stream_chat(llm_client, lee, "Add a task to water the plants")
    names = [name for name, _ in events]
    assert names[0] == "conversation" and names[-1] == "done"
    assert names.count("tool_call") == 1 and "delta" in names
    tool_call = next(data for name, data in events if name == "tool_call")
    assert tool_call["name"] == "add_task"
    assert tool_call["result"]["title"] == "Water the plants"
    text = "".join(data["text"] for name, data in events if name == "delta")
    assert (
        text
        == events[-1][1]["response"]
        == f"Added task {tool_call['result']['task_id']}: 'Water the plants'."
    )
    assert all(request.get("stream") for request in llm.requests)


async def test_history_comes_from_the_database(
    llm_client: httpx.AsyncClient, llm_sign_up: SignUp, llm: OpenAITestServer
) -> None:
    lee = await llm_sign_up()
    first = await chat(llm_client, lee, "Add a task to call the bank")
    llm.requests.clear()
    await chat(llm_client, lee, "Add a task to pay rent", first["conversation_id"])
    contents = [text_of(m) for m in llm.requests[0]["messages"]]
    assert "Add a task to call the bank" in contents
    assert first["response"] in contents


async def test_a_failing_model_gives_a_polite_reply_and_keeps_the_message(
    llm_client: httpx.AsyncClient, llm_sign_up: SignUp, llm: OpenAITestServer
) -> None:
    llm.respond = lambda body: Reply(fail_status=500)
    lee = await llm_sign_up()
    body = await chat(llm_client, lee, "Add a task to buy bread")
    assert body["response"] == AGENT_FAILED_REPLY
    assert body["tool_calls"] == []
    assert await tasks_of(llm_client, lee) == []
    assert await messages_of(llm_client, lee, body["conversation_id"]) == [
        ("user", "Add a task to buy bread"),
        ("assistant", AGENT_FAILED_REPLY),
    ]


async def test_a_stalling_model_times_out_into_a_polite_reply(
    llm_client: httpx.AsyncClient, llm_sign_up: SignUp, llm: OpenAITestServer
) -> None:
    llm.respond = lambda body: Reply(stall_seconds=10, text="too late")
    lee = await llm_sign_up()
    body = await chat(llm_client, lee, "Add a task to wait")
    assert body["response"] == AGENT_FAILED_REPLY


async def test_a_tool_error_reaches_the_model_and_the_user(
    llm_client: httpx.AsyncClient, llm_sign_up: SignUp, llm: OpenAITestServer
) -> None:
    def complete_missing(body: dict[str, Any]) -> Reply:
        last = body["messages"][-1]
        if last["role"] == "tool":
            return Reply(text=f"Sorry, that task was not found ({text_of(last)}).")
        return Reply(
            tool_calls=[ToolCall("complete_task", {"user_id": user_id_from(body), "task_id": 999})]
        )

    llm.respond = complete_missing
    lee = await llm_sign_up()
    body = await chat(llm_client, lee, "Mark task 999 as complete")
    assert body["tool_calls"][0]["name"] == "complete_task"
    assert "Task 999 not found" in json.dumps(body["tool_calls"][0]["result"])
    assert "not found" in body["response"]


async def test_the_model_cannot_act_for_another_user(
    llm_client: httpx.AsyncClient, llm_sign_up: SignUp, llm: OpenAITestServer
) -> None:
    victim = await llm_sign_up("Vic")
    attacker = await llm_sign_up("Max")

    def add_for_victim(body: dict[str, Any]) -> Reply:
        if body["messages"][-1]["role"] == "tool":
            return Reply(text=text_of(body["messages"][-1]))
        return Reply(tool_calls=[ToolCall("add_task", {"user_id": victim.id, "title": "spam"})])

    llm.respond = add_for_victim
    body = await chat(llm_client, attacker, "Add spam to Vic's list")
    assert "does not match the signed-in user" in body["response"]
    assert await tasks_of(llm_client, victim) == []


def test_default_responder_is_add_then_confirm() -> None:
    assert OpenAITestServer().respond is add_then_confirm


def call_once_then_apologise(call: ToolCall) -> Callable[[dict[str, Any]], Reply]:
    """A model that makes one (broken) tool call, then answers in words once it sees a result."""

    def respond(body: dict[str, Any]) -> Reply:
        if last_message(body)["role"] == "tool":
            return Reply(text="Sorry, that did not work.")
        return Reply(tool_calls=[call])

    return respond


def never_stops(body: dict[str, Any]) -> Reply:
    return Reply(tool_calls=[ToolCall("list_tasks", {"user_id": user_id_from(body)})])


MISBEHAVING_MODELS = {
    "invalid JSON": call_once_then_apologise(ToolCall("add_task", "{not json")),
    "null arguments": call_once_then_apologise(ToolCall("add_task", "null")),
    "a list as arguments": call_once_then_apologise(ToolCall("add_task", "[1, 2]")),
    "an unknown tool": call_once_then_apologise(ToolCall("launch_rockets", {"count": 3})),
    "endless tool calls": never_stops,
}


async def turn_reply(
    client: httpx.AsyncClient, account: Account, message: str, *, stream: bool
) -> tuple[int, str]:
    """One turn on /chat or /chat/stream: its conversation id and its reply, checking that a
    streamed turn ends with done."""
    if stream:
        events = await stream_chat(client, account, message)
        assert [name for name, _ in events][-1] == "done", events
        done = events[-1][1]
        return done["conversation_id"], done["response"]
    body = await chat(client, account, message)
    assert all(isinstance(call["arguments"], dict) for call in body["tool_calls"]), body
    return body["conversation_id"], body["response"]


@pytest.mark.parametrize("stream", [False, True], ids=["chat", "stream"])
@pytest.mark.parametrize("model", list(MISBEHAVING_MODELS))
async def test_a_misbehaving_model_still_ends_the_turn_with_a_stored_polite_reply(
    llm_client: httpx.AsyncClient,
    llm_sign_up: SignUp,
    llm: OpenAITestServer,
    model: str,
    stream: bool,
) -> None:
    llm.respond = MISBEHAVING_MODELS[model]
    lee = await llm_sign_up()
    message = "Add a task to buy milk"
    conversation_id, reply = await turn_reply(llm_client, lee, message, stream=stream)
    assert reply in {"Sorry, that did not work.", AGENT_FAILED_REPLY}
    assert await messages_of(llm_client, lee, conversation_id) == [
        ("user", message),
        ("assistant", reply),
    ]
    assert await tasks_of(llm_client, lee) == []


async def test_malformed_arguments_are_reported_as_the_model_sent_them(
    llm_client: httpx.AsyncClient, llm_sign_up: SignUp, llm: OpenAITestServer
) -> None:
    llm.respond = MISBEHAVING_MODELS["invalid JSON"]
    lee = await llm_sign_up()
    body = await chat(llm_client, lee, "Add a task to buy milk")
    assert [(c["name"], c["arguments"]) for c in body["tool_calls"]] == [
        ("add_task", {"raw": "{not json"})
    ]
    assert body["response"] == "Sorry, that did not work."


@pytest.mark.parametrize("asked", [False, True], ids=["default", "AGENTS_TRACING=true"])
async def test_chat_text_goes_to_the_trace_store_only_when_asked_for(
    database_url: str, llm: OpenAITestServer, monkeypatch: pytest.MonkeyPatch, asked: bool
) -> None:
    """With an OpenAI key, the Agents SDK would send chat text and task titles to OpenAI's trace
    store. Its exporter is pointed at the test server to see what leaves the process."""
    monkeypatch.setattr(default_exporter(), "endpoint", f"{llm.base_url}/traces/ingest")
    app = create_app(llm_settings(database_url, llm.base_url, agents_tracing=asked))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://x") as client,
    ):
        email = f"trace-{uuid.uuid4().hex[:8]}@example.com"
        signed_up = await client.post(
            "/api/auth/sign-up", json={"email": email, "password": "llm-password", "name": "T"}
        )
        user = signed_up.json()
        account = Account(user["user"]["id"], email, "llm-password", user["token"])
        await chat(client, account, "Add a task to buy milk")
    flush_traces()
    assert ("buy milk" in json.dumps(llm.traces).lower()) is asked


def always_list_tasks(body: dict[str, Any]) -> Reply:
    """A model that never stops calling tools: each round costs a model call."""
    return Reply(tool_calls=[ToolCall("list_tasks", {"user_id": user_id_from(body)})])


async def test_a_turn_makes_at_most_llm_max_turns_model_calls(database_url: str) -> None:
    server = OpenAITestServer(respond=always_list_tasks)
    with server.running():
        app = create_app(llm_settings(database_url, server.base_url, llm_max_turns=3))
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://localhost", timeout=30
            ) as client,
        ):
            email = f"loop-{uuid.uuid4().hex[:8]}@example.com"
            body = (
                await client.post(
                    "/api/auth/sign-up", json={"email": email, "password": "loop-pass", "name": "L"}
                )
            ).json()
            lee = Account(body["user"]["id"], email, "loop-pass", body["token"])
            reply = await chat(client, lee, "Show me my tasks, forever")
    assert len(server.requests) == 3
    assert reply["response"] == AGENT_FAILED_REPLY


def plan_a_call(body: dict[str, Any]) -> Reply:
    """What a model does with "call mom tomorrow at 5pm, it's urgent #family": a task with a due
    date in the user's offset, a priority and a tag."""
    if last_message(body)["role"] == "tool":
        return Reply(text="Added 'Call mom' for tomorrow at 5pm.")
    arguments = {
        "user_id": user_id_from(body),
        "title": "Call mom",
        "due_at": "2026-12-08T17:00:00-05:00",
        "priority": "high",
        "tags": ["family"],
    }
    return Reply(tool_calls=[ToolCall("add_task", arguments)])


async def test_the_model_is_told_the_user_s_date_and_zone_and_plans_through_the_tools(
    llm_client: httpx.AsyncClient, llm_sign_up: SignUp, llm: OpenAITestServer
) -> None:
    lee = await llm_sign_up()
    await llm_client.patch("/api/auth/me", json={"timezone": "Asia/Tokyo"}, headers=lee.headers)
    llm.respond = plan_a_call
    response = await llm_client.post(
        f"/api/{lee.id}/chat",
        json={
            "message": "call mom tomorrow at 5pm, it's urgent #family",
            "timezone": "America/New_York",
        },
        headers=lee.headers,
    )
    assert response.status_code == 200, response.text
    prompt = llm.requests[0]["messages"][0]["content"]
    # This turn's zone wins over the account's, and "now" is given in it.
    assert "time zone, America/New_York" in prompt
    assert "(UTC-0500)" in prompt
    [task] = await tasks_of(llm_client, lee)
    assert (task["title"], task["due_at"], task["priority"], task["tags"]) == (
        "Call mom",
        "2026-12-08T22:00:00Z",
        "high",
        ["family"],
    )
    await chat(llm_client, lee, "and what is on my list?")
    assert "time zone, Asia/Tokyo" in llm.requests[-1]["messages"][0]["content"]
