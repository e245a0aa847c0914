"""Database engine and sessions: SQLite by default, PostgreSQL (asyncpg) through DATABASE_URL."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy.exc
from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

logger = logging.getLogger("todo_backend.db")

# Parameters that hosted providers (Neon, Supabase, Heroku...) put in their URLs but that asyncpg
# does not take as connection arguments.
_LIBPQ_ONLY_PARAMS = frozenset({"channel_binding", "connect_timeout", "application_name"})


@dataclass(frozen=True)
class DatabaseTarget:
    """A DATABASE_URL translated for SQLAlchemy's async drivers."""

    url: URL
    connect_args: dict[str, Any] = field(default_factory=dict)

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    @property
    def safe_url(self) -> str:
        """The URL without its password, for logs."""
        return self.url.render_as_string(hide_password=True)


def parse_database_url(raw: str) -> DatabaseTarget:
    """Accept the URL forms people are handed: postgres://, postgresql://, ?sslmode=..., sqlite:///."""
    scheme, separator, rest = raw.strip().partition("://")
    base_scheme = scheme.split("+", 1)[0].lower()
    if not separator or base_scheme not in {"postgres", "postgresql", "sqlite"}:
        raise ValueError(
            "DATABASE_URL must look like postgresql://user:password@host:5432/db "
            "or sqlite:///./todo.db"
        )
    if base_scheme == "sqlite":
        return DatabaseTarget(url=make_url(f"sqlite+aiosqlite://{rest}"))
    url = make_url(f"postgresql+asyncpg://{rest}")
    params = dict(url.query)
    # Fail fast when the database is unreachable (asyncpg would wait 60 s).
    connect_args: dict[str, Any] = {"timeout": 5}
    sslmode = params.pop("sslmode", None) or params.pop("ssl", None)
    if sslmode:
        connect_args["ssl"] = sslmode
    for name in _LIBPQ_ONLY_PARAMS:
        params.pop(name, None)
    return DatabaseTarget(url=url.set(query=params), connect_args=connect_args)


def _enable_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers and the writer work at once; busy_timeout waits rather than failing.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def create_engine(database_url: str) -> AsyncEngine:
    target = parse_database_url(database_url)
    if target.is_sqlite:
        engine = create_async_engine(target.url, connect_args=target.connect_args)
        event.listen(engine.sync_engine, "connect", _enable_sqlite_pragmas)
        return engine
    return create_async_engine(
        target.url,
        connect_args=target.connect_args,
        # A connection is checked before use, so the service recovers after the database restarts.
        pool_pre_ping=True,
        pool_size=10,
        max_overflow=10,
        pool_timeout=10,
    )


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


def database_unreachable(error: BaseException) -> bool:
    """Whether the error says the database cannot be reached (refused, reset, timed out, or a
    connection lost mid-query), as opposed to the database refusing what was asked of it."""
    if isinstance(error, OSError | TimeoutError | sqlalchemy.exc.TimeoutError):
        return True
    return isinstance(error, sqlalchemy.exc.DBAPIError) and (
        error.connection_invalidated or isinstance(error, sqlalchemy.exc.InterfaceError)
    )


@asynccontextmanager
async def open_session(
    session_factory: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """A session that closes quietly when the database has gone away: closing rolls back, a
    lost connection has nothing left to roll back, and by then the response may be on its way
    (an error raised there would cut it off)."""
    session = session_factory()
    try:
        yield session
    finally:
        try:
            await session.close()
        except Exception as error:
            if not database_unreachable(error):
                raise
            logger.warning("session closed on a lost connection", extra={"error": repr(error)})
