"""Frontend route-test fixtures: the frontend in-process (TestClient or a uvicorn thread), a real
backend process on a fresh PostgreSQL database, and tiny fake backends where the real one is not
what is under test (proxy mechanics, outages)."""

import asyncio
import os
import re
import secrets
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.types import ASGIApp

from todo_frontend.app import create_app
from todo_frontend.settings import Settings

SECRET = "frontend-test-secret-" + "x" * 32
BIN = Path(sys.executable).parent


def make_settings(backend_url: str, **overrides: Any) -> Settings:
    """Settings for a test, independent of the developer's environment and .env."""
    values: dict[str, Any] = {
        "backend_url": backend_url,
        "better_auth_secret": SECRET,
        "local_mode": False,
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_until(condition: Callable[[], bool], *, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds}s waiting for {what}")
        time.sleep(0.05)


def _csrf_token_in(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page has no CSRF token"
    return match.group(1)


@contextmanager
def _serve_in_thread(app: ASGIApp) -> Iterator[str]:
    """Serve an ASGI app with uvicorn on a free port; yields its base URL."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    _wait_until(lambda: server.started, seconds=10, what="the test server to start")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def frontend_app() -> Callable[..., FastAPI]:
    """`frontend_app(backend_url, **settings)`: a frontend app, e.g. to serve in a thread."""

    def build(backend_url: str, **overrides: Any) -> FastAPI:
        return create_app(make_settings(backend_url, **overrides))

    return build


FrontendFor = Callable[..., AbstractContextManager[TestClient]]


@pytest.fixture
def frontend_for() -> FrontendFor:
    """`with frontend_for(backend_url) as browser:` a TestClient that keeps cookies."""

    @contextmanager
    def start(backend_url: str, **overrides: Any) -> Iterator[TestClient]:
        app = create_app(make_settings(backend_url, **overrides))
        with TestClient(app, follow_redirects=False) as client:
            yield client

    return start


@pytest.fixture
def unreachable_url() -> str:
    """A backend address where nothing listens."""
    return f"http://127.0.0.1:{_free_port()}"


def _admin(database_url: str, sql: str) -> None:
    async def run() -> None:
        connection = await asyncpg.connect(database_url)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    # A thread of its own, so this works whatever event loop the caller may be running.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, run()).result()


@pytest.fixture(scope="session")
def postgres_url(unavailable: Callable[[str], NoReturn]) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this test session."""
    admin_url = os.environ.get("TEST_DATABASE_URL")
    if not admin_url:
        unavailable("TEST_DATABASE_URL is not set: no PostgreSQL to test against")
    name = f"todo_fe_{uuid.uuid4().hex[:12]}"
    try:
        _admin(admin_url, f'CREATE DATABASE "{name}"')
    except (OSError, asyncpg.PostgresError) as error:
        unavailable(f"PostgreSQL at TEST_DATABASE_URL does not answer: {error}")
    parts = urlsplit(admin_url)
    yield urlunsplit(parts._replace(path=f"/{name}"))
    _admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass(frozen=True)
class Process:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@contextmanager
def _run_service(command: str, env: dict[str, str], log: Path) -> Iterator[Process]:
    """Run `todo-backend serve` / `todo-frontend serve` until ready; SIGTERM it afterwards."""
    port = _free_port()
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [str(BIN / command), "serve"],
            env={**os.environ, **env, "PORT": str(port)},
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    service = Process(f"http://127.0.0.1:{port}", process, log)

    def ready() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"{command} exited early:\n{service.output()}")
        try:
            return httpx.get(f"{service.url}/api/health", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        _wait_until(ready, seconds=60, what=f"{command} to answer /api/health")
        yield service
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def real_backend(postgres_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Process]:
    """The real backend process (`todo-backend serve`) on its own PostgreSQL database."""
    env = {
        "DATABASE_URL": postgres_url,
        "BETTER_AUTH_SECRET": secrets.token_hex(32),
        "AGENT_PROVIDER": "builtin",
        "LOCAL_MODE": "false",
        "LOG_LEVEL": "warning",
    }
    log = tmp_path_factory.mktemp("backend") / "backend.log"
    with _run_service("todo-backend", env, log) as backend:
        yield backend


def _new_email(name: str) -> str:
    return f"{name.lower()}-{secrets.token_hex(4)}@example.com"


def _sign_up(browser: TestClient, name: str, password: str = "correct horse") -> str:
    """Sign up through the frontend's form, as a person would; returns the new email."""
    email = _new_email(name)
    token = _csrf_token_in(browser.get("/sign-up").text)
    response = browser.post(
        "/sign-up",
        data={"csrf_token": token, "name": name, "email": email, "password": password},
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/dashboard"
    return email


# Helpers the test modules use, handed over as fixtures (test modules cannot import conftest).
@pytest.fixture
def csrf_token_in() -> Callable[[str], str]:
    return _csrf_token_in


@pytest.fixture
def sign_up() -> Callable[..., str]:
    return _sign_up


@pytest.fixture
def new_email() -> Callable[[str], str]:
    return _new_email


@pytest.fixture
def serve_app() -> Callable[[ASGIApp], AbstractContextManager[str]]:
    return _serve_in_thread


@pytest.fixture
def start_service() -> Callable[[str, dict[str, str], Path], AbstractContextManager[Process]]:
    return _run_service


@pytest.fixture
def wait_until() -> Callable[..., None]:
    return _wait_until
