"""The MCP endpoint with the official `mcp` client over streamable HTTP, against a real server."""

import asyncio
import json
import signal
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp.client.session import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from backend_testkit import TEST_SECRET, TOOL_NAMES, UNPLANNED
from testkit import INITIALIZE, MCP_ACCEPT, run_service


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("mcp")
    env = {
        "DATABASE_URL": f"sqlite:///{folder}/todo.db",
        "BETTER_AUTH_SECRET": TEST_SECRET,
        "MCP_ALLOWED_HOSTS": "backend,backend:*",
    }
    with run_service("todo-backend", env, folder / "backend.log") as backend:
        yield backend.url


def sign_up(server_url: str, name: str) -> tuple[str, str]:
    response = httpx.post(
        f"{server_url}/api/auth/sign-up",
        json={
            "email": f"{name}-{time.time_ns()}@example.com",
            "password": "mcp-pass-1",
            "name": name,
        },
    )
    body = response.json()
    return body["user"]["id"], body["token"]


@asynccontextmanager
async def mcp_session(url: str, token: str | None) -> AsyncIterator[ClientSession]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    http_client = create_mcp_http_client(headers=headers)
    async with (
        http_client,
        streamable_http_client(f"{url}/mcp/", http_client=http_client) as streams,
        ClientSession(streams[0], streams[1]) as session,
    ):
        await session.initialize()
        yield session


async def rest_tasks(server_url: str, user_id: str, token: str) -> Any:
    async with httpx.AsyncClient() as client:
        response = await client.get(
            f"{server_url}/api/{user_id}/tasks", headers={"Authorization": f"Bearer {token}"}
        )
    return response.json()


def structured(result: Any) -> Any:
    assert not result.is_error, result.content
    return result.structured_content


async def test_lists_exactly_the_six_tools_with_their_schemas(server_url: str) -> None:
    _, token = sign_up(server_url, "lister")
    async with mcp_session(server_url, token) as session:
        tools = {tool.name: tool for tool in (await session.list_tools()).tools}
    assert set(tools) == TOOL_NAMES
    add = tools["add_task"]
    assert add.description and "Create a new task" in add.description
    assert add.input_schema["required"] == ["user_id", "title"]
    assert add.input_schema["properties"]["title"]["maxLength"] == 200
    assert add.input_schema["properties"]["description"]["anyOf"][0]["maxLength"] == 1000
    status = tools["list_tasks"].input_schema["properties"]["status"]
    assert status["enum"] == ["all", "pending", "completed"] and status["default"] == "all"
    limit = tools["list_tasks"].input_schema["properties"]["limit"]
    assert (limit["default"], limit["minimum"], limit["maximum"]) == (50, 1, 1000)
    for name in ("complete_task", "reopen_task", "delete_task"):
        assert tools[name].input_schema["required"] == ["user_id", "task_id"]
        assert tools[name].input_schema["properties"]["task_id"]["type"] == "integer"
    assert set(tools["update_task"].input_schema["properties"]) == {
        "user_id",
        "task_id",
        "title",
        "description",
        "due_at",
        "clear_due_at",
        "priority",
        "tags",
    }
    # Everything new is optional: the calls of clients written before it keep their meaning.
    assert tools["update_task"].input_schema["required"] == ["user_id", "task_id"]
    assert tools["list_tasks"].input_schema["required"] == ["user_id"]


