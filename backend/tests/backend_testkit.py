"""Shared pieces of the backend tests (importable: backend/tests is on pytest's pythonpath)."""

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx

from todo_backend.settings import Settings

TEST_SECRET = "test-secret-0123456789abcdef0123456789abcdef"


def make_settings(database_url: str, **overrides: Any) -> Settings:
    """Settings for a test, independent of the developer's environment and .env."""
    values: dict[str, Any] = {
        "database_url": database_url,
        "better_auth_secret": TEST_SECRET,
        "agent_provider": "builtin",
        "local_mode": False,
        # Tests sign up many users from one address; the tests of the limits turn them on.
        "rate_limits": "off",
        # An app served in-process has one port: /metrics is on it.
        "metrics_port": 0,
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@dataclass(frozen=True)
class Account:
    id: str
    email: str
    password: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


SignUp = Callable[..., Awaitable[Account]]


class TcpProxy:
    """A TCP forwarder in front of a real server, to cut the connection and restore it.

    Cutting closes the listener and every open connection, as a database restart would."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target_host = target_host
        self.target_port = target_port
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in list(self._writers):
            writer.close()
        self._writers.clear()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(
                self.target_host, self.target_port
            )
        except OSError:
            writer.close()
            return
        self._writers.update({writer, upstream_writer})

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            try:
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                sink.close()

        await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))


SseEvent = tuple[str, dict[str, Any]]


async def stream_chat(client: httpx.AsyncClient, account: Account, message: str) -> list[SseEvent]:
    """A message to /chat/stream; returns its server-sent events as (name, data) pairs."""
    async with client.stream(
        "POST",
        f"/api/{account.id}/chat/stream",
        json={"message": message},
        headers=account.headers,
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        raw = (await response.aread()).decode()
    events = []
    for block in raw.strip().split("\n\n"):
        name_line, data_line = block.split("\n")
        events.append(
            (name_line.removeprefix("event: "), json.loads(data_line.removeprefix("data: ")))
        )
    return events
