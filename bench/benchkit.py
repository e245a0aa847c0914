"""What the benchmarks share: a throwaway PostgreSQL database and a real backend process."""

import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

# The time per server and scenario, split over this many alternating rounds (BENCH_SECONDS,
# BENCH_ALTERNATIONS): every side-by-side benchmark runs the same way.
SECONDS = float(os.environ.get("BENCH_SECONDS", "15"))
ROUNDS = max(1, int(os.environ.get("BENCH_ALTERNATIONS", "5")))

BENCH_SECRET = "bench-secret-0123456789abcdef0123456789abcdef"
REPOSITORY = Path(__file__).resolve().parents[1]


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


def drop_statements(name: str) -> list[str]:
    """How to drop a database we made (the tests' `drop_database` too): end our own sessions
    in it (a stopped service's pool), then a plain DROP, which stops any autovacuum worker
    there itself. Not WITH (FORCE): it refuses while autovacuum works ("must be a member of the
    role whose process is being terminated"; the worker is no role of ours)."""
    return [
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = "
        f"'{name}' AND usename = current_user AND pid <> pg_backend_pid()",
        f'DROP DATABASE IF EXISTS "{name}"',
    ]


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
        for statement in drop_statements(name):
            asyncio.run(_admin(admin, statement))


@dataclass(frozen=True)
class Server:
    """A service running as a process of its own: its base URL and what it costs the host."""

    url: str
    pid: int

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the process has used so far, its threads included."""
        stat = Path(f"/proc/{self.pid}/stat").read_text()
        fields = stat[stat.rindex(")") + 2 :].split()
        return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS

    def rss_mb(self) -> float:
        """Resident memory, in MB (10^6 bytes)."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024 / 1e6
        return float("nan")


_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class CodeTree:
    """Which backend code a server runs: the working tree, or a git revision (a baseline)."""

    label: str
    pythonpath: str = ""  # empty: the code installed in the virtual environment
    root: Path = REPOSITORY

    def environment(self) -> dict[str, str]:
        """What a process's environment adds to run this code rather than the installed one."""
        return {"PYTHONPATH": self.pythonpath} if self.pythonpath else {}


