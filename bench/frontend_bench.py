"""Frontend figures: the server time the dashboard adds on top of the backend's own time for a
list of 100 tasks, and the bytes a first visit downloads (uncompressed, every asset).

Run: `make bench` (or `uv run python bench/frontend_bench.py`) with TEST_DATABASE_URL or
BENCH_DATABASE_URL pointing at PostgreSQL. Both services run as real processes."""

import os
import re
import statistics
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from urllib.parse import urljoin

import httpx

from benchkit import BENCH_SECRET, running_backend, running_service, temporary_database

TASKS = 100
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "300"))
PASSWORD = "bench-password"
_ASSET = re.compile(r'(?:href|src)="(/static/[^"]+)"')
_IMPORT = re.compile(r'from "(\.[^"]+)"')
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def running_frontend(backend_url: str) -> AbstractContextManager[str]:
    env = {"BACKEND_URL": backend_url, "BETTER_AUTH_SECRET": BENCH_SECRET, "LOCAL_MODE": "false"}
    return running_service("todo_frontend.cli", env)


class FirstVisit:
    """Counts what a new visitor's browser downloads: each page, and each asset once."""

    def __init__(self, browser: httpx.Client) -> None:
        self.browser = browser
        self.sizes: dict[str, int] = {}

    def page(self, response: httpx.Response) -> str:
        self.sizes[f"{response.request.method} {response.url.path}"] = len(response.content)
        for asset in _ASSET.findall(response.text):
            self._asset(asset)
        return response.text

    def _asset(self, path: str) -> None:
        if path in self.sizes:
            return
        response = self.browser.get(path)
        response.raise_for_status()
        self.sizes[path] = len(response.content)
        if path.endswith(".js"):  # modules load the modules they import
            for relative in _IMPORT.findall(response.text):
                self._asset(urljoin(path, relative))

    @property
    def total(self) -> int:
        return sum(self.sizes.values())


def sign_up_through_the_pages(browser: httpx.Client, visit: FirstVisit, email: str) -> None:
    landing = browser.get("/")
    visit.page(browser.get(landing.headers["location"]))  # the sign-in page
    form = visit.page(browser.get("/sign-up"))
    token = _CSRF.search(form)
    assert token, "the sign-up page has no CSRF token"
    created = browser.post(
        "/sign-up",
        data={"csrf_token": token.group(1), "name": "Bench", "email": email, "password": PASSWORD},
    )
    assert created.status_code == 303, created.text
    visit.page(browser.get("/dashboard"))


def timings_ms(request: Callable[[], httpx.Response]) -> list[float]:
    samples = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        request().raise_for_status()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def describe(name: str, samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    return f"{name:<44} median {statistics.median(samples):6.2f} ms  p95 {p95:6.2f} ms"


def main() -> None:
    email = f"bench-{time.time_ns()}@example.com"
    with (
        temporary_database() as database_url,
        running_backend(database_url) as backend_url,
        running_frontend(backend_url) as frontend_url,
        httpx.Client(base_url=frontend_url, follow_redirects=False) as browser,
        httpx.Client(base_url=backend_url) as api,
    ):
        visit = FirstVisit(browser)
        sign_up_through_the_pages(browser, visit, email)

        auth = api.post("/api/auth/sign-in", json={"email": email, "password": PASSWORD}).json()
        headers = {"Authorization": f"Bearer {auth['token']}"}
        tasks_path = f"/api/{auth['user']['id']}/tasks"
        for number in range(TASKS):
            api.post(tasks_path, json={"title": f"Task {number}"}, headers=headers)

        timings_ms(lambda: browser.get("/dashboard"))  # warm-up
        backend = timings_ms(lambda: api.get(tasks_path, headers=headers))
        dashboard = timings_ms(lambda: browser.get("/dashboard"))
        dashboard_bytes = len(browser.get("/dashboard").content)

    added = statistics.median(dashboard) - statistics.median(backend)
    print(
        f"frontend and backend on PostgreSQL, one uvicorn worker each, {ROUNDS} sequential requests"
    )
    print(describe(f"backend GET /tasks ({TASKS} tasks)", backend))
    print(describe(f"frontend GET /dashboard ({TASKS} tasks)", dashboard))
    print(f"{'dashboard time on top of the backend':<44} {added:6.2f} ms (median; target < 50 ms)")
    print(f"{'dashboard HTML with 100 tasks':<44} {dashboard_bytes} bytes")
    print(
        f"{'first visit (pages + assets, uncompressed)':<44} {visit.total} bytes (target < 153600)"
    )
    for name, size in visit.sizes.items():
        print(f"    {name:<40} {size:>7} bytes")


if __name__ == "__main__":
    main()
