"""Frontend route-test fixtures: the frontend in-process (TestClient or a uvicorn thread), a real
backend process on a fresh PostgreSQL database, and tiny fake backends where the real one is not
what is under test (proxy mechanics, outages)."""

import re
import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.types import ASGIApp

from testkit import Service, backend_test_env, free_port, run_service, wait_until
from todo_frontend.app import create_app
from todo_frontend.settings import Settings

SECRET = "frontend-test-secret-" + "x" * 32


def make_settings(backend_url: str, **overrides: Any) -> Settings:
    """Settings for a test, independent of the developer's environment and .env."""
    values: dict[str, Any] = {
        "backend_url": backend_url,
        "BETTER_AUTH_SECRET": SECRET,
        "local_mode": False,
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def _csrf_token_in(html: str) -> str:
    """The CSRF token of a page: its form's field, or the meta tag that every page carries."""
    match = re.search(r'name="csrf(?:_token" value|-token" content)="([^"]+)"', html)
    assert match, "the page has no CSRF token"
    return match.group(1)


@contextmanager
def _serve_in_thread(app: ASGIApp) -> Iterator[str]:
    """Serve an ASGI app with uvicorn on a free port; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_until(lambda: server.started, seconds=10, what="the test server to start")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def frontend_app() -> Callable[..., FastAPI]:
    """`frontend_app(backend_url, **settings)`: a frontend app, e.g. to serve in a thread."""

    def build(backend_url: str, **overrides: Any) -> FastAPI:
        return create_app(make_settings(backend_url, **overrides))

    return build


FrontendFor = Callable[..., AbstractContextManager[TestClient]]


@pytest.fixture
def frontend_for() -> FrontendFor:
    """`with frontend_for(backend_url) as browser:` a TestClient that keeps cookies."""

    @contextmanager
    def start(backend_url: str, **overrides: Any) -> Iterator[TestClient]:
        app = create_app(make_settings(backend_url, **overrides))
        with TestClient(app, follow_redirects=False) as client:
            yield client

    return start


@pytest.fixture
def unreachable_url() -> str:
    """A backend address where nothing listens."""
    return f"http://127.0.0.1:{free_port()}"


@pytest.fixture(scope="session")
def real_backend(postgres_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """The real backend process (`todo-backend serve`) on its own PostgreSQL database."""
    log = tmp_path_factory.mktemp("backend") / "backend.log"
    with run_service("todo-backend", backend_test_env(postgres_url), log) as backend:
        yield backend


def _new_email(name: str) -> str:
    return f"{name.lower()}-{secrets.token_hex(4)}@example.com"


def _sign_up(browser: TestClient, name: str, password: str = "correct horse") -> str:
    """Sign up through the frontend's form, as a person would; returns the new email."""
    email = _new_email(name)
    token = _csrf_token_in(browser.get("/sign-up").text)
    response = browser.post(
        "/sign-up",
        data={"csrf_token": token, "name": name, "email": email, "password": password},
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/dashboard"
    return email


# Helpers the test modules use, handed over as fixtures (test modules cannot import conftest).
@pytest.fixture
def csrf_token_in() -> Callable[[str], str]:
    return _csrf_token_in


@pytest.fixture
def sign_up() -> Callable[..., str]:
    return _sign_up


@pytest.fixture
def new_email() -> Callable[[str], str]:
    return _new_email


@pytest.fixture
def serve_app() -> Callable[[ASGIApp], AbstractContextManager[str]]:
    return _serve_in_thread
