"""Backend throughput and latency: listing 100 tasks and creating tasks, 16 concurrent clients.

Run: `make bench` (or `uv run python bench/backend_bench.py`) with TEST_DATABASE_URL or
BENCH_DATABASE_URL pointing at PostgreSQL. Prints one line per scenario."""

import asyncio
import os

from loadgen import LoadResult, run_load

from benchkit import running_backend, temporary_database, user_with_tasks

CONCURRENCY = 16
SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))


async def measure(base_url: str, user_id: str, token: str) -> list[LoadResult]:
    headers = {"Authorization": f"Bearer {token}"}
    tasks_path = f"/api/{user_id}/tasks"
    await run_load(
        "warm-up",
        base_url,
        lambda n: ("GET", tasks_path, b""),
        headers=headers,
        concurrency=CONCURRENCY,
        seconds=2,
    )
    listing = await run_load(
        "list 100 tasks (GET)",
        base_url,
        lambda n: ("GET", tasks_path, b""),
        headers=headers,
        concurrency=CONCURRENCY,
        seconds=SECONDS,
    )
    creating = await run_load(
        "create a task (POST)",
        base_url,
        lambda n: ("POST", tasks_path, f'{{"title": "Load task {n}"}}'.encode()),
        headers=headers,
        concurrency=CONCURRENCY,
        seconds=SECONDS,
        expected_status=201,
    )
    return [listing, creating]


def main() -> None:
    with temporary_database() as database_url, running_backend(database_url) as base_url:
        user_id, token = user_with_tasks(base_url, 100)
        results = asyncio.run(measure(base_url, user_id, token))
    print(
        f"backend on PostgreSQL, one uvicorn worker, {CONCURRENCY} concurrent clients, "
        f"{SECONDS:.0f} s each"
    )
    for result in results:
        print(result.summary())


if __name__ == "__main__":
    main()
