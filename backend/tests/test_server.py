"""The real server process: it starts from the console script and stops gracefully on SIGTERM."""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from backend_testkit import TEST_SECRET


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_until_ready(base_url: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stdout.read() if process.stdout else ""
        try:
            if httpx.get(f"{base_url}/api/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise AssertionError("the server did not become ready within 30 s")


def test_sigterm_lets_an_in_flight_request_finish(tmp_path: Path) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "DATABASE_URL": f"sqlite:///{tmp_path}/todo.db",
        "BETTER_AUTH_SECRET": TEST_SECRET,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "todo_backend.cli", "serve"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_ready(base_url, process)
        first_chunk_sent = threading.Event()
        release_rest = threading.Event()

        def slow_body() -> Iterator[bytes]:
            yield b'{"email": "slow@example.com", '
            first_chunk_sent.set()
            release_rest.wait(10)
            yield b'"password": "slow-but-sure", "name": "Slow"}'

        result: dict[str, httpx.Response] = {}

        def send() -> None:
            result["response"] = httpx.post(
                f"{base_url}/api/auth/sign-up",
                content=slow_body(),
                headers={"content-type": "application/json"},
                timeout=30,
            )

        sender = threading.Thread(target=send)
        sender.start()
        assert first_chunk_sent.wait(10)
        process.send_signal(signal.SIGTERM)
        # While draining, the server accepts no new connections...
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                httpx.get(f"{base_url}/api/health/live", timeout=0.5)
            except httpx.TransportError:
                break
            time.sleep(0.05)
        else:
            raise AssertionError("the server kept accepting new connections after SIGTERM")
        # ...but the request already in flight completes.
        release_rest.set()
        sender.join(30)
        assert result["response"].status_code == 201
        # uvicorn re-raises the signal after its graceful shutdown, as the shell expects.
        assert process.wait(timeout=30) in (0, -signal.SIGTERM)
        assert "Finished server process" in (process.stdout.read() if process.stdout else "")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
