"""Fixed-window request counters with a hard memory bound, kept in this process's memory.

Every limit in the backend (sign-up and sign-in per address and overall, failed sign-ins per
account and address, chat turns per user) is one `WindowCounter`. It counts an attempt *before*
the work it guards, so parallel requests cannot all slip past the check while the first ones
are still running. Its memory is bounded by `max_keys` whatever the traffic: expired windows
are dropped from the front in O(1) per call, and when every entry is still recent the oldest
window is evicted (a client that floods us with fresh keys forgets old ones, never grows us).

With N replicas each process counts on its own, so a client can reach up to N times a limit;
the README's Security section says so.
"""

import math
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field


class RateLimitedError(Exception):
    """The caller is over a limit; `retry_after` is the whole seconds until it may try again."""

    def __init__(self, retry_after: int, what: str) -> None:
        super().__init__(what)
        self.retry_after = retry_after
        self.what = what


@dataclass
class _Window:
    started: float
    count: int


@dataclass
class WindowCounter:
    """At most `limit` hits per key in each `window_seconds`; `limit <= 0` means unlimited."""

    limit: int
    window_seconds: float
    max_keys: int = 100_000
    clock: Callable[[], float] = time.monotonic
    _windows: OrderedDict[Hashable, _Window] = field(default_factory=OrderedDict)

    def hit(self, key: Hashable, *, what: str = "Too many requests") -> None:
        """Count one attempt for `key`; raise `RateLimitedError` when it is over the limit.

        An attempt over the limit is not counted, so waiting `retry_after` always helps."""
        if self.limit <= 0:
            return
        now = self.clock()
        self._drop_expired(now)
        window = self._windows.get(key)
        if window is None:
            window = _Window(started=now, count=0)
            self._windows[key] = window
            while len(self._windows) > self.max_keys:
                self._windows.popitem(last=False)
        if window.count >= self.limit:
            wait = window.started + self.window_seconds - now
            raise RateLimitedError(max(1, math.ceil(wait)), what)
        window.count += 1

    def refund(self, key: Hashable) -> None:
        """Take back one attempt counted for `key` that turned out not to be its holder's (a
        chat turn sent with a revoked token)."""
        window = self._windows.get(key)
        if window is not None and window.count > 0:
            window.count -= 1

    def reset(self, key: Hashable) -> None:
        """Forget `key`'s attempts (a correct password ends the run of failures)."""
        self._windows.pop(key, None)

    def __len__(self) -> int:
        return len(self._windows)

    def _drop_expired(self, now: float) -> None:
        # Windows are created in time order and never moved, so the expired ones are in front.
        while self._windows:
            oldest = next(iter(self._windows.values()))
            if oldest.started + self.window_seconds > now:
                return
            self._windows.popitem(last=False)
