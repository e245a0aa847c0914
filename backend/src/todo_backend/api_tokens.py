"""API tokens: what a user gives an MCP client (kagent, an IDE) instead of their sign-in token.

A sign-in token lasts 7 days and dies at sign-out, which would silently break the client. An API
token lasts as long as its user chose (1 to 365 days), until they revoke it, and works on /mcp
only: the REST API and chat take sign-in tokens alone, so a leaked API token can do no more than
the MCP tools do.

A token is `todo_mcp_` and 32 random bytes. Only its SHA-256 is stored: a slow password hash
guards secrets that can be guessed, but nobody guesses 256 random bits, so a fast hash is as
safe, and it lets every MCP request find its token by a unique index in one SELECT. A copy of
the database therefore holds no usable token. The prefix tells the MCP endpoint an API token
from a sign-in token (a JWT, "eyJ..."), and lets secret scanners recognise a leaked one."""

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from todo_backend.data import users
from todo_backend.data.engine import Reads, Session, open_session
from todo_backend.models import utc_now
from todo_backend.security import InvalidTokenError

API_TOKEN_PREFIX = "todo_mcp_"
MAX_API_TOKENS_PER_USER = 20
# `last_used_at` is written at most once a minute per token: not one write per MCP request.
LAST_USED_STEP = timedelta(minutes=1)


def new_api_token() -> str:
    return API_TOKEN_PREFIX + secrets.token_urlsafe(32)


def api_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def is_api_token(token: str) -> bool:
    return token.startswith(API_TOKEN_PREFIX)


def expiry_after(days: int) -> datetime:
    return utc_now() + timedelta(days=days)


async def authenticate_api_token(
    engine: AsyncEngine, session_factory: async_sessionmaker[Session], token: str
) -> users.ApiTokenUse:
    """The token's record, read anew on every request (a revoked token fails at once);
    `InvalidTokenError` when it is unknown, revoked or expired."""
    reads = Reads(engine)
    try:
        found = await users.find_api_token(reads, token_hash=api_token_hash(token))
    finally:
        await reads.close()
    now = utc_now()
    if found is None:
        raise InvalidTokenError("no such API token (revoked, or never issued)")
    if found.expires_at <= now:
        raise InvalidTokenError("the API token has expired")
    if found.last_used_at is None or now - found.last_used_at >= LAST_USED_STEP:
        async with open_session(session_factory) as session:
            await users.mark_api_token_used(session, token_id=found.id, now=now)
            await session.commit()
    return found
