"""Both services as real processes (`todo-backend serve`, `todo-frontend serve`) on one
PostgreSQL database: the stack the browser tests drive."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from testkit import backend_test_env, frontend_test_env, run_service


@dataclass(frozen=True)
class Stack:
    frontend_url: str
    backend_url: str


@contextmanager
def running_stack(
    postgres_url: str, logs: Path, backend_settings: dict[str, str] | None = None
) -> Iterator[Stack]:
    """The backend (built-in agent, with `backend_settings` on top) and the frontend before it."""
    backend_env = {**backend_test_env(postgres_url), **(backend_settings or {})}
    with run_service("todo-backend", backend_env, logs / "backend.log") as backend:
        frontend_env = frontend_test_env(backend.url)
        with run_service("todo-frontend", frontend_env, logs / "frontend.log") as frontend:
            yield Stack(frontend_url=frontend.url, backend_url=backend.url)
