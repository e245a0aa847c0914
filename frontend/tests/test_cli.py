"""`todo-frontend serve`: refuses unsafe configuration in one line, logs JSON, and on SIGTERM
finishes what is in flight before it stops."""

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import StreamingResponse

from testkit import run_service

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
            {"BETTER_AUTH_SECRET": "s" * 40, "BACKEND_URL": "backend:8000"},
            "BACKEND_URL must be an http(s) URL",
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