@contextmanager
def code_at(revision: str) -> Iterator[CodeTree]:
    """The backend and common packages as they were at `revision`, in a temporary directory,
    run from the same virtual environment: `make bench BENCH_BASELINE=<rev>` measures the
    code before a change side by side with the code after it, in the same run."""
    with tempfile.TemporaryDirectory(prefix="bench-baseline-") as directory:
        archive = subprocess.run(
            ["git", "archive", "--format=tar", revision, "backend/src", "common/src"],
            cwd=REPOSITORY,
            check=True,
            capture_output=True,
        ).stdout
        subprocess.run(["tar", "-x", "-C", directory], input=archive, check=True)
        root = Path(directory)
        short = subprocess.run(
            ["git", "rev-parse", "--short", revision],
            cwd=REPOSITORY,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        yield CodeTree(
            label=f"before ({short})",
            pythonpath=os.pathsep.join([str(root / "backend/src"), str(root / "common/src")]),
            root=root,
        )


CURRENT = CodeTree(label="ours")


def codes_to_measure(stack: ExitStack) -> list[CodeTree]:
    """This tree's code, and the BENCH_BASELINE revision's (kept until `stack` closes) when set."""
    baseline = os.environ.get("BENCH_BASELINE", "")
    return [CURRENT, stack.enter_context(code_at(baseline))] if baseline else [CURRENT]


def start_process(
    argv: list[str], env: dict[str, str], port: int, *, code: CodeTree = CURRENT
) -> subprocess.Popen[bytes]:
    """`argv` (a Python module or script and its arguments) on `port`, given as PORT."""
    return subprocess.Popen(
        [sys.executable, *argv],
        env={**os.environ, "PORT": str(port), "LOG_LEVEL": "warning", **env, **code.environment()},
        cwd=code.root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def wait_ready(
    process: subprocess.Popen[bytes], base_url: str, ready_path: str = "/api/health"
) -> None:
    """Until `ready_path` answers; exits the benchmark if the process dies or takes over 60 s."""
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            error = process.stderr.read().decode() if process.stderr else ""
            raise SystemExit(f"{base_url}: the service exited: {error}")
        try:
            with urllib.request.urlopen(f"{base_url}{ready_path}", timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise SystemExit(f"{base_url} did not become ready in 60 s") from None
            time.sleep(0.1)


@contextmanager
def running_server(
    argv: list[str],
    env: dict[str, str],
    *,
    code: CodeTree = CURRENT,
    ready_path: str = "/api/health",
) -> Iterator[Server]:
    """`argv` on a free port; yields it once `ready_path` answers."""
    port = free_port()
    process = start_process(argv, env, port, code=code)
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(process, base_url, ready_path)
        yield Server(url=base_url, pid=process.pid)
    finally:
        process.terminate()
        process.wait(timeout=30)


@contextmanager
def running_service(module: str, env: dict[str, str]) -> Iterator[str]:
    """`python -m <module> serve` (uvicorn, one worker) on a free port; yields its base URL."""
    with running_server(["-m", module, "serve"], env) as server:
        yield server.url


def backend_env(database_url: str) -> dict[str, str]:
    """How the benchmarks run the backend: the built-in agent, request logs on, no rate limits
    and no conversation quota."""
    return {
        "DATABASE_URL": database_url,
        "BETTER_AUTH_SECRET": BENCH_SECRET,
        "AGENT_PROVIDER": "builtin",
        "LOG_LEVEL": "info",  # the request log line is part of a request's real cost
        # The simulated users sign up and chat far faster than a person, and start a new
        # conversation with every chat: the limits would answer 429s and 409s, not the server.
        "RATE_LIMITS": "off",
        "MAX_CONVERSATIONS_PER_USER": "1000000",
        "METRICS_PORT": str(free_port()),  # as deployed: on a port of their own
    }


def migrate(database_url: str, *, code: CodeTree = CURRENT) -> None:
    """`todo-backend migrate` (of `code`) on `database_url`, as the chart's migration Job or a
    first start would: a server started afterwards finds its schema up to date, as every
    start of a long-lived deployment but its first does."""
    subprocess.run(
        [sys.executable, "-m", "todo_backend.cli", "migrate"],
        env={**os.environ, **backend_env(database_url), **code.environment()},
        cwd=code.root,
        check=True,
        stdout=subprocess.DEVNULL,
    )


SERVE_BACKEND = ["-m", "todo_backend.cli", "serve"]


def backend_server(
    database_url: str, *, code: CodeTree = CURRENT, **env: str
) -> AbstractContextManager[Server]:
    """The backend (`code`) on `database_url` with the built-in agent."""
    return running_server(SERVE_BACKEND, {**backend_env(database_url), **env}, code=code)


@contextmanager
def running_backend(database_url: str) -> Iterator[str]:
    """The backend on `database_url` with the built-in agent; yields its base URL."""
    with backend_server(database_url) as server:
        yield server.url


def call(base_url: str, method: str, path: str, body: Any = None, token: str = "") -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{base_url}{path}", data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=30) as response:
        payload = response.read()
    return json.loads(payload) if payload else None


def user_with_tasks(
    base_url: str, count: int, task: Callable[[int], dict[str, Any]] | None = None
) -> tuple[str, str]:
    """Sign up a user and give them `count` tasks (the body of the nth: `task(n)`); returns
    (user_id, token)."""
    email = f"bench-{uuid.uuid4().hex[:8]}@example.com"
    auth = call(
        base_url,
        "POST",
        "/api/auth/sign-up",
        {"email": email, "password": "bench-password", "name": "Bench"},
    )
    user_id, token = auth["user"]["id"], auth["token"]
    for number in range(count):
        body = (
            task(number) if task else {"title": f"Task number {number}", "description": "benchmark"}
        )
        call(base_url, "POST", f"/api/{user_id}/tasks", body, token)
    return user_id, token
