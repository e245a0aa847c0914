"""A small keep-alive HTTP/1.1 load generator on asyncio streams.

It is deliberately lean: on a 2-core machine the load generator competes with the server,
and a heavy client (httpx) would measure itself more than the service."""

import asyncio
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

RequestFactory = Callable[[int], tuple[str, str, bytes]]  # n -> (method, path, body)
HeadersFactory = Callable[[int], dict[str, str]]  # n -> the headers of request n


@dataclass
class LoadResult:
    name: str
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0

    @property
    def requests_per_second(self) -> float:
        return len(self.latencies_ms) / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]

    def summary(self) -> str:
        return (
            f"{self.name:<34} {len(self.latencies_ms):>6} req"
            f"  {self.requests_per_second:>7.1f} req/s"
            f"  p50 {self.percentile(50):6.1f} ms  p99 {self.percentile(99):6.1f} ms"
            f"  mean {statistics.fmean(self.latencies_ms or [0]):6.1f} ms  errors {self.errors}"
        )


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.lower() == "content-length":
            length = int(value)
    body = await reader.readexactly(length) if length else b""
    return status, body


async def _worker(
    base_url: str,
    headers: dict[str, str],
    make_request: RequestFactory,
    counter: list[int],
    deadline: float,
    result: LoadResult,
    expected_status: int,
    headers_for: HeadersFactory | None,
) -> None:
    parts = urlsplit(base_url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    header_text = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    try:
        while time.perf_counter() < deadline:
            counter[0] += 1
            method, path, body = make_request(counter[0])
            if headers_for is not None:
                header_text = "".join(
                    f"{k}: {v}\r\n" for k, v in {**headers, **headers_for(counter[0])}.items()
                )
            request = (
                f"{method} {path} HTTP/1.1\r\nHost: {parts.netloc}\r\n{header_text}"
                f"Content-Length: {len(body)}\r\nContent-Type: application/json\r\n\r\n"
            ).encode() + body
            started = time.perf_counter()
            writer.write(request)
            status, _ = await _read_response(reader)
            elapsed = (time.perf_counter() - started) * 1000
            if status == expected_status:
                result.latencies_ms.append(elapsed)
            else:
                result.errors += 1
    finally:
        writer.close()


async def run_load(
    name: str,
    base_url: str,
    make_request: RequestFactory,
    *,
    headers: dict[str, str],
    concurrency: int,
    seconds: float,
    expected_status: int = 200,
    headers_for: HeadersFactory | None = None,
) -> LoadResult:
    """`concurrency` keep-alive connections, each sending its next request as soon as the last
    is answered, for `seconds`; `headers_for(n)` adds headers of request n's own."""
    result = LoadResult(name=name)
    counter = [0]
    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(
        *(
            _worker(
                base_url,
                headers,
                make_request,
                counter,
                deadline,
                result,
                expected_status,
                headers_for,
            )
            for _ in range(concurrency)
        )
    )
    result.seconds = time.perf_counter() - started
    return result
