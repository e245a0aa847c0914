"""SIGTERM while a chat stream is open: the process stops taking connections (refused, not
reset), lets the open stream finish with `done`, and exits within its grace period. Under load
too: the short form of bench/stop_bench.py."""

import asyncio
import signal
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from openai_test_server import OpenAITestServer, Reply
from stop_bench import run_stop

from backend_testkit import TEST_SECRET
from testkit import refuses_connections, run_service, wait_until

GRACE_SECONDS = 20  # the serve command's timeout_graceful_shutdown
MODEL_PAUSE = 3.0  # seconds the model takes to answer: the stream is open that long


def slow_answer(body: dict[str, Any]) -> Reply:
    return Reply(text="Still here.", stall_seconds=MODEL_PAUSE)


def test_sigterm_finishes_the_open_stream_refuses_new_connections_and_exits(
    tmp_path: Path,
) -> None:
    llm = OpenAITestServer(slow_answer)
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path}/todo.db",
        "BETTER_AUTH_SECRET": TEST_SECRET,
        "OPENAI_BASE_URL": "",  # set below, once the model server has its port
        "OPENAI_API_KEY": "test-key",
        "OPENAI_MODEL": "test-model",
    }
    with llm.running():
        env["OPENAI_BASE_URL"] = llm.base_url
        with run_service("todo-backend", env, tmp_path / "backend.log") as backend:
            signed = httpx.post(
                f"{backend.url}/api/auth/sign-up",
                json={"email": "stop@example.com", "password": "stop-pass-1", "name": "S"},
            ).json()
            headers = {"Authorization": f"Bearer {signed['token']}"}
            with httpx.stream(
                "POST",
                f"{backend.url}/api/{signed['user']['id']}/chat/stream",
                json={"message": "are you there?"},
                headers=headers,
                timeout=30,
            ) as response:
                lines = response.iter_lines()
                assert next(lines) == "event: conversation"
                backend.process.send_signal(signal.SIGTERM)
                stopped_at = time.monotonic()
                wait_until(
                    lambda: refuses_connections(backend.url),
                    seconds=MODEL_PAUSE,
                    what="new connections to be refused",
                )
                rest = list(lines)
            assert "event: done" in rest, rest
            assert rest[-2] == 'data: {"conversation_id":1,"response":"Still here."}', rest
            backend.process.wait(timeout=GRACE_SECONDS)
            assert time.monotonic() - stopped_at < GRACE_SECONDS
            # uvicorn shuts down cleanly, then re-raises the signal: exit status SIGTERM (143).
            assert backend.process.returncode in {0, -signal.SIGTERM}
            assert "Application shutdown complete." in backend.output()


@pytest.mark.postgres
def test_sigterm_under_load_cuts_no_answer_short(fresh_postgres_url: str) -> None:
    report = asyncio.run(run_stop(fresh_postgres_url, users=10, stop_at=3))
    print(report.summary())
    assert report.cut == []
    assert report.refused > 0, "connections after the stop must be refused"
    assert report.whole > 0
    assert report.exited_after < GRACE_SECONDS
    assert report.exit_code in {0, -signal.SIGTERM}
