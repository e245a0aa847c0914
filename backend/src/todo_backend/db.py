"""Database engine and sessions: SQLite by default, PostgreSQL (asyncpg) through DATABASE_URL."""

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

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
