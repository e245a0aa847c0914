"""What the benchmarks share: a throwaway PostgreSQL database and a real backend process."""

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import asyncpg

BENCH_SECRET = "bench-secret-0123456789abcdef0123456789abcdef"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _admin_url() -> str:
    url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    if not url:
        sys.exit(
            "Set BENCH_DATABASE_URL (or TEST_DATABASE_URL) to a PostgreSQL URL "
            "whose role may CREATE DATABASE"
        )
    return url.replace("postgres://", "postgresql://", 1)


async def _admin(url: str, sql: str) -> None:
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@contextmanager
def temporary_database() -> Iterator[str]:
    """A fresh PostgreSQL database, dropped afterwards; yields its URL."""
    admin = _admin_url()
    name = f"todo_bench_{uuid.uuid4().hex[:10]}"
    asyncio.run(_admin(admin, f'CREATE DATABASE "{name}"'))
    base, _, _ = admin.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        asyncio.run(_admin(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def start_service(module: str, env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    """`python -m <module> serve` (uvicorn, one worker) on `port`, answering once `wait_ready`."""
    return subprocess.Popen(
        [sys.executable, "-m", module, "serve"],
        env={**os.environ, "PORT": str(port), "LOG_LEVEL": "warning", **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def wait_ready(process: subprocess.Popen[bytes], base_url: str) -> None:
    """Until /api/health answers; exits the benchmark if the process dies or takes over 60 s."""
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            error = process.stderr.read().decode() if process.stderr else ""
            raise SystemExit(f"the service exited: {error}")
        try:
            with urllib.request.urlopen(f"{base_url}/api/health", timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise SystemExit("the service did not become ready in 60 s") from None
            time.sleep(0.1)


@contextmanager
def running_service(module: str, env: dict[str, str]) -> Iterator[str]:
    """`python -m <module> serve` on a free port; yields its base URL."""
    port = free_port()
    process = start_service(module, env, port)
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(process, base_url)
        yield base_url
    finally:
        process.terminate()
        process.wait(timeout=30)


def running_backend(database_url: str) -> AbstractContextManager[str]:
    """The backend on `database_url` with the built-in agent."""
    env = {
        "DATABASE_URL": database_url,
        "BETTER_AUTH_SECRET": BENCH_SECRET,
        "AGENT_PROVIDER": "builtin",
        "LOG_LEVEL": "info",  # the request log line is part of a request's real cost
        "RATE_LIMITS": "off",  # the benchmarks sign up and chat far faster than a person
    }
    return running_service("todo_backend.cli", env)


def call(base_url: str, method: str, path: str, body: Any = None, token: str = "") -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{base_url}{path}", data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=30) as response:
        payload = response.read()
    return json.loads(payload) if payload else None


def user_with_tasks(base_url: str, count: int) -> tuple[str, str]:
    """Sign up a user and give them `count` tasks; returns (user_id, token)."""
    email = f"bench-{uuid.uuid4().hex[:8]}@example.com"
    auth = call(
        base_url,
        "POST",
        "/api/auth/sign-up",
        {"email": email, "password": "bench-password", "name": "Bench"},
    )
    user_id, token = auth["user"]["id"], auth["token"]
    for number in range(count):
        call(
            base_url,
            "POST",
            f"/api/{user_id}/tasks",
            {"title": f"Task number {number}", "description": "benchmark"},
            token,
        )
    return user_id, token
