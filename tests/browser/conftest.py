"""End-to-end fixtures: the real backend and frontend processes (`todo-backend serve`,
`todo-frontend serve`) on a fresh PostgreSQL database, driven by Playwright with Debian's
Chromium."""

import asyncio
import os
import secrets
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
BIN = Path(sys.executable).parent
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

expect.set_options(timeout=15_000)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _admin(database_url: str, sql: str) -> None:
    async def run() -> None:
        connection = await asyncpg.connect(database_url)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    # A thread of its own: Playwright's sync API owns an event loop in this one.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, run()).result()


@pytest.fixture(scope="session")
def postgres_url(unavailable: Callable[[str], NoReturn]) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this run."""
    admin_url = os.environ.get("TEST_DATABASE_URL")
    if not admin_url:
        unavailable("TEST_DATABASE_URL is not set: no PostgreSQL to test against")
    name = f"todo_e2e_{uuid.uuid4().hex[:12]}"
    try:
        _admin(admin_url, f'CREATE DATABASE "{name}"')
    except (OSError, asyncpg.PostgresError) as error:
        unavailable(f"PostgreSQL at TEST_DATABASE_URL does not answer: {error}")
    yield urlunsplit(urlsplit(admin_url)._replace(path=f"/{name}"))
    _admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def _service(command: str, env: dict[str, str], log: Path) -> Iterator[str]:
    """Run `<command> serve` on a free port until /api/health answers; SIGTERM it afterwards."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [str(BIN / command), "serve"],
            env={**os.environ, **env, "PORT": str(port)},
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise AssertionError(f"{command} exited early:\n{log.read_text()}")
            try:
                if httpx.get(f"{url}/api/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"{command} did not become ready:\n{log.read_text()}")
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass(frozen=True)
class Stack:
    frontend_url: str
    backend_url: str


@pytest.fixture(scope="session")
def stack(postgres_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    logs = tmp_path_factory.mktemp("services")
    backend_env = {
        "DATABASE_URL": postgres_url,
        "BETTER_AUTH_SECRET": secrets.token_hex(32),
        "AGENT_PROVIDER": "builtin",
        "LOCAL_MODE": "false",
        "LOG_LEVEL": "warning",
    }
    with _service("todo-backend", backend_env, logs / "backend.log") as backend_url:
        frontend_env = {
            "BACKEND_URL": backend_url,
            "BETTER_AUTH_SECRET": secrets.token_hex(32),
            "LOCAL_MODE": "false",
            "LOG_LEVEL": "warning",
        }
        with _service("todo-frontend", frontend_env, logs / "frontend.log") as frontend_url:
            yield Stack(frontend_url=frontend_url, backend_url=backend_url)


@pytest.fixture(scope="session")
def browser(unavailable: Callable[[str], NoReturn]) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


NewPage = Callable[..., Page]


@pytest.fixture
def new_page(browser: Browser, stack: Stack) -> Iterator[NewPage]:
    """`new_page()` opens a page in a fresh browser profile (its own cookies and storage).

    Any script error or console error (a CSP violation is one) fails the test."""
    contexts = []
    problems: list[str] = []

    def open_page(**context_options: Any) -> Page:
        context = browser.new_context(base_url=stack.frontend_url, **context_options)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
        page.on(
            "console",
            lambda message: (
                problems.append(f"console {message.type}: {message.text}")
                if message.type == "error"
                else None
            ),
        )
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert not problems, "\n".join(problems)


SignUp = Callable[[Page, str], str]


@pytest.fixture
def sign_up() -> SignUp:
    def create(page: Page, name: str) -> str:
        """Create an account through the sign-up page; returns its email."""
        email = f"{name.lower()}-{secrets.token_hex(4)}@example.com"
        page.goto("/sign-up")
        page.get_by_label("Name").fill(name)
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill("correct horse")
        page.get_by_role("button", name="Create account").click()
        page.wait_for_url("**/dashboard")
        return email

    return create
