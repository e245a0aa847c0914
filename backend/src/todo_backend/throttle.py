"""Slows down password guessing: too many failed sign-ins for one account answer 429."""

import math
import time
from collections import deque
from dataclasses import dataclass, field


@dataclass
class SignInThrottle:
    """Per-account sliding window of failed attempts, kept in this process's memory.

    With several replicas each keeps its own window, so the effective limit is
    `max_failures * replicas`; still a hard brake on guessing.
    """

    max_failures: int = 5
    window_seconds: float = 300.0
    _failures: dict[str, deque[float]] = field(default_factory=dict)

    def retry_after(self, account: str) -> int:
        """Seconds until the next attempt is allowed; 0 when it is allowed now."""
        failures = self._recent(account, time.monotonic())
        if len(failures) < self.max_failures:
            return 0
        wait = failures[0] + self.window_seconds - time.monotonic()
        return max(1, math.ceil(wait))

    def record_failure(self, account: str) -> None:
        now = time.monotonic()
        self._recent(account, now).append(now)
        if len(self._failures) > 10_000:  # bound the memory an attacker can make us use
            self._failures = {k: v for k, v in self._failures.items() if self._recent(k, now)}

    def reset(self, account: str) -> None:
        self._failures.pop(account, None)

    def _recent(self, account: str, now: float) -> deque[float]:
        failures = self._failures.setdefault(account, deque())
        while failures and failures[0] <= now - self.window_seconds:
            failures.popleft()
        return failures
