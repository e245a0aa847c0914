"""The short form of bench/fault_bench.py: users keep working while PostgreSQL is cut for a few
seconds. Outside the outage nothing fails; inside it only fast 503s with Retry-After; after it
the same backend process serves again. The figures are printed (pytest -s shows them)."""

import asyncio

import pytest
from fault_bench import CLIENT_TIMEOUT, backend_behind_a_proxy, run_fault_load

pytestmark = pytest.mark.postgres


def test_load_through_a_database_outage(fresh_postgres_url: str) -> None:
    with backend_behind_a_proxy(fresh_postgres_url) as (base_url, proxy):
        report = asyncio.run(run_fault_load(base_url, proxy, users=10, seconds=10, outage=3))
    print(report.summary())
    for outcome in [*report.errors_outside, *report.wrong_inside][:5]:
        print(f"failed {outcome.started - report.restored_at:+.2f} s after the restore:", outcome)
    assert report.errors_outside == []
    assert report.wrong_inside == []
    assert report.unavailable > 0, "the outage must have been felt"
    assert max(o.seconds for o in report.outcomes) < CLIENT_TIMEOUT
    assert report.successes_after > 0, "the backend must serve again without a restart"
