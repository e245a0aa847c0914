"""A TCP forwarder in front of a real server (PostgreSQL), to cut the connection and restore it,
as a database restart or a network fault would. Shared by the tests and the benchmarks."""

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any


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
        server, self._server = self._server, None
        if server is not None:
            server.close()
        # Connections first: from Python 3.12 on, wait_closed waits for them to end.
        for writer in list(self._writers):
            writer.close()
        self._writers.clear()
        if server is not None:
            await server.wait_closed()

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


class ThreadedTcpProxy:
    """A TcpProxy on an event loop of its own, in a thread: it keeps forwarding while the
    caller blocks (starting a service process and polling it) or runs its own loop."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self._proxy = TcpProxy(target_host, target_port)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return self._proxy.port

    def _run(self, step: Coroutine[Any, Any, None]) -> None:
        asyncio.run_coroutine_threadsafe(step, self._loop).result(timeout=30)

    def start(self) -> None:
        """Listen (again, on the same port after the first time)."""
        self._run(self._proxy.start())

    def cut(self) -> None:
        self._run(self._proxy.cut())

    def close(self) -> None:
        self.cut()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
