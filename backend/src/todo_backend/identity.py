"""Who a bearer token belongs to, checked against the database.

A well-signed token is not enough: its user may be gone (a reset database with the same
secret) or may have signed out since (a raised token version). Both answer 401, never a 500
from a foreign key later on. One check serves the REST routes and the MCP server; a chat turn
makes it inside the statement that stores its message (`api.deps.TurnCaller`)."""

from sqlmodel.ext.asyncio.session import AsyncSession

from todo_backend.data import users
from todo_backend.data.engine import Reads
from todo_backend.security import InvalidTokenError, TokenClaims, decode_token
from todo_backend.settings import Settings


async def authenticate(reads: Reads | AsyncSession, settings: Settings, token: str) -> str:
    """The id of the user `token` speaks for; `InvalidTokenError` when it speaks for none."""
    claims = decode_token(settings, token)
    await confirm_current(reads, claims)
    return claims.subject


async def confirm_current(reads: Reads | AsyncSession, claims: TokenClaims) -> None:
    """`InvalidTokenError` unless the claims' user exists and has not signed out since. (A chat
    turn makes the same check inside its first statement: `data.turns.CallerNotCurrentError`.)"""
    version = await users.get_token_version(reads, user_id=claims.subject)
    if version is None:
        raise InvalidTokenError("the token's user does not exist")
    if version != claims.version:
        raise InvalidTokenError("the token was revoked by signing out")
