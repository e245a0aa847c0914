"""Backend test fixtures: the app on SQLite and on a real PostgreSQL, driven over ASGI, with the
built-in agent or the LLM agent talking to the OpenAI-compatible test server."""

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from openai_test_server import OpenAITestServer

from backend_testkit import Account, SignUp, llm_settings, make_settings, register
from testkit import create_database, drop_database
from todo_backend.main import create_app


@pytest.fixture
def fresh_postgres_url(postgres_admin_url: str) -> Iterator[str]:
    """An empty database of its own, for tests of migrations and outages."""
    url = create_database(postgres_admin_url)
    yield url
    drop_database(postgres_admin_url, url)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/todo.db"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
async def app(database_url: str) -> AsyncIterator[FastAPI]:
    application = create_app(make_settings(database_url))
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
def sign_up(client: httpx.AsyncClient) -> SignUp:
    async def create(name: str = "Ann", password: str = "correct horse") -> Account:
        return await register(client, name, password)

    return create


@pytest.fixture
def llm() -> Iterator[OpenAITestServer]:
    """The OpenAI-compatible test server, which a test scripts through `llm.respond`."""
    server = OpenAITestServer()
    with server.running():
        yield server


@pytest.fixture
async def llm_client(database_url: str, llm: OpenAITestServer) -> AsyncIterator[httpx.AsyncClient]:
    """The app with the LLM agent, talking to `llm`."""
    app: FastAPI = create_app(llm_settings(database_url, llm.base_url, llm_timeout_seconds=2.0))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://localhost", timeout=30
        ) as client,
    ):
        yield client