async def test_each_tool_does_what_the_contract_says(server_url: str) -> None:
    user_id, token = sign_up(server_url, "caller")
    async with mcp_session(server_url, token) as session:
        added = structured(
            await session.call_tool("add_task", {"user_id": user_id, "title": "Buy milk"})
        )
        assert added == {
            "task_id": added["task_id"],
            "status": "created",
            "title": "Buy milk",
            **UNPLANNED,
        }
        task_id = added["task_id"]
        second = structured(
            await session.call_tool(
                "add_task", {"user_id": user_id, "title": "Pay bills", "description": "by Friday"}
            )
        )
        listed = structured(await session.call_tool("list_tasks", {"user_id": user_id}))
        assert listed == {
            "tasks": [
                {"id": second["task_id"], "title": "Pay bills", "completed": False, **UNPLANNED},
                {"id": task_id, "title": "Buy milk", "completed": False, **UNPLANNED},
            ],
            "more": False,
        }
        first_only = structured(
            await session.call_tool("list_tasks", {"user_id": user_id, "limit": 1})
        )
        assert first_only == {
            "tasks": [
                {"id": second["task_id"], "title": "Pay bills", "completed": False, **UNPLANNED}
            ],
            "more": True,
        }
        completed = structured(
            await session.call_tool("complete_task", {"user_id": user_id, "task_id": task_id})
        )
        assert completed == {
            "task_id": task_id,
            "status": "completed",
            "title": "Buy milk",
            **UNPLANNED,
        }
        done = structured(
            await session.call_tool("list_tasks", {"user_id": user_id, "status": "completed"})
        )
        assert done == {
            "tasks": [{"id": task_id, "title": "Buy milk", "completed": True, **UNPLANNED}],
            "more": False,
        }
        updated = structured(
            await session.call_tool(
                "update_task", {"user_id": user_id, "task_id": task_id, "title": "Buy oat milk"}
            )
        )
        assert updated == {
            "task_id": task_id,
            "status": "updated",
            "title": "Buy oat milk",
            **UNPLANNED,
        }
        deleted = structured(
            await session.call_tool("delete_task", {"user_id": user_id, "task_id": task_id})
        )
        assert deleted == {
            "task_id": task_id,
            "status": "deleted",
            "title": "Buy oat milk",
            **UNPLANNED,
        }
        missing = await session.call_tool("delete_task", {"user_id": user_id, "task_id": task_id})
        assert missing.is_error
        assert f"Task {task_id} not found" in missing.content[0].text  # type: ignore[union-attr]
        invalid = await session.call_tool("add_task", {"user_id": user_id, "title": "x" * 201})
        assert invalid.is_error

    # The REST API sees exactly what the tools did: one implementation.
    tasks = await rest_tasks(server_url, user_id, token)
    assert [(t["title"], t["description"]) for t in tasks] == [("Pay bills", "by Friday")]


async def test_another_users_id_is_refused(server_url: str) -> None:
    victim_id, victim_token = sign_up(server_url, "victim")
    _, attacker_token = sign_up(server_url, "attacker")
    async with mcp_session(server_url, victim_token) as session:
        own = structured(
            await session.call_tool("add_task", {"user_id": victim_id, "title": "Mine"})
        )
    async with mcp_session(server_url, attacker_token) as session:
        for name, arguments in [
            ("list_tasks", {"user_id": victim_id}),
            ("add_task", {"user_id": victim_id, "title": "spam"}),
            ("complete_task", {"user_id": victim_id, "task_id": own["task_id"]}),
            ("delete_task", {"user_id": victim_id, "task_id": own["task_id"]}),
            ("update_task", {"user_id": victim_id, "task_id": own["task_id"], "title": "x"}),
        ]:
            result = await session.call_tool(name, arguments)
            assert result.is_error, name
            assert "does not match the signed-in user" in result.content[0].text  # type: ignore[union-attr]
    tasks = await rest_tasks(server_url, victim_id, victim_token)
    assert [(t["title"], t["completed"]) for t in tasks] == [("Mine", False)]


async def test_ids_out_of_range_and_nul_characters_are_invalid_arguments(
    server_url: str,
) -> None:
    user_id, token = sign_up(server_url, "edges")
    async with mcp_session(server_url, token) as session:
        for name, arguments, problem in [
            ("complete_task", {"task_id": 2**63}, "less than or equal to 2147483647"),
            ("delete_task", {"task_id": 0}, "greater than or equal to 1"),
            (
                "update_task",
                {"task_id": 2**31, "title": "x", **UNPLANNED},
                "less than or equal to 2147483647",
            ),
            ("add_task", {"title": "a\u0000b"}, "must not contain NUL characters"),
            ("add_task", {"title": "ok", "description": "\u0000"}, "NUL characters"),
        ]:
            result = await session.call_tool(name, {"user_id": user_id, **arguments})
            assert result.is_error, name
            assert problem in result.content[0].text, result.content  # type: ignore[union-attr]
        largest = await session.call_tool("delete_task", {"user_id": user_id, "task_id": 2**31 - 1})
        assert largest.is_error
        assert "Task 2147483647 not found" in largest.content[0].text  # type: ignore[union-attr]
    assert await rest_tasks(server_url, user_id, token) == []


