"""Backend test fixtures: the app on SQLite and on a real PostgreSQL, driven over ASGI."""

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import NoReturn

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from backend_testkit import Account, PostgresServer, SignUp, make_settings
from todo_backend.main import create_app


@pytest.fixture(scope="session")
def postgres(unavailable: Callable[[str], NoReturn]) -> PostgresServer:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        unavailable("TEST_DATABASE_URL is not set: no PostgreSQL to test against")
    server = PostgresServer(url)
    try:
        asyncio.run(server._admin("SELECT 1"))
    except (OSError, asyncpg.PostgresError) as error:
        unavailable(f"PostgreSQL at TEST_DATABASE_URL does not answer: {error}")
    return server


@pytest.fixture(scope="session")
def postgres_session_url(postgres: PostgresServer) -> Iterator[str]:
    """One database for the whole session: tests use their own accounts, so they do not collide."""
    name = postgres.create_database()
    yield postgres.url_for(name)
    postgres.drop_database(name)


@pytest.fixture
def fresh_postgres_url(postgres: PostgresServer) -> Iterator[str]:
    """An empty database of its own, for tests of migrations and outages."""
    name = postgres.create_database()
    yield postgres.url_for(name)
    postgres.drop_database(name)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/todo.db"
    url: str = request.getfixturevalue("postgres_session_url")
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
        email = f"{name.lower()}-{uuid.uuid4().hex[:8]}@example.com"
        response = await client.post(
            "/api/auth/sign-up", json={"email": email, "password": password, "name": name}
        )
        assert response.status_code == 201, response.text
        body = response.json()
        return Account(id=body["user"]["id"], email=email, password=password, token=body["token"])

    return create
