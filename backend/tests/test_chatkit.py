"""POST /chatkit, driven as a ChatKit client drives it: requests built with the ChatKit SDK's
own types, answers read back with its event and thread types. Threads are our conversations
and their items our messages, seen the same through /api/{user_id}/conversations."""

import json
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from chatkit.types import (
    AssistantMessageItem,
    InferenceOptions,
    ItemsListParams,
    ItemsListReq,
    Page,
    Thread,
    ThreadAddUserMessageParams,
    ThreadCreatedEvent,
    ThreadCreateParams,
    ThreadDeleteParams,
    ThreadGetByIdParams,
    ThreadItem,
    ThreadItemAddedEvent,
    ThreadItemDoneEvent,
    ThreadItemUpdatedEvent,
    ThreadListParams,
    ThreadMetadata,
    ThreadsAddUserMessageReq,
    ThreadsCreateReq,
    ThreadsDeleteReq,
    ThreadsGetByIdReq,
    ThreadsListReq,
    ThreadStreamEvent,
    ThreadsUpdateReq,
    ThreadUpdatedEvent,
    ThreadUpdateParams,
    UserMessageInput,
    UserMessageItem,
    UserMessageTextContent,
    WorkflowItem,
)
from fastapi import FastAPI
from openai_test_server import OpenAITestServer, add_then_confirm
from pydantic import BaseModel, TypeAdapter

from backend_testkit import Account, SignUp, make_settings, register
from todo_backend.main import create_app

EVENTS: TypeAdapter[ThreadStreamEvent] = TypeAdapter(ThreadStreamEvent)


def user_input(text: str) -> UserMessageInput:
    return UserMessageInput(
        content=[UserMessageTextContent(text=text)],
        attachments=[],
        inference_options=InferenceOptions(),
    )


async def post(client: httpx.AsyncClient, account: Account, request: BaseModel) -> httpx.Response:
    return await client.post(
        "/chatkit",
        content=request.model_dump_json(),
        headers={**account.headers, "content-type": "application/json"},
    )


async def turn(
    client: httpx.AsyncClient, account: Account, request: BaseModel
) -> list[ThreadStreamEvent]:
    """A streamed request's events, parsed as the SDK's event types."""
    response = await post(client, account, request)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/event-stream")
    blocks = response.text.strip().split("\n\n")
    assert all(block.startswith("data: ") for block in blocks)
    return [EVENTS.validate_json(block.removeprefix("data: ")) for block in blocks]


async def start_thread(
    client: httpx.AsyncClient, account: Account, message: str
) -> tuple[str, list[ThreadStreamEvent]]:
    events = await turn(
        client, account, ThreadsCreateReq(params=ThreadCreateParams(input=user_input(message)))
    )
    created = events[0]
    assert isinstance(created, ThreadCreatedEvent)
    return created.thread.id, events


def reply_of(events: list[ThreadStreamEvent]) -> AssistantMessageItem:
    done = [
        e.item
        for e in events
        if isinstance(e, ThreadItemDoneEvent) and isinstance(e.item, AssistantMessageItem)
    ]
    assert len(done) == 1
    return done[0]


def streamed_text(events: list[ThreadStreamEvent], item_id: str) -> str:
    return "".join(
        getattr(e.update, "delta", "")
        for e in events
        if isinstance(e, ThreadItemUpdatedEvent) and e.item_id == item_id
    )


async def items_of(client: httpx.AsyncClient, account: Account, thread_id: str) -> list[ThreadItem]:
    response = await post(
        client,
        account,
        ItemsListReq(params=ItemsListParams(thread_id=thread_id, order="asc", limit=50)),
    )
    assert response.status_code == 200, response.text
    return TypeAdapter(Page[ThreadItem]).validate_json(response.content).data


def texts_of(items: list[ThreadItem]) -> list[tuple[str, str]]:
    def text(item: ThreadItem) -> str:
        assert isinstance(item, UserMessageItem | AssistantMessageItem)
        return "".join(getattr(part, "text", "") for part in item.content)

    return [(item.type, text(item)) for item in items]