@pytest.mark.parametrize("token", [None, "not-a-token"])
def test_no_or_bad_token_is_401(server_url: str, token: str | None) -> None:
    headers = dict(MCP_ACCEPT)
    if token:
        headers["Authorization"] = f"Bearer {token}"
    response = httpx.post(f"{server_url}/mcp/", json=INITIALIZE, headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert json.loads(response.text) == {
        "detail": "Sign in first: a valid Bearer token is required"
    }


def test_host_header_protection_accepts_configured_cluster_names(server_url: str) -> None:
    _, token = sign_up(server_url, "hosts")

    def post_with_host(host: str) -> int:
        headers = {
            "Authorization": f"Bearer {token}",
            **MCP_ACCEPT,
            "Host": host,
        }
        return httpx.post(f"{server_url}/mcp/", json=INITIALIZE, headers=headers).status_code

    assert post_with_host("backend:8000") == 200
    assert post_with_host("backend") == 200
    assert post_with_host("localhost:8000") == 200
    assert post_with_host("evil.example.com") == 421


async def test_first_sessions_at_once_all_work_and_the_server_then_stops_cleanly(
    tmp_path: Path,
) -> None:
    """The MCP server starts on the first request (`mcp_mount`): several clients arriving
    together all get it, and SIGTERM afterwards stops it with the rest of the backend."""
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/todo.db", "BETTER_AUTH_SECRET": TEST_SECRET}
    with run_service("todo-backend", env, tmp_path / "backend.log") as backend:
        users = [sign_up(backend.url, f"first{n}") for n in range(4)]

        async def add_one(user_id: str, token: str) -> Any:
            async with mcp_session(backend.url, token) as session:
                return structured(
                    await session.call_tool("add_task", {"user_id": user_id, "title": "Early"})
                )

        added = await asyncio.gather(*(add_one(user_id, token) for user_id, token in users))
        assert [task["title"] for task in added] == ["Early"] * 4
        backend.process.send_signal(signal.SIGTERM)
        assert backend.process.wait(timeout=30) in (0, -signal.SIGTERM)
    assert "Application shutdown complete." in backend.output()
    assert "Traceback" not in backend.output()


async def test_tools_plan_filter_sort_and_reopen_tasks(server_url: str) -> None:
    user_id, token = sign_up(server_url, "planner")
    async with mcp_session(server_url, token) as session:

        async def call(name: str, **arguments: Any) -> Any:
            return structured(await session.call_tool(name, {"user_id": user_id, **arguments}))

        dentist = await call(
            "add_task",
            title="Dentist",
            due_at="2026-12-10T09:30:00+01:00",
            priority="high",
            tags=["Health", "#errands"],
        )
        assert dentist | {"task_id": 0} == {
            "task_id": 0,
            "status": "created",
            "title": "Dentist",
            "due_at": "2026-12-10T08:30:00Z",
            "priority": "high",
            "tags": ["errands", "health"],
        }
        await call("add_task", title="Groceries", tags=["errands"])
        await call("add_task", title="Report", due_at="2026-12-09T17:00:00Z", priority="low")

        async def titles(**filters: Any) -> list[str]:
            return [task["title"] for task in (await call("list_tasks", **filters))["tasks"]]

        assert await titles(sort="due_at") == ["Report", "Dentist", "Groceries"]
        assert await titles(sort="-priority") == ["Dentist", "Groceries", "Report"]
        assert await titles(tags=["errands"]) == ["Groceries", "Dentist"]
        assert await titles(tags=["errands", "health"]) == ["Dentist"]
        assert await titles(priority=["low", "high"], sort="title") == ["Dentist", "Report"]
        assert await titles(due_before="2026-12-10T00:00:00Z") == ["Report"]
        assert await titles(query="dent") == ["Dentist"]

        moved = await call(
            "update_task", task_id=dentist["task_id"], clear_due_at=True, tags=["health"]
        )
        assert (moved["due_at"], moved["tags"], moved["priority"]) == (None, ["health"], "high")
        await call("complete_task", task_id=dentist["task_id"])
        reopened = await call("reopen_task", task_id=dentist["task_id"])
        assert reopened["status"] == "reopened"
        assert await titles(status="completed") == []

        naive = await session.call_tool(
            "add_task", {"user_id": user_id, "title": "x", "due_at": "2026-12-10T09:30:00"}
        )
        assert naive.is_error
        assert "due_at" in naive.content[0].text and "offset" in naive.content[0].text
        assert (
            await session.call_tool("list_tasks", {"user_id": user_id, "sort": "soon"})
        ).is_error
