"""Repository-wide pytest helpers shared by the backend, frontend and repository tests."""

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
