"""SIGTERM under load: a graceful stop cuts no answer short. Simulated users list, create and
delete tasks and chat over the streamed endpoint; midway the backend gets SIGTERM. Then:
- every response that had begun arrives whole (a chat stream ends with its `done` event);
- requests after the signal are refused at connect, not reset mid-response;
- the process exits within its grace period.

A request that meets the closing server before any byte of its answer gets no response at all:
sent on a kept-alive connection just as the server closes it, or waiting in the listening
socket's queue when it closes (the kernel resets those). HTTP/1.1 allows that race and clients
retry such requests; in the cluster the pod's preStop delay keeps traffic away from a stopping
server. It is counted apart from a cut, which is an answer that began and did not end.

`make bench` runs the full form (50 users, SIGTERM after 20 s) and prints the figures;
backend/tests/test_graceful_stop.py runs a short one."""

import asyncio
import signal
import time
from dataclasses import dataclass, field

import httpx

from benchkit import (
    SERVE_BACKEND,
    backend_env,
    free_port,
    start_process,
    temporary_database,
    wait_ready,
)

GRACE_SECONDS = 20.0  # the serve command's timeout_graceful_shutdown
CLIENT_TIMEOUT = 30.0


@dataclass
class StopReport:
    signalled_at: float = 0.0
    exited_after: float = 0.0  # seconds from SIGTERM to the process's exit
    exit_code: int | None = None
    whole: int = 0  # answers received in full
    whole_after_signal: int = 0  # of those, requests sent after SIGTERM
    streams_in_flight: int = 0  # chat streams open when SIGTERM came; all ended with `done`
    refused: int = 0  # connections refused after SIGTERM
    unanswered: int = 0  # closed or reset before any byte of an answer
    cut: list[str] = field(default_factory=list)  # responses that began and did not end

    def summary(self) -> str:
        return (
            f"{self.whole} answers whole ({self.whole_after_signal} to requests sent after "
            f"SIGTERM), {self.streams_in_flight} chat streams in flight at SIGTERM all ended "
            f"with done; {self.refused} connections refused, {self.unanswered} requests closed "
            f"or reset before an answer began; {len(self.cut)} answers cut short\n"
            f"exited {self.exited_after:.1f} s after SIGTERM (grace {GRACE_SECONDS:.0f} s), "
            f"exit status {self.exit_code}"
        )


class _User:
    """One user: lists, creates, deletes and chats (streamed) until the backend is gone."""

    def __init__(self, client: httpx.AsyncClient, report: StopReport, number: int) -> None:
        self.client = client
        self.report = report
        self.number = number
        self.path = ""
        self.headers: dict[str, str] = {}

    async def sign_up(self) -> None:
        body = {"email": f"stop-{self.number}-{time.time_ns()}@example.com", "password": "p4ss-wd1"}
        answer = await self.client.post("/api/auth/sign-up", json={**body, "name": "S"})
        answer.raise_for_status()
        self.path = f"/api/{answer.json()['user']['id']}"
        self.headers = {"Authorization": f"Bearer {answer.json()['token']}"}

    async def request(self, method: str, path: str, body: object = None) -> bool:
        """One request, classified; False once the backend refuses connections."""
        started = time.monotonic()
        try:
            async with self.client.stream(
                method, self.path + path, json=body, headers=self.headers
            ) as response:
                try:
                    content = await response.aread()
                except httpx.HTTPError as error:
                    self.report.cut.append(f"{method} {path}: {type(error).__name__}")
                    return True
        except httpx.ConnectError:
            self.report.refused += 1
            return False
        except (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError):
            self.report.unanswered += 1
            return True
        self._whole(started, path, content)
        return True

    def _whole(self, started: float, path: str, content: bytes) -> None:
        report = self.report
        after_signal = bool(report.signalled_at) and started > report.signalled_at
        if path.endswith("/stream"):
            if b"event: done" not in content:
                report.cut.append(f"chat stream without done: {content[-120:]!r}")
                return
            if report.signalled_at and started < report.signalled_at:
                report.streams_in_flight += 1
        report.whole += 1
        report.whole_after_signal += after_signal

    async def run(self) -> None:
        while (
            await self.request("GET", "/tasks")
            and await self.request("POST", "/tasks", {"title": "Stop test task"})
            and await self.request("POST", "/chat/stream", {"message": "what's pending?"})
        ):
            pass


async def run_stop(database_url: str, *, users: int, stop_at: float) -> StopReport:
    """`users` users working until SIGTERM at `stop_at` seconds stops the backend."""
    port = free_port()
    env = {**backend_env(database_url), "LOG_LEVEL": "warning"}
    process = start_process(SERVE_BACKEND, env, port)
    report = StopReport()
    try:
        base_url = f"http://127.0.0.1:{port}"
        await asyncio.to_thread(wait_ready, process, base_url)
        async with httpx.AsyncClient(base_url=base_url, timeout=CLIENT_TIMEOUT) as client:
            people = [_User(client, report, number) for number in range(users)]
            for person in people:  # one at a time: password hashing is slow on purpose
                await person.sign_up()
            load = [asyncio.create_task(person.run()) for person in people]
            await asyncio.sleep(stop_at)  # the signal is scheduled, not awaited on a condition
            report.signalled_at = time.monotonic()
            process.send_signal(signal.SIGTERM)
            report.exit_code = await asyncio.to_thread(process.wait, GRACE_SECONDS + 10)
            report.exited_after = time.monotonic() - report.signalled_at
            await asyncio.gather(*load)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    return report


def main() -> None:
    with temporary_database() as database_url:
        report = asyncio.run(run_stop(database_url, users=50, stop_at=20))
    print("SIGTERM under load, 50 users, after 20 s")
    print(report.summary())
    for problem in report.cut[:10]:
        print("  cut short:", problem)


if __name__ == "__main__":
    main()
