"""The short form of bench/crash_bench.py: kill -9 during load loses nothing. Every write the
client saw acknowledged (2xx) is in the database after a restart, and no create the client saw
refused is; the users carry on against the restarted backend. The figures are printed (pytest -s
shows them)."""

import asyncio

import pytest
from crash_bench import run_crash

pytestmark = pytest.mark.postgres


def test_kill_9_under_load_loses_no_acknowledged_write(fresh_postgres_url: str) -> None:
    report = asyncio.run(run_crash(fresh_postgres_url, users=10, seconds=8, kill_at=3))
    print(report.summary())
    assert report.acknowledged_before_kill > 0, "the kill must come during the load"
    assert report.log.acknowledged > report.acknowledged_before_kill, "served again after it"
    assert report.lost == []
    assert report.phantoms == []