async def test_a_new_thread_streams_the_turn_and_adds_the_task(
    client: httpx.AsyncClient, sign_up: SignUp
) -> None:
    ann = await sign_up()
    thread_id, events = await start_thread(client, ann, "Add a task to buy milk")

    tasks = (await client.get(f"/api/{ann.id}/tasks", headers=ann.headers)).json()
    assert [t["title"] for t in tasks] == ["Buy milk"]
    reply = reply_of(events)
    expected = f"Added task {tasks[0]['id']}: 'Buy milk'."
    assert reply.content[0].text == expected
    # The reply streamed into an item announced first, then finished under the same id.
    assert any(isinstance(e, ThreadItemAddedEvent) and e.item.id == reply.id for e in events)
    assert streamed_text(events, reply.id) == expected
    # The user's message is stored before the turn runs, and the tool call is a workflow task.
    user_item = events[1]
    assert isinstance(user_item, ThreadItemDoneEvent)
    assert isinstance(user_item.item, UserMessageItem)
    workflow = next(
        e.item
        for e in events
        if isinstance(e, ThreadItemDoneEvent) and isinstance(e.item, WorkflowItem)
    )
    task = workflow.workflow.tasks[0]
    assert getattr(task, "title", None) == "add_task"
    assert json.loads(getattr(task, "content", "{}"))["result"]["title"] == "Buy milk"

    titled = [e.thread.title for e in events if isinstance(e, ThreadUpdatedEvent)]
    assert titled == ["Add a task to buy milk"]

    # The same conversation through the REST API, as our own widget's history shows it.
    conversation_id = int(thread_id.removeprefix("thr_"))
    detail = (
        await client.get(f"/api/{ann.id}/conversations/{conversation_id}", headers=ann.headers)
    ).json()
    assert detail["title"] == "Add a task to buy milk"
    assert [(m["role"], m["content"]) for m in detail["messages"]] == [
        ("user", "Add a task to buy milk"),
        ("assistant", expected),
    ]
    assert user_item.item.id == f"msg_{detail['messages'][0]['id']}"


async def test_threads_list_and_their_items_load(
    client: httpx.AsyncClient, sign_up: SignUp
) -> None:
    ann = await sign_up()
    first, _ = await start_thread(client, ann, "Add a task to call the bank")
    second, _ = await start_thread(client, ann, "Show my tasks")
    await turn(
        client,
        ann,
        ThreadsAddUserMessageReq(
            params=ThreadAddUserMessageParams(thread_id=first, input=user_input("Show my tasks"))
        ),
    )

    response = await post(client, ann, ThreadsListReq(params=ThreadListParams(limit=1)))
    assert response.status_code == 200
    page = TypeAdapter(Page[ThreadMetadata]).validate_json(response.content)
    assert [t.id for t in page.data] == [first]  # most recently active first
    assert page.has_more
    rest = await post(
        client, ann, ThreadsListReq(params=ThreadListParams(limit=1000, after=page.after))
    )
    assert [t["id"] for t in rest.json()["data"]] == [second]

    items = await items_of(client, ann, first)
    assert [kind for kind, _ in texts_of(items)] == [
        "user_message",
        "assistant_message",
        "user_message",
        "assistant_message",
    ]
    assert "Call the bank" in texts_of(items)[3][1]
    response = await post(
        client, ann, ThreadsGetByIdReq(params=ThreadGetByIdParams(thread_id=first))
    )
    thread = Thread.model_validate_json(response.content)
    assert thread.title == "Add a task to call the bank"
    assert [item.id for item in thread.items.data] == [item.id for item in items]


async def test_a_thread_is_renamed_and_deleted_as_its_conversation(
    client: httpx.AsyncClient, sign_up: SignUp
) -> None:
    ann = await sign_up()
    thread_id, _ = await start_thread(client, ann, "Add a task to buy milk")
    conversation = f"/api/{ann.id}/conversations/{thread_id.removeprefix('thr_')}"

    too_long = ThreadsUpdateReq(params=ThreadUpdateParams(thread_id=thread_id, title="x" * 201))
    refused = await post(client, ann, too_long)
    assert refused.status_code == 422
    assert "title: String should have at most 200 characters" in refused.json()["detail"]
    rename = ThreadsUpdateReq(params=ThreadUpdateParams(thread_id=thread_id, title=" Shopping "))
    assert (await post(client, ann, rename)).status_code == 200
    assert (await client.get(conversation, headers=ann.headers)).json()["title"] == "Shopping"

    delete = ThreadsDeleteReq(params=ThreadDeleteParams(thread_id=thread_id))
    assert (await post(client, ann, delete)).status_code == 200
    assert (await client.get(conversation, headers=ann.headers)).status_code == 404
    # The tasks the conversation made stay.
    assert len((await client.get(f"/api/{ann.id}/tasks", headers=ann.headers)).json()) == 1


async def test_a_widget_conversation_is_a_thread_and_continues_there(
    client: httpx.AsyncClient, sign_up: SignUp
) -> None:
    ann = await sign_up()
    body = (
        await client.post(
            f"/api/{ann.id}/chat",
            json={"message": "Add a task to fix the bike"},
            headers=ann.headers,
        )
    ).json()
    thread_id = f"thr_{body['conversation_id']}"
    await turn(
        client,
        ann,
        ThreadsAddUserMessageReq(
            params=ThreadAddUserMessageParams(
                thread_id=thread_id, input=user_input("Mark the bike task as done")
            )
        ),
    )
    detail = (
        await client.get(
            f"/api/{ann.id}/conversations/{body['conversation_id']}", headers=ann.headers
        )
    ).json()
    assert [m["content"] for m in detail["messages"]][:3] == [
        "Add a task to fix the bike",
        body["response"],
        "Mark the bike task as done",
    ]
    tasks = (await client.get(f"/api/{ann.id}/tasks", headers=ann.headers)).json()
    assert [(t["title"], t["completed"]) for t in tasks] == [("Fix the bike", True)]


