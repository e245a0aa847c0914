"""Fixed-window request counters: in this process's memory (SQLite, one process), or in a
PostgreSQL table that every replica shares.

Every limit in the backend (sign-up and sign-in per address and overall, failed sign-ins per
account and address and per account, chat turns per user, MCP requests per token) is one
`Counter`. It counts an attempt *before* the work it guards, so parallel requests cannot all
slip past the check while the first ones are still running. An attempt over the limit is not
counted, so waiting `retry_after` always helps.

A window starts at a key's first hit and lasts `window_seconds`. Past its limit a key is
refused until its window ends, or, for a counter with `backoff`, admitted once more each time
twice as long as before has passed since its last hit (2, 4, 8... seconds): guessing stays
possible for the owner, and slow for everyone.

- `WindowCounter` keeps the windows in memory, bounded by `max_keys` whatever the traffic:
  expired windows are dropped from the front in O(1) per call, and when every entry is still
  recent the oldest window is evicted (a client that floods us with fresh keys forgets old
  ones, never grows us).
- `SharedCounter` keeps them in the UNLOGGED table `rate_limit_counters`, one row per key:
  one upsert per hit, which both checks and counts (the row's lock orders concurrent hits from
  every replica), and expired rows are deleted once a minute by each process, so the table
  holds only the keys of the current windows. UNLOGGED: no write-ahead log for counters; a
  database crash empties the table, which only forgives some attempts.
"""

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy import Boolean, Float, Integer, String, bindparam, text
from sqlalchemy.ext.asyncio import AsyncEngine

from todo_backend.data.engine import run

PRUNE_INTERVAL_SECONDS = 60.0


class RateLimitedError(Exception):
    """The caller is over a limit; `retry_after` is the whole seconds until it may try again."""

    def __init__(self, retry_after: int, what: str) -> None:
        super().__init__(what)
        self.retry_after = retry_after
        self.what = what


class Counter(Protocol):
    async def hit(self, key: str, *, what: str = "Too many requests") -> None:
        """Count one attempt for `key`; raise `RateLimitedError` when it is over the limit."""

    async def refund(self, key: str) -> None:
        """Take back one attempt counted for `key` that turned out not to be its holder's (a
        chat turn sent with a revoked token)."""

    async def reset(self, key: str) -> None:
        """Forget `key`'s attempts (a correct password ends the run of failures)."""


def seconds_to_wait(
    *, limit: int, backoff: bool, hits: int, window_end: float, last_hit: float, now: float
) -> float:
    """How long until a key with `hits` in a window ending at `window_end` may hit again."""
    if window_end <= now or hits < limit:
        return 0.0
    if backoff:
        return max(0.0, min(window_end, last_hit + 2.0 ** (hits - limit + 1)) - now)
    return window_end - now


def _refused(wait: float, what: str) -> RateLimitedError:
    return RateLimitedError(max(1, math.ceil(wait)), what)


@dataclass
class _Window:
    started: float
    count: int
    last_hit: float


@dataclass
class WindowCounter:
    """At most `limit` hits per key in each `window_seconds` (`limit <= 0`: unlimited), in this
    process's memory."""

    limit: int
    window_seconds: float
    backoff: bool = False
    max_keys: int = 100_000
    clock: Callable[[], float] = time.monotonic
    _windows: OrderedDict[str, _Window] = field(default_factory=OrderedDict)

    async def hit(self, key: str, *, what: str = "Too many requests") -> None:
        if self.limit <= 0:
            return
        now = self.clock()
        self._drop_expired(now)
        window = self._windows.get(key)
        if window is None:
            window = _Window(started=now, count=0, last_hit=now)
            self._windows[key] = window
            while len(self._windows) > self.max_keys:
                self._windows.popitem(last=False)
        wait = seconds_to_wait(
            limit=self.limit,
            backoff=self.backoff,
            hits=window.count,
            window_end=window.started + self.window_seconds,
            last_hit=window.last_hit,
            now=now,
        )
        if wait > 0:
            raise _refused(wait, what)
        window.count += 1
        window.last_hit = now

    async def refund(self, key: str) -> None:
        window = self._windows.get(key)
        if window is not None and window.count > 0:
            window.count -= 1

    async def reset(self, key: str) -> None:
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


