"""Repository-wide pytest helpers shared by the backend, frontend and repository tests."""

import inspect
import os
from collections.abc import Callable
from typing import NoReturn

import pytest


def _unavailable(reason: str) -> NoReturn:
    """Skip a test whose real dependency is missing, except in CI, where that is a failure."""
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(f"{reason} (CI must provide it)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def unavailable() -> Callable[[str], NoReturn]:
    """`unavailable("no Docker engine")`: skip outside CI, fail in CI."""
    return _unavailable


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