async def test_another_users_thread_is_not_found(
    client: httpx.AsyncClient, sign_up: SignUp
) -> None:
    ann, bob = await sign_up("Ann"), await sign_up("Bob")
    thread_id, _ = await start_thread(client, ann, "Add a task to buy milk")
    requests: list[BaseModel] = [
        ThreadsGetByIdReq(params=ThreadGetByIdParams(thread_id=thread_id)),
        ItemsListReq(params=ItemsListParams(thread_id=thread_id)),
        ThreadsAddUserMessageReq(
            params=ThreadAddUserMessageParams(thread_id=thread_id, input=user_input("Hi"))
        ),
    ]
    for request in requests:
        response = await post(client, bob, request)
        assert response.status_code == 404
        assert response.json() == {"detail": "Thread not found"}
    assert len(await items_of(client, ann, thread_id)) == 2
    listed = await post(client, bob, ThreadsListReq(params=ThreadListParams()))
    assert listed.json()["data"] == []


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ("{not json", "Invalid JSON"),
        ('{"type": "threads.shout", "params": {}}', "does not match any of the expected tags"),
        ('{"type": "threads.get_by_id", "params": {}}', "params.thread_id: Field required"),
        (
            '{"type": "attachments.delete", "params": {"attachment_id": "a"}}',
            "This server does not support 'attachments.delete' requests",
        ),
        (
            '{"type": "threads.create", "params": {"input": {"content": '
            '[{"type": "input_text", "text": "  "}], "attachments": [], '
            '"inference_options": {}}}}',
            "message: String should have at least 1 character",
        ),
        ('{"type": "threads.get_by_id", "params": {"thread_id": "thr_x"}}', "Thread not found"),
    ],
)
async def test_a_bad_request_gets_a_clear_error(
    client: httpx.AsyncClient, sign_up: SignUp, body: str, detail: str
) -> None:
    ann = await sign_up()
    response = await client.post(
        "/chatkit", content=body, headers={**ann.headers, "content-type": "application/json"}
    )
    assert response.status_code in {404, 422}
    assert detail in response.json()["detail"]
    listed = await client.get(f"/api/{ann.id}/conversations", headers=ann.headers)
    assert listed.json() == []


async def test_chatkit_needs_the_bearer_token(client: httpx.AsyncClient) -> None:
    request = ThreadsListReq(params=ThreadListParams())
    response = await client.post("/chatkit", content=request.model_dump_json())
    assert response.status_code == 401
    assert response.json() == {"detail": "Sign in first: a valid Bearer token is required"}


@pytest.fixture
async def limited_client(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    settings = make_settings(database_url, rate_limits="on", chat_turns_per_minute=1)
    app: FastAPI = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client,
    ):
        yield client


async def test_a_chatkit_turn_counts_against_the_chat_limits(
    limited_client: httpx.AsyncClient,
) -> None:
    ann = await register(limited_client, "Ann")
    first = await limited_client.post(
        f"/api/{ann.id}/chat", json={"message": "Show my tasks"}, headers=ann.headers
    )
    assert first.status_code == 200
    request = ThreadsCreateReq(params=ThreadCreateParams(input=user_input("Show my tasks")))
    response = await post(limited_client, ann, request)
    assert response.status_code == 429
    assert "too quickly" in response.json()["detail"]
    listed = await limited_client.get(f"/api/{ann.id}/conversations", headers=ann.headers)
    assert len(listed.json()) == 1


async def test_the_llm_agent_answers_behind_chatkit(
    llm_client: httpx.AsyncClient, llm: OpenAITestServer
) -> None:
    llm.respond = add_then_confirm
    lee = await register(llm_client, f"Lee{uuid.uuid4().hex[:4]}")
    thread_id, events = await start_thread(llm_client, lee, "Add a task to water the plants")

    tasks = (await llm_client.get(f"/api/{lee.id}/tasks", headers=lee.headers)).json()
    assert [t["title"] for t in tasks] == ["Water the plants"]
    reply = reply_of(events)
    expected = f"Added task {tasks[0]['id']}: 'Water the plants'."
    assert reply.content[0].text == streamed_text(events, reply.id) == expected
    assert all(request.get("stream") for request in llm.requests)
    assert texts_of(await items_of(llm_client, lee, thread_id)) == [
        ("user_message", "Add a task to water the plants"),
        ("assistant_message", expected),
    ]
