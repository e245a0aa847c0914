"""What the abuse limits cost, with them on: a sign-in (counted per address, overall, and as a
possible failure per (email, address) and per email) and a chat turn (counted per user per
minute and per day), on PostgreSQL, one request at a time over a kept-alive connection.

With BENCH_BASELINE=<git revision> the backend as it was at that revision runs too, on a
database of its own, in alternating rounds: `make bench BENCH_BASELINE=<rev before the shared
counters>` shows what counting in the table every replica shares costs against counting in
the process's memory. The limits are set far above what the benchmark sends, so every request
is counted and none refused."""

import os
import statistics
import time
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field

import httpx

from benchkit import (
    CodeTree,
    Server,
    backend_server,
    codes_to_measure,
    temporary_database,
    user_with_tasks,
)

ROUNDS = max(1, int(os.environ.get("BENCH_ALTERNATIONS", "3")))
SIGN_INS_PER_ROUND = 30
TURNS_PER_ROUND = 150
PASSWORD = "bench-password"
UNREACHED = "1000000"
LIMITS_ON = {
    "RATE_LIMITS": "on",
    "SIGN_UP_PER_ADDRESS_PER_HOUR": UNREACHED,
    "SIGN_IN_PER_ADDRESS_PER_MINUTE": UNREACHED,
    "AUTH_REQUESTS_PER_MINUTE": UNREACHED,
    "CHAT_TURNS_PER_MINUTE": UNREACHED,
    "CHAT_TURNS_PER_DAY": UNREACHED,
    "MAX_MESSAGES_PER_CONVERSATION": UNREACHED,
}


@dataclass
class Samples:
    latencies: list[float] = field(default_factory=list)
    cpu_seconds: float = 0.0
    requests: int = 0

    def add(self, server: Server, count: int, request: Callable[[], None]) -> None:
        cpu_before = server.cpu_seconds()
        for _ in range(count):
            started = time.perf_counter()
            request()
            self.latencies.append(time.perf_counter() - started)
        self.cpu_seconds += server.cpu_seconds() - cpu_before
        self.requests += count

    @property
    def median_ms(self) -> float:
        return statistics.median(self.latencies) * 1000

    @property
    def cpu_ms(self) -> float:
        return self.cpu_seconds / self.requests * 1000


@dataclass
class Target:
    code: CodeTree
    server: Server
    http: httpx.Client
    email: str
    user_id: str
    token: str
    conversation_id: int
    sign_ins: Samples = field(default_factory=Samples)
    turns: Samples = field(default_factory=Samples)

    def sign_in(self) -> None:
        answer = self.http.post(
            "/api/auth/sign-in", json={"email": self.email, "password": PASSWORD}
        )
        assert answer.status_code == 200, answer.text

    def turn(self) -> None:
        answer = self.http.post(
            f"/api/{self.user_id}/chat",
            json={"message": "Show my tasks", "conversation_id": self.conversation_id},
            headers={"Authorization": f"Bearer {self.token}"},
        )
        assert answer.status_code == 200, answer.text


def _target(stack: ExitStack, code: CodeTree) -> Target:
    database = stack.enter_context(temporary_database())
    server = stack.enter_context(backend_server(database, code=code, **LIMITS_ON))
    http = stack.enter_context(httpx.Client(base_url=server.url, timeout=60))
    email = f"bench-{uuid.uuid4().hex[:8]}@example.com"
    signed_up = http.post(
        "/api/auth/sign-up", json={"email": email, "password": PASSWORD, "name": "Bench"}
    )
    assert signed_up.status_code == 201, signed_up.text
    tasks_user, tasks_token = user_with_tasks(server.url, 10)
    first = http.post(
        f"/api/{tasks_user}/chat",
        json={"message": "Show my tasks"},
        headers={"Authorization": f"Bearer {tasks_token}"},
    ).json()
    return Target(code, server, http, email, tasks_user, tasks_token, int(first["conversation_id"]))


def main() -> None:
    with ExitStack() as stack:
        targets = [_target(stack, code) for code in codes_to_measure(stack)]
        for _ in range(ROUNDS):
            for target in targets:
                target.sign_ins.add(target.server, SIGN_INS_PER_ROUND, target.sign_in)
                target.turns.add(target.server, TURNS_PER_ROUND, target.turn)
        print(f"{'code':<24} {'request':<10} {'median ms':>10} {'server CPU ms':>14}")
        for target in targets:
            for name, samples in (("sign-in", target.sign_ins), ("chat turn", target.turns)):
                print(
                    f"{target.code.label:<24} {name:<10} {samples.median_ms:>10.2f}"
                    f" {samples.cpu_ms:>14.2f}"
                )
        if len(targets) == 2:
            current, baseline = targets
            for name in ("sign-in", "chat turn"):
                now, before = (
                    (t.sign_ins if name == "sign-in" else t.turns) for t in (current, baseline)
                )
                print(
                    f"{name}: median x{now.median_ms / before.median_ms:.2f},"
                    f" server CPU x{now.cpu_ms / before.cpu_ms:.2f} (this tree / baseline)"
                )


if __name__ == "__main__":
    main()
