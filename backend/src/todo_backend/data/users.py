"""Users, their token versions, their API tokens, and the lock that keeps a user's quotas."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Insert, Integer, String, Table, bindparam, delete, func, insert, update
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from todo_backend.data.engine import Reads, run
from todo_backend.models import ApiToken, ApiTokenPublic, User, UserCreate, UTCDateTime, utc_now

_USERS: Table = User.__table__  # type: ignore[attr-defined]  # SQLModel hides it
_API_TOKENS: Table = ApiToken.__table__  # type: ignore[attr-defined]


async def get_user_by_email(session: AsyncSession, *, email: str) -> User | None:
    result = await session.exec(select(User).where(User.email == email))
    return result.first()


async def get_user(session: AsyncSession, *, user_id: str) -> User | None:
    return await session.get(User, user_id)


_TIME_ZONE = select(_USERS.c.timezone).where(_USERS.c.id == bindparam("user_id"))
_SET_TIME_ZONE = (
    update(_USERS)
    .where(_USERS.c.id == bindparam("user_id", type_=String))
    .values(timezone=bindparam("timezone", type_=String))
)


async def get_time_zone(reads: Reads | AsyncSession, *, user_id: str) -> str | None:
    rows = await run(reads, _TIME_ZONE, {"user_id": user_id})
    return str(rows[0]["timezone"]) if rows else None


async def set_time_zone(session: AsyncSession, *, user_id: str, timezone: str) -> None:
    await run(session, _SET_TIME_ZONE, {"user_id": user_id, "timezone": timezone})


async def create_user(
    session: AsyncSession, *, user_create: UserCreate, password_hash: str
) -> User:
    user = User(
        email=user_create.email,
        name=user_create.name,
        password_hash=password_hash,
        timezone=user_create.timezone,
    )
    session.add(user)
    return user


_TOKEN_VERSION = select(_USERS.c.token_version).where(_USERS.c.id == bindparam("user_id"))
_REVOKE_TOKENS = (
    update(_USERS)
    .where(_USERS.c.id == bindparam("user_id", type_=String))
    .values(token_version=_USERS.c.token_version + 1)
)


async def get_token_version(reads: Reads | AsyncSession, *, user_id: str) -> int | None:
    """The user's token version (what sign-out raises), or None when there is no such user.
    One column, not the user: it is read on every authenticated request."""
    rows = await run(reads, _TOKEN_VERSION, {"user_id": user_id})
    return int(rows[0]["token_version"]) if rows else None


async def revoke_tokens(session: AsyncSession, *, user_id: str) -> None:
    """Raise the user's token version, so every token issued so far stops working."""
    await run(session, _REVOKE_TOKENS, {"user_id": user_id})


# ---- quotas: what a user may keep ----

# SQLite has one writer at a time and leaves FOR UPDATE out.
_LOCK_USER = (
    select(_USERS.c.token_version, _USERS.c.timezone)
    .where(_USERS.c.id == bindparam("user_id"))
    .with_for_update()
)


@dataclass(frozen=True)
class LockedUser:
    """What locking a user's row reads of it: what a turn checks and needs anyway."""

    token_version: int
    timezone: str


async def lock_user(session: AsyncSession, *, user_id: str) -> LockedUser | None:
    """Lock the user's row until the session's transaction ends, before a write within a quota;
    the user's token version and time zone (None: no such user).

    Under PostgreSQL's READ COMMITTED, concurrent writes' counts read snapshots taken before any
    of them inserted, so all of them would see room at the quota's edge. With the user's row
    locked first, each write's count (a later statement, with a later snapshot) sees the rows of
    the write before it. Not through `run`: a lock must begin the transaction, not end it."""
    connection = await session.connection()
    row = (await connection.execute(_LOCK_USER, {"user_id": user_id})).mappings().first()
    return None if row is None else LockedUser(int(row["token_version"]), row["timezone"])


