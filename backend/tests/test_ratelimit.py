"""The window counter behind every limit: its count, its reset and its memory bound."""

import time

import pytest

from todo_backend.ratelimit import RateLimitedError, WindowCounter


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_hit_over_the_limit_is_refused_until_the_window_ends() -> None:
    clock = FakeClock()
    counter = WindowCounter(limit=2, window_seconds=60, clock=clock)
    counter.hit("a")
    counter.hit("a")
    with pytest.raises(RateLimitedError) as refused:
        counter.hit("a")
    assert refused.value.retry_after == 60
    counter.hit("b")  # other keys are independent
    clock.now += 60
    counter.hit("a")


def test_a_refund_takes_back_one_hit_and_never_more() -> None:
    counter = WindowCounter(limit=1, window_seconds=60, clock=FakeClock())
    counter.refund("a")  # nothing counted yet: nothing to take back
    counter.hit("a")
    counter.refund("a")
    counter.refund("a")
    counter.hit("a")
    with pytest.raises(RateLimitedError):
        counter.hit("a")


def test_memory_stays_bounded_while_every_entry_is_recent() -> None:
    counter = WindowCounter(limit=5, window_seconds=300, max_keys=1000)
    for n in range(50_000):
        counter.hit(("guess", n))
    assert len(counter) == 1000
    # Each hit stays O(1) however many keys went by: no rebuild of the table.
    started = time.perf_counter()
    for n in range(1000):
        counter.hit(("more", n))
    assert (time.perf_counter() - started) / 1000 < 0.001


def test_expired_windows_are_dropped() -> None:
    clock = FakeClock()
    counter = WindowCounter(limit=1, window_seconds=10, clock=clock)
    for n in range(100):
        counter.hit(n)
    clock.now += 10
    counter.hit("fresh")
    assert len(counter) == 1


def test_a_limit_of_zero_is_unlimited() -> None:
    counter = WindowCounter(limit=0, window_seconds=60)
    for _ in range(100):
        counter.hit("a")
    assert len(counter) == 0
