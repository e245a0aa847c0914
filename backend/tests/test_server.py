"""The real server process: it starts from the console script and stops gracefully on SIGTERM."""

import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx

from backend_testkit import TEST_SECRET
from testkit import refuses_connections, run_service, wait_until


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

        # While stopping, the server accepts no new connections...
        wait_until(
            lambda: refuses_connections(backend.url),
            seconds=10,
            what="the server to stop accepting",
        )
        # ...but the request already in flight completes.
        release_rest.set()
        sender.join(30)
        assert result["response"].status_code == 201
        # uvicorn re-raises the signal after its graceful shutdown, as the shell expects.
        assert backend.process.wait(timeout=30) in (0, -signal.SIGTERM)
        assert "Finished server process" in backend.output()


def test_after_sigterm_a_kept_alive_connection_gets_its_answer_and_then_closes(
    tmp_path: Path,
) -> None:
    """A client that sends on its open connection just as the server stops (the proxy in a
    rolling upgrade) gets its answer, which closes the connection, instead of losing it."""
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/todo.db", "BETTER_AUTH_SECRET": TEST_SECRET}
    with (
        run_service("todo-backend", env, tmp_path / "backend.log") as backend,
        httpx.Client(base_url=backend.url, timeout=10) as client,
    ):
        assert client.get("/api/health/live").headers.get("connection") != "close"
        backend.process.send_signal(signal.SIGTERM)
        wait_until(
            lambda: refuses_connections(backend.url),
            seconds=10,
            what="the server to stop accepting",
        )

        response = client.get("/api/health/live")

        assert response.status_code == 200
        assert response.headers["connection"] == "close"
        assert backend.process.wait(timeout=30) in (0, -signal.SIGTERM)
