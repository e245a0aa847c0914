"""The real server process: it starts from the console script and stops gracefully on SIGTERM."""

import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx

from backend_testkit import TEST_SECRET
from testkit import run_service, wait_until


def test_sigterm_lets_an_in_flight_request_finish(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/todo.db", "BETTER_AUTH_SECRET": TEST_SECRET}
    with run_service("todo-backend", env, tmp_path / "backend.log") as backend:
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
                f"{backend.url}/api/auth/sign-up",
                content=slow_body(),
                headers={"content-type": "application/json"},
                timeout=30,
            )

        sender = threading.Thread(target=send)
        sender.start()
        assert first_chunk_sent.wait(10)
        backend.process.send_signal(signal.SIGTERM)

        # While draining, the server accepts no new connections...
        def refuses_connections() -> bool:
            try:
                httpx.get(f"{backend.url}/api/health/live", timeout=0.5)
            except httpx.TransportError:
                return True
            return False

        wait_until(refuses_connections, seconds=10, what="the server to stop accepting")
        # ...but the request already in flight completes.
        release_rest.set()
        sender.join(30)
        assert result["response"].status_code == 201
        # uvicorn re-raises the signal after its graceful shutdown, as the shell expects.
        assert backend.process.wait(timeout=30) in (0, -signal.SIGTERM)
        assert "Finished server process" in backend.output()
