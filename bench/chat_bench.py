"""Chat turn latency through HTTP with the built-in agent, on PostgreSQL.

A user with 100 tasks cycles through "add", "list" and "delete by name" turns in one
conversation (so the list stays at about 100 tasks), one turn at a time (latency) and then
8 at a time (throughput). Also counts the SQL statements of one turn
of each kind, in-process, so the database work per turn is visible."""

import asyncio
import json
import os
import sys
from pathlib import Path

import httpx
from loadgen import LoadResult, run_load
from sqlalchemy import event

from benchkit import BENCH_SECRET, call, running_backend, temporary_database, user_with_tasks

SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))


async def measure(
    base_url: str, user_id: str, token: str, conversation_id: int
) -> list[LoadResult]:
    headers = {"Authorization": f"Bearer {token}"}
    path = f"/api/{user_id}/chat"

    def turn(n: int) -> tuple[str, str, bytes]:
        item = f"bench item {n // 3}"
        message = [f"Add a task to {item}", "Show my tasks", f"Delete the {item} task"][n % 3]
        body = json.dumps({"message": message, "conversation_id": conversation_id})
        return "POST", path, body.encode()

    await run_load("warm-up", base_url, turn, headers=headers, concurrency=1, seconds=2)
    sequential = await run_load(
        "chat turn (add/list/delete), 1 client",
        base_url,
        turn,
        headers=headers,
        concurrency=1,
        seconds=SECONDS,
    )
    concurrent = await run_load(
        "chat turn (add/list/delete), 8 clients",
        base_url,
        turn,
        headers=headers,
        concurrency=8,
        seconds=SECONDS,
    )
    return [sequential, concurrent]


async def count_statements(database_url: str) -> dict[str, int]:
    """SQL statements per chat turn, counted on the engine of an in-process app."""
    sys.path.insert(0, str(Path(__file__).parents[1] / "backend" / "src"))
    from todo_backend.main import create_app
    from todo_backend.settings import Settings

    app = create_app(
        Settings(database_url=database_url, better_auth_secret=BENCH_SECRET, log_level="warning")
    )
    counts: dict[str, int] = {}
    async with app.router.lifespan_context(app):
        statements = 0

        def count(*_: object) -> None:
            nonlocal statements
            statements += 1

        event.listen(app.state.engine.sync_engine, "before_cursor_execute", count)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
            auth = (
                await client.post(
                    "/api/auth/sign-up",
                    json={"email": "count@example.com", "password": "count-pass", "name": "C"},
                )
            ).json()
            headers = {"Authorization": f"Bearer {auth['token']}"}
            path = f"/api/{auth['user']['id']}/chat"
            first = (await client.post(path, json={"message": "hello"}, headers=headers)).json()
            for label, message in [
                ("add turn", "Add a task to count queries"),
                ("list turn", "Show my tasks"),
                ("complete-by-name turn", "Mark the queries task as done"),
            ]:
                statements = 0
                await client.post(
                    path,
                    json={"message": message, "conversation_id": first["conversation_id"]},
                    headers=headers,
                )
                counts[label] = statements
    return counts


def main() -> None:
    with temporary_database() as database_url:
        counts = asyncio.run(count_statements(database_url))
        with running_backend(database_url) as base_url:
            user_id, token = user_with_tasks(base_url, 100)
            first = call(base_url, "POST", f"/api/{user_id}/chat", {"message": "hello"}, token)
            results = asyncio.run(measure(base_url, user_id, token, first["conversation_id"]))
    print(f"chat with the built-in agent on PostgreSQL, user with 100+ tasks, {SECONDS:.0f} s each")
    for result in results:
        print(result.summary())
    print("SQL statements per turn: " + ", ".join(f"{k} {v}" for k, v in counts.items()))


if __name__ == "__main__":
    main()
