"""`todo-frontend serve`: refuses bad or unsafe configuration and a busy port in one line that
names the variable, listens on loopback in LOCAL_MODE, logs JSON, and on SIGTERM finishes what
is in flight before it stops."""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import StreamingResponse

from testkit import free_port, non_loopback_address, run_service
from todo_frontend.settings import Settings

BIN = Path(sys.executable).parent / "todo-frontend"


def _start(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    clean = {key: value for key, value in os.environ.items() if key not in {"LOCAL_MODE"}}
    return subprocess.run(
        [str(BIN), "serve"],
        env={**clean, "BETTER_AUTH_SECRET": "", **env},
        cwd=cwd,  # away from any .env in the repository
        capture_output=True,
        text=True,
        timeout=30,
    )


@pytest.mark.parametrize(
    ("env", "complaint"),
    [
        ({}, "BETTER_AUTH_SECRET must be set"),
        ({"BETTER_AUTH_SECRET": "too-short"}, "at least 32 characters"),
        ({"BETTER_AUTH_SECRET": "changeme"}, "BETTER_AUTH_SECRET must be set"),
        (
            {
                "BETTER_AUTH_SECRET": "4f1c9a0be27d8356c1e0f9ab4d7263e5",
                "BACKEND_URL": "backend:8000",
            },
            "BACKEND_URL must be an http(s) URL",
        ),
        ({"LOCAL_MODE": "true", "PORT": "http"}, "PORT='http': input should be a valid integer"),
        (
            {"LOCAL_MODE": "true", "COOKIE_SECURE": "always"},
            "COOKIE_SECURE='always': input should be 'auto', 'true' or 'false'",
        ),
        (
            {"LOCAL_MODE": "true", "MAX_BODY_BYTES": "10"},
            "MAX_BODY_BYTES='10': input should be greater than or equal to 1024",
        ),
    ],
)
def test_unsafe_configuration_stops_startup_with_one_line(
    env: dict[str, str], complaint: str, tmp_path: Path
) -> None:
    result = _start(env, tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("todo-frontend: configuration error:")
    assert complaint in lines[0]
    assert "Traceback" not in result.stderr


def test_empty_variables_mean_their_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What `.env.example`'s `PORT=` means: the default, not an error; only the bad value is
    named."""
    empty = {"PORT": "", "HOST": "", "LOG_LEVEL": "", "CHAT_UI": "", "BACKEND_URL": ""}
    result = _start({**empty, "LOCAL_MODE": "true", "COOKIE_SECURE": "always"}, tmp_path)
    assert result.returncode == 2
    assert result.stderr == (
        "todo-frontend: configuration error: "
        "COOKIE_SECURE='always': input should be 'auto', 'true' or 'false'\n"
    )
    for name, value in empty.items():
        monkeypatch.setenv(name, value)
    settings = Settings(_env_file=None, local_mode=True)  # type: ignore[call-arg]
    assert (settings.port, settings.backend_url, settings.chat_ui) == (
        3000,
        "http://localhost:8000",
        "widget",
    )


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A port another program listens on."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


def test_a_busy_port_stops_startup_with_one_line_naming_it(busy_port: int, tmp_path: Path) -> None:
    result = _start({"LOCAL_MODE": "true", "PORT": str(busy_port)}, tmp_path)
    assert result.returncode == 1
    assert result.stderr == (
        f"todo-frontend: error: port {busy_port} is in use "
        "(set PORT, or FRONTEND_PORT for make run)\n"
    )
    assert "Traceback" not in result.stdout


def test_local_mode_listens_on_loopback_by_default(tmp_path: Path) -> None:
    address = non_loopback_address()
    if address is None:
        pytest.skip("this machine has no non-loopback address")
    env = {"LOCAL_MODE": "true", "BACKEND_URL": f"http://127.0.0.1:{free_port()}"}
    with (
        run_service("todo-frontend", env, tmp_path / "frontend.log") as frontend,
        pytest.raises(ConnectionRefusedError),
    ):
        socket.create_connection((address, int(frontend.url.rsplit(":", 1)[1])), timeout=5)


def _slow_backend(release: threading.Event) -> FastAPI:
    backend = FastAPI()

    @backend.get("/api/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @backend.post("/api/auth/sign-in")
    async def sign_in() -> dict[str, Any]:
        return {"token": "t", "user": {"id": "u1", "email": "a@example.com", "name": "Ann"}}

    @backend.post("/api/u1/chat/stream")
    async def stream() -> StreamingResponse:
        async def events() -> AsyncIterator[bytes]:
            yield b'event: conversation\ndata: {"conversation_id": 1}\n\n'
            await anyio.to_thread.run_sync(release.wait, 10)
            yield b'event: done\ndata: {"conversation_id": 1, "response": "Bye"}\n\n'

        return StreamingResponse(events(), media_type="text/event-stream")

    return backend


def test_serve_honours_port_logs_json_and_finishes_open_replies_on_sigterm(
    serve_app, csrf_token_in, tmp_path: Path
) -> None:
    release = threading.Event()
    with serve_app(_slow_backend(release)) as backend_url:
        env = {"LOCAL_MODE": "true", "BACKEND_URL": backend_url, "BETTER_AUTH_SECRET": ""}
        with (
            run_service("todo-frontend", env, tmp_path / "frontend.log") as frontend,
            httpx.Client(base_url=frontend.url, timeout=15) as browser,
        ):
            token = csrf_token_in(browser.get("/sign-in").text)
            browser.post("/sign-in", data={"csrf_token": token, "email": "a", "password": "b"})
            # The session's own token, which every page carries (the 404 page needs no backend).
            token = csrf_token_in(browser.get("/no-such-page").text)
            with browser.stream(
                "POST",
                "/api/u1/chat/stream",
                json={"message": "hi"},
                headers={"X-CSRF-Token": token},
            ) as reply:
                lines = reply.iter_lines()
                assert next(lines) == "event: conversation"
                frontend.process.send_signal(signal.SIGTERM)
                release.set()
                assert 'data: {"conversation_id": 1, "response": "Bye"}' in list(lines)
            # uvicorn re-raises the signal once it has shut down cleanly, so the parent sees
            # "terminated by SIGTERM" rather than a plain exit.
            assert frontend.process.wait(timeout=30) in {0, -signal.SIGTERM}
    records = [json.loads(line) for line in frontend.output().splitlines() if line.strip()]
    messages = [record["message"] for record in records]
    assert "frontend started" in messages
    assert any(record.get("path") == "/api/u1/chat/stream" for record in records)
    assert messages[-2:] == [
        "Application shutdown complete.",
        f"Finished server process [{frontend.process.pid}]",
    ]
