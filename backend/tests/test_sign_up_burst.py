"""A burst of sign-ups (argon2: 64 MiB and ~100 ms each) against the real server process:
its memory stays bounded and a signed-in user's task list stays quick meanwhile.

Prints the figures (RSS growth, task-list latency) for the record: `pytest -s` shows them."""

import statistics
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from backend_testkit import TEST_SECRET
from testkit import run_service

BURST = 40
MIB = 1024 * 1024


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS in /proc status")


def sign_up(client: httpx.Client) -> httpx.Response:
    email = f"burst-{uuid.uuid4().hex[:10]}@example.com"
    return client.post(
        "/api/auth/sign-up", json={"email": email, "password": "burst-pass", "name": "B"}
    )


def test_a_sign_up_burst_keeps_memory_bounded_and_other_requests_quick(tmp_path: Path) -> None:
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path}/todo.db",
        "BETTER_AUTH_SECRET": TEST_SECRET,
        "RATE_LIMITS": "off",  # every sign-up of the burst must reach the hash
    }
    with (
        run_service("todo-backend", env, tmp_path / "backend.log") as service,
        httpx.Client(base_url=service.url, timeout=120) as client,
    ):
        first = sign_up(client).json()
        headers = {"Authorization": f"Bearer {first['token']}"}
        tasks_url = f"/api/{first['user']['id']}/tasks"
        assert client.get(tasks_url, headers=headers).status_code == 200
        rss_before = rss_bytes(service.process.pid)

        peak = rss_before
        done = threading.Event()
        latencies: list[float] = []

        def watch() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, rss_bytes(service.process.pid))
                time.sleep(0.02)  # sampling memory, not waiting on a condition

        def list_tasks_meanwhile() -> None:
            with httpx.Client(base_url=service.url, timeout=60) as reader:
                while not done.is_set():
                    started = time.perf_counter()
                    assert reader.get(tasks_url, headers=headers).status_code == 200
                    latencies.append(time.perf_counter() - started)

        watcher = threading.Thread(target=watch)
        reader = threading.Thread(target=list_tasks_meanwhile)
        watcher.start()
        reader.start()
        started = time.perf_counter()
        try:
            with ThreadPoolExecutor(max_workers=BURST) as pool:
                statuses = list(pool.map(lambda _: sign_up(client).status_code, range(BURST)))
        finally:
            done.set()
            watcher.join()
            reader.join()
        burst_seconds = time.perf_counter() - started

    growth_mib = (peak - rss_before) / MIB
    median_ms = statistics.median(latencies) * 1000
    worst_ms = max(latencies) * 1000
    print(
        f"\nsign-up burst: {BURST} sign-ups in {burst_seconds:.1f} s; RSS +{growth_mib:.0f} MiB;"
        f" task list during it: median {median_ms:.0f} ms, worst {worst_ms:.0f} ms"
        f" over {len(latencies)} requests"
    )
    assert statuses == [201] * BURST
    # Two hashes at a time (PASSWORD_HASH_CONCURRENCY) at 64 MiB each, plus headroom.
    assert growth_mib < 300
    assert median_ms < 500
    assert worst_ms < 3000
