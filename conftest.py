"""Repository-wide pytest helpers shared by the backend, frontend and repository tests."""

import inspect
import os
from collections.abc import Callable, Iterator
from typing import NoReturn

import asyncpg
import pytest

from testkit import create_database, drop_database, run_admin_sql


def _unavailable(reason: str) -> NoReturn:
    """Skip a test whose real dependency is missing, except in CI, where that is a failure."""
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(f"{reason} (CI must provide it)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def unavailable() -> Callable[[str], NoReturn]:
    """`unavailable("no Docker engine")`: skip outside CI, fail in CI."""
    return _unavailable


@pytest.fixture(scope="session")
def postgres_admin_url(unavailable: Callable[[str], NoReturn]) -> str:
    """TEST_DATABASE_URL: a PostgreSQL role that may create databases."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        unavailable("TEST_DATABASE_URL is not set: no PostgreSQL to test against")
    try:
        run_admin_sql(url, "SELECT 1")
    except (OSError, asyncpg.PostgresError) as error:
        unavailable(f"PostgreSQL at TEST_DATABASE_URL does not answer: {error}")
    return url


@pytest.fixture(scope="session")
def postgres_url(postgres_admin_url: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this test session, dropped afterwards."""
    url = create_database(postgres_admin_url)
    yield url
    drop_database(postgres_admin_url, url)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makeitem(collector: pytest.Collector, name: str, obj: object) -> None:
    """Run every `async def` test on anyio's asyncio backend without marking each one.

    It has to happen before anyio's own collection hook, which looks for the mark."""
    if (
        isinstance(collector, pytest.Module | pytest.Class)
        and collector.istestfunction(obj, name)
        and inspect.iscoroutinefunction(obj)
    ):
        pytest.mark.anyio(obj)