def insert_under_quota(table: Table, values: dict[str, Any], *, user: str, limit: str) -> Insert:
    """`values` inserted into `table` only while the user (bound parameter `user`) owns fewer
    rows there than the bound parameter `limit`: the quota's count and the insert are one
    statement (and one round trip)."""
    owned = select(func.count()).where(table.c.user_id == bindparam(user, type_=String))
    return insert(table).from_select(
        list(values),
        select(*values.values()).where(owned.scalar_subquery() < bindparam(limit, type_=Integer)),
    )


# ---- API tokens ----

_API_TOKEN_COLUMNS = [_API_TOKENS.c[name] for name in ApiTokenPublic.model_fields]
_CREATE_API_TOKEN = insert_under_quota(
    _API_TOKENS,
    {
        "user_id": bindparam("user_id", type_=String),
        "name": bindparam("name", type_=String),
        "token_hash": bindparam("token_hash", type_=String),
        "created_at": bindparam("now", type_=UTCDateTime),
        "expires_at": bindparam("expires_at", type_=UTCDateTime),
    },
    user="user_id",
    limit="max_tokens",
).returning(*_API_TOKEN_COLUMNS)
_LIST_API_TOKENS = (
    select(*_API_TOKEN_COLUMNS)
    .where(_API_TOKENS.c.user_id == bindparam("user_id"))
    .order_by(_API_TOKENS.c.id.desc())
)
_DELETE_API_TOKEN = (
    delete(_API_TOKENS)
    .where(
        _API_TOKENS.c.id == bindparam("token_id", type_=Integer),
        _API_TOKENS.c.user_id == bindparam("user_id", type_=String),
    )
    .returning(_API_TOKENS.c.id)
)
# What an MCP request's token is: read on every such request, by the unique index.
_FIND_API_TOKEN = select(
    _API_TOKENS.c.id, _API_TOKENS.c.user_id, _API_TOKENS.c.expires_at, _API_TOKENS.c.last_used_at
).where(_API_TOKENS.c.token_hash == bindparam("token_hash"))
_MARK_API_TOKEN_USED = (
    update(_API_TOKENS)
    .where(_API_TOKENS.c.id == bindparam("token_id", type_=Integer))
    .values(last_used_at=bindparam("now", type_=UTCDateTime))
)


async def create_api_token(
    session: AsyncSession,
    *,
    user_id: str,
    name: str,
    token_hash: str,
    expires_at: datetime,
    max_tokens: int,
) -> dict[str, Any] | None:
    """A new token's public fields (ApiTokenPublic's); None when the user already has
    `max_tokens`."""
    params = {
        "user_id": user_id,
        "name": name,
        "token_hash": token_hash,
        "now": utc_now(),
        "expires_at": expires_at,
        "max_tokens": max_tokens,
    }
    await lock_user(session, user_id=user_id)
    rows = await run(session, _CREATE_API_TOKEN, params)
    return dict(rows[0]) if rows else None


async def list_api_tokens(reads: Reads | AsyncSession, *, user_id: str) -> list[dict[str, Any]]:
    """The user's tokens, newest first, as dicts of ApiTokenPublic's fields."""
    return [dict(row) for row in await run(reads, _LIST_API_TOKENS, {"user_id": user_id})]


async def delete_api_token(session: AsyncSession, *, user_id: str, token_id: int) -> bool:
    """Revoke the user's token; False when the user has no such token."""
    return bool(await run(session, _DELETE_API_TOKEN, {"user_id": user_id, "token_id": token_id}))


@dataclass(frozen=True)
class ApiTokenUse:
    """What an MCP request needs to know of the token it came with."""

    id: int
    user_id: str
    expires_at: datetime
    last_used_at: datetime | None


async def find_api_token(reads: Reads | AsyncSession, *, token_hash: str) -> ApiTokenUse | None:
    rows = await run(reads, _FIND_API_TOKEN, {"token_hash": token_hash})
    return ApiTokenUse(**rows[0]) if rows else None


async def mark_api_token_used(session: AsyncSession, *, token_id: int, now: datetime) -> None:
    await run(session, _MARK_API_TOKEN_USED, {"token_id": token_id, "now": now})
