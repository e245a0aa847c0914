"""The database engine, its sessions and the one way to run a prebuilt statement (`run`): SQLite
by default, PostgreSQL (asyncpg) through DATABASE_URL."""

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

import asyncpg
import sqlalchemy.exc
from sqlalchemy import ClauseElement, Executable, Select, event
from sqlalchemy.engine import URL, Dialect, make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    async_sessionmaker,
    create_async_engine,
)
from sqlmodel import Session as SyncSession
from sqlmodel.ext.asyncio.session import AsyncSession

logger = logging.getLogger("todo_backend.db")
T = TypeVar("T")
# A row read by column name (`row["title"]`, or `dict(row)`): asyncpg's or SQLAlchemy's.
Row = Mapping[str, Any]

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


def _discard_closed_connection(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """At checkout: a pooled connection that the database closed while it sat idle (a restart,
    a dropped proxy) is replaced with a new one. The driver saw the socket close, so this costs
    no round trip, unlike a pre-ping; a connection that died unseen fails its first statement,
    which is retried once (`_retried_once`)."""
    driver_connection = getattr(dbapi_connection, "_connection", None)  # asyncpg's, adapted
    if driver_connection is not None and driver_connection.is_closed():
        raise sqlalchemy.exc.DisconnectionError("the database closed this pooled connection")


def create_engine(database_url: str) -> AsyncEngine:
    target = parse_database_url(database_url)
    if target.is_sqlite:
        engine = create_async_engine(target.url, connect_args=target.connect_args)
        event.listen(engine.sync_engine, "connect", _enable_sqlite_pragmas)
        return engine
    engine = create_async_engine(
        target.url,
        connect_args=target.connect_args,
        # Up to 20 connections, as before, but all kept once opened: connections opened past
        # the pool's size and closed again at once ("overflow") cost a TLS handshake and a
        # SCRAM exchange each, which under steady load is most of the database's CPU cost.
        pool_size=20,
        max_overflow=0,
        pool_timeout=10,
    )
    event.listen(engine.sync_engine.pool, "checkout", _discard_closed_connection)
    return engine


async def _retried_once(
    attempt: Callable[[], Awaitable[T]], reset: Callable[[], Awaitable[None]]
) -> T:
    """`attempt`, and once more after `reset` when its connection turned out to be lost. Only for
    the first statement of a transaction: nothing has run in it yet, so nothing can happen twice.
    (A connection the database closed while idle never gets that far: see
    `_discard_closed_connection`.) A failure later in a transaction is the caller's to see."""
    try:
        return await attempt()
    except sqlalchemy.exc.DBAPIError as error:
        if not error.connection_invalidated:
            raise
        logger.warning("connection lost; retrying on a new one", extra={"error": repr(error)})
        await reset()
        return await attempt()


class Session(AsyncSession):
    """The session of every request and tool call: its first statement is `_retried_once`."""

    async def exec(self, statement: Any, **kwargs: Any) -> Any:
        return await self._retried_if_first(super().exec, statement, **kwargs)

    async def get(self, entity: Any, ident: Any, **kwargs: Any) -> Any:
        return await self._retried_if_first(super().get, entity, ident, **kwargs)

    async def _retried_if_first(self, method: Any, *args: Any, **kwargs: Any) -> Any:
        if self.in_transaction():
            return await method(*args, **kwargs)
        return await _retried_once(lambda: method(*args, **kwargs), self.rollback)


class _ReadOnlySession(SyncSession):
    """The ORM session behind `Reads.session()`: flushing (writing) is refused."""


@event.listens_for(_ReadOnlySession, "before_flush")
def _refuse_writes(_session: Any, _flush_context: Any, _instances: Any) -> None:
    raise sqlalchemy.exc.InvalidRequestError(
        "a read session does not write; write in a transaction (SessionDep): a GET reads only"
    )


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[Session]:
    """Sessions whose statements share a transaction, committed by the code that writes."""
    return async_sessionmaker(engine, class_=Session, expire_on_commit=False)


def database_unreachable(error: BaseException) -> bool:
    """Whether the error says the database cannot be reached (refused, reset, timed out, or a
    connection lost mid-query), as opposed to the database refusing what was asked of it."""
    if isinstance(error, OSError | TimeoutError | sqlalchemy.exc.TimeoutError):
        return True
    return isinstance(error, sqlalchemy.exc.DBAPIError) and (
        error.connection_invalidated or isinstance(error, sqlalchemy.exc.InterfaceError)
    )


@dataclass(frozen=True)
class _ForAsyncpg:
    """A statement compiled for asyncpg once: its SQL, and the names of its parameters in
    order with the values the statement itself holds (`values(completed=True)`)."""

    statement: Executable  # kept, so that its id stays its own
    sql: str
    names: tuple[str, ...]
    own_values: dict[str, Any]

    def arguments(self, params: dict[str, Any]) -> list[Any]:
        return [params[n] if n in params else self.own_values[n] for n in self.names]


_compiled: dict[int, _ForAsyncpg] = {}
# What asyncpg raises for a statement that failed (whatever the reason), as opposed to a bug.
_DRIVER_ERRORS = (
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.InternalClientError,
    OSError,
    TimeoutError,
)


def _for_asyncpg(statement: Executable, dialect: Dialect) -> _ForAsyncpg:
    entry = _compiled.get(id(statement))
    if entry is None or entry.statement is not statement:
        compiled: Any = cast(ClauseElement, statement).compile(dialect=dialect)
        names = tuple(compiled.positiontup or ())
        own = {n: compiled.binds[n].value for n in names if not compiled.binds[n].required}
        entry = _ForAsyncpg(statement, compiled.string, names, own)
        _compiled[id(statement)] = entry
    return entry


async def _rows(
    connection: AsyncConnection, statement: Executable, params: dict[str, Any], *, driver: bool
) -> Sequence[Row]:
    """The statement's rows on `connection`; with `driver`, straight through asyncpg when that
    is the driver.

    The fast path: the statement, compiled once, runs on the raw asyncpg connection, which
    prepares it once per connection. SQLAlchemy's execution layer (context, cursor adapter,
    result object) costs more CPU than the query itself. What it buys, measured with
    backend_bench.py against the same code with the fast path off (one run, side by side): the
    task list 398 requests/s at 1.80 ms CPU each, against 269 at 2.63. Should the driver fail,
    the statement runs again the usual way, so that the error is SQLAlchemy's (a lost
    connection invalidated, a 503): a statement fails whole or completes, so running it again
    changes nothing twice."""
    if driver and connection.dialect.driver == "asyncpg":
        compiled = _for_asyncpg(statement, connection.dialect)
        raw: Any = (await connection.get_raw_connection()).driver_connection
        try:
            records: Sequence[Row] = await raw.fetch(compiled.sql, *compiled.arguments(params))
        except _DRIVER_ERRORS:
            logger.debug("driver failed; running the statement through SQLAlchemy")
        else:
            return records
    result = await connection.execute(statement, params)
    return cast(Sequence[Row], result.mappings().all()) if result.returns_rows else []


def _first_in_transaction(session: AsyncSession) -> bool:
    """Whether a statement would be the first of the session's transaction: nothing has run in
    it yet, and nothing waits to be flushed with it."""
    return not (session.in_transaction() or session.new or session.dirty or session.deleted)


async def run(
    source: "AsyncSession | Reads | AsyncConnection", statement: Executable, params: dict[str, Any]
) -> Sequence[Row]:
    """The rows of one statement built once (a module constant, its values bound by name), read
    by column name: every data function's statement goes through here.

    - On a request's `Reads`, or a connection of its own (AUTOCOMMIT: the rate-limit counters),
      straight through asyncpg (`_rows`). A first read of `Reads` is `_retried_once`.
    - In a session, within its transaction, through SQLAlchemy, as part of that transaction.
      As the first statement of a transaction, on asyncpg, it runs on its own straight through
      the driver, and the database commits it as it completes: no BEGIN and COMMIT round trips
      (the caller's `commit()` then has nothing left to send). A first SELECT is
      `_retried_once` and ends the transaction it began (it wrote nothing), so that a write
      after it runs on its own too. A write is never retried: when a connection is lost, only
      the answer may have been. (A SELECT that writes, in a WITH, comes after a lock: `turns`.)"""
    if isinstance(source, Reads):
        return await source.run(statement, params)
    if isinstance(source, AsyncConnection):
        return await _rows(source, statement, params, driver=True)
    if not _first_in_transaction(source):
        return await _rows(await source.connection(), statement, params, driver=False)
    if not isinstance(statement, Select):
        return await _rows(await source.connection(), statement, params, driver=True)

    async def attempt() -> Sequence[Row]:
        return await _rows(await source.connection(), statement, params, driver=True)

    rows = await _retried_once(attempt, source.rollback)
    await source.commit()
    return rows


class Reads:
    """A request's reads, on one pooled connection taken at the first read and given back by
    `close` (at the end of the request, or as soon as the reading is done).

    Not an ORM session: the identity check of every request and the task list go through
    `run` without one (an ORM session's transaction bookkeeping costs more than those
    statements). A route that reads ORM objects gets a `session()` on the same connection, one
    that refuses to write. Reads take no transaction of their own: under PostgreSQL's READ
    COMMITTED each statement sees its own snapshot anyway."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._connection: AsyncConnection | None = None
        self._session: Session | None = None

    async def run(self, statement: Executable, params: dict[str, Any]) -> Sequence[Row]:
        """`run` on this connection."""
        if self._connection is not None:
            return await _rows(self._connection, statement, params, driver=True)

        async def attempt() -> Sequence[Row]:
            self._connection = await self._engine.connect()
            return await _rows(self._connection, statement, params, driver=True)

        return await _retried_once(attempt, self.close)

    async def session(self) -> AsyncSession:
        """An ORM session for reads on this connection; it refuses to flush (write)."""
        if self._session is None:
            if self._connection is None:
                self._connection = await self._engine.connect()
            self._session = Session(bind=self._connection, sync_session_class=_ReadOnlySession)
        return self._session

    async def close(self) -> None:
        """Give the connection back (quietly when the database has gone away, as
        `open_session` does); the next read takes one again."""
        session, connection = self._session, self._connection
        self._session = self._connection = None
        try:
            if session is not None:
                await session.close()
            if connection is not None:
                await connection.close()
        except Exception as error:
            if not database_unreachable(error):
                raise
            logger.warning("reads closed on a lost connection", extra={"error": repr(error)})


@asynccontextmanager
async def open_session(
    session_factory: async_sessionmaker[Session],
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
