"""The counters behind every limit: their count, reset, backoff and memory bound, in memory and
in the PostgreSQL table that every replica shares."""

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from sqlalchemy import text

from todo_backend.data.engine import create_engine
from todo_backend.migrate import apply_migrations
from todo_backend.ratelimit import Counter, RateLimitedError, SharedCounters, WindowCounter

MakeCounter = Callable[..., Counter]


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def shared(postgres_url: str, clock: FakeClock) -> AsyncIterator[SharedCounters]:
    engine = create_engine(postgres_url)
    await apply_migrations(engine)
    try:
        yield SharedCounters(engine, clock=clock)
    finally:
        await engine.dispose()


@pytest.fixture(params=["memory", pytest.param("postgres", marks=pytest.mark.postgres)])
def make_counter(request: pytest.FixtureRequest, clock: FakeClock) -> MakeCounter:
    """A counter of either kind, with its own name so that tests share no row."""

    def in_memory(limit: int, window_seconds: float, *, backoff: bool = False) -> Counter:
        return WindowCounter(limit, window_seconds, backoff, clock=clock)

    if request.param == "memory":
        return in_memory
    shared: SharedCounters = request.getfixturevalue("shared")
    name = uuid.uuid4().hex

    def in_postgres(limit: int, window_seconds: float, *, backoff: bool = False) -> Counter:
        return shared.counter(name, limit, window_seconds, backoff=backoff)

    return in_postgres


async def refused(counter: Counter, key: str) -> int:
    with pytest.raises(RateLimitedError) as error:
        await counter.hit(key)
    return error.value.retry_after


async def test_the_hit_over_the_limit_is_refused_until_the_window_ends(
    make_counter: MakeCounter, clock: FakeClock
) -> None:
    counter = make_counter(2, 60)
    await counter.hit("a")
    await counter.hit("a")
    assert await refused(counter, "a") == 60
    clock.now += 20
    assert await refused(counter, "a") == 40  # a refusal is not counted: the window stays
    await counter.hit("b")  # other keys are independent
    clock.now += 40
    await counter.hit("a")


async def test_a_refund_takes_back_one_hit_and_never_more(make_counter: MakeCounter) -> None:
    counter = make_counter(1, 60)
    await counter.refund("a")  # nothing counted yet: nothing to take back
    await counter.hit("a")
    await counter.refund("a")
    await counter.refund("a")
    await counter.hit("a")
    await refused(counter, "a")


async def test_a_reset_forgets_the_key(make_counter: MakeCounter) -> None:
    counter = make_counter(1, 60)
    await counter.hit("a")
    await counter.reset("a")
    await counter.hit("a")


async def test_past_the_limit_backoff_admits_one_more_after_twice_the_last_wait(
    make_counter: MakeCounter, clock: FakeClock
) -> None:
    counter = make_counter(2, 300, backoff=True)
    await counter.hit("a")
    await counter.hit("a")
    for wait in (2, 4, 8, 16):
        assert await refused(counter, "a") == wait
        clock.now += wait - 1
        assert await refused(counter, "a") == 1
        clock.now += 1
        await counter.hit("a")
    # The wait never outlasts the window: a new window starts free.
    clock.now += 300
    await counter.hit("a")
    await counter.hit("a")


async def test_a_limit_of_zero_is_unlimited(make_counter: MakeCounter) -> None:
    counter = make_counter(0, 60)
    for _ in range(100):
        await counter.hit("a")


async def test_memory_stays_bounded_while_every_entry_is_recent() -> None:
    counter = WindowCounter(limit=5, window_seconds=300, max_keys=1000)
    for n in range(50_000):
        await counter.hit(f"guess {n}")
    assert len(counter) == 1000
    # Each hit stays O(1) however many keys went by: no rebuild of the table.
    started = time.perf_counter()
    for n in range(1000):
        await counter.hit(f"more {n}")
    assert (time.perf_counter() - started) / 1000 < 0.001


async def test_expired_windows_are_dropped(clock: FakeClock) -> None:
    counter = WindowCounter(limit=1, window_seconds=10, clock=clock)
    for n in range(100):
        await counter.hit(str(n))
    clock.now += 10
    await counter.hit("fresh")
    assert len(counter) == 1


async def _rows(shared: SharedCounters, name: str) -> int:
    async with shared.engine.connect() as connection:
        result = await connection.execute(
            text("SELECT count(*) FROM rate_limit_counters WHERE key LIKE :prefix"),
            {"prefix": f"{name}:%"},
        )
        count: int = result.scalar_one()
    return count


@pytest.mark.postgres
async def test_the_table_keeps_only_the_current_windows(
    shared: SharedCounters, clock: FakeClock
) -> None:
    name = uuid.uuid4().hex
    counter = shared.counter(name, 1, 10)
    for n in range(100):
        await counter.hit(str(n))
    assert await _rows(shared, name) == 100
    clock.now += 60  # every window over, and a prune due
    await counter.hit("fresh")
    assert await _rows(shared, name) == 1


@pytest.mark.postgres
async def test_replicas_hitting_at_once_share_one_count(postgres_url: str) -> None:
    """Three processes' worth of engines, 30 hits at once on one key with a limit of 5:
    exactly 5 are admitted, whichever replica they reach."""
    engines = [create_engine(postgres_url) for _ in range(3)]
    await apply_migrations(engines[0])
    name = uuid.uuid4().hex
    counters = [SharedCounters(engine).counter(name, 5, 60) for engine in engines]

    async def attempt(n: int) -> Any:
        try:
            await counters[n % 3].hit("account")
        except RateLimitedError as error:
            return error.retry_after
        return "admitted"

    try:
        outcomes = await asyncio.gather(*(attempt(n) for n in range(30)))
    finally:
        for engine in engines:
            await engine.dispose()
    assert outcomes.count("admitted") == 5
    assert all(
        isinstance(wait, int) and 59 <= wait <= 60 for wait in outcomes if wait != "admitted"
    )