# One statement per hit: a new key gets a row; an expired window starts again at 1; a window
# with room (or, with backoff, whose wait is over) counts one more. Otherwise nothing is
# written and nothing returned: the hit is refused.
_HIT = text(
    """
    INSERT INTO rate_limit_counters AS c (key, hits, window_end, last_hit)
    VALUES (:key, 1, :now + :window, :now)
    ON CONFLICT (key) DO UPDATE SET
        hits = CASE WHEN c.window_end <= :now THEN 1 ELSE c.hits + 1 END,
        window_end = CASE WHEN c.window_end <= :now THEN :now + :window ELSE c.window_end END,
        last_hit = :now
    WHERE c.window_end <= :now OR c.hits < :limit
       OR (:backoff AND :now >= c.last_hit + power(2, c.hits - :limit + 1))
    RETURNING c.hits
    """
).bindparams(
    bindparam("key", type_=String),
    bindparam("now", type_=Float),
    bindparam("window", type_=Float),
    bindparam("limit", type_=Integer),
    bindparam("backoff", type_=Boolean),
)
_STATE = text(
    "SELECT hits, window_end, last_hit FROM rate_limit_counters WHERE key = :key"
).bindparams(bindparam("key", type_=String))
_REFUND = text(
    "UPDATE rate_limit_counters SET hits = hits - 1 WHERE key = :key AND hits > 0"
).bindparams(bindparam("key", type_=String))
_RESET = text("DELETE FROM rate_limit_counters WHERE key = :key").bindparams(
    bindparam("key", type_=String)
)
_PRUNE = text("DELETE FROM rate_limit_counters WHERE window_end <= :now").bindparams(
    bindparam("now", type_=Float)
)


class SharedCounters:
    """The PostgreSQL table behind every `SharedCounter` of an app: each statement runs on
    its own (autocommit, straight through asyncpg: `data.engine.run`), so it holds its row's
    lock only while it runs, and costs one round trip."""

    def __init__(self, engine: AsyncEngine, clock: Callable[[], float] = time.time) -> None:
        # Wall-clock time: the replicas' clocks agree (NTP), their monotonic clocks do not.
        self.engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        self.clock = clock
        self._next_prune = 0.0

    def counter(
        self, name: str, limit: int, window_seconds: float, *, backoff: bool = False
    ) -> "SharedCounter":
        return SharedCounter(self, name, limit, window_seconds, backoff)

    async def prune_if_due(self, now: float) -> None:
        """Delete the rows of ended windows, at most once a PRUNE_INTERVAL_SECONDS."""
        if now < self._next_prune:
            return
        self._next_prune = now + PRUNE_INTERVAL_SECONDS
        async with self.engine.connect() as connection:
            await run(connection, _PRUNE, {"now": now})


@dataclass
class SharedCounter:
    """`WindowCounter`'s rule, counted in the table all replicas share."""

    counters: SharedCounters
    name: str
    limit: int
    window_seconds: float
    backoff: bool = False

    def _key(self, key: str) -> str:
        return f"{self.name}:{key}"

    async def hit(self, key: str, *, what: str = "Too many requests") -> None:
        if self.limit <= 0:
            return
        now = self.counters.clock()
        await self.counters.prune_if_due(now)
        params = {
            "key": self._key(key),
            "now": now,
            "window": self.window_seconds,
            "limit": self.limit,
            "backoff": self.backoff,
        }
        async with self.counters.engine.connect() as connection:
            if await run(connection, _HIT, params):
                return
            state = await run(connection, _STATE, {"key": params["key"]})
        wait = self.window_seconds
        if state:
            row = state[0]
            wait = seconds_to_wait(
                limit=self.limit,
                backoff=self.backoff,
                hits=row["hits"],
                window_end=row["window_end"],
                last_hit=row["last_hit"],
                now=now,
            )
        raise _refused(wait, what)

    async def refund(self, key: str) -> None:
        async with self.counters.engine.connect() as connection:
            await run(connection, _REFUND, {"key": self._key(key)})

    async def reset(self, key: str) -> None:
        async with self.counters.engine.connect() as connection:
            await run(connection, _RESET, {"key": self._key(key)})
