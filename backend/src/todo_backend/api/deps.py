"""Typed dependencies for the routes: the database session, settings and the caller's identity.

All are `async def`: FastAPI runs a plain `def` dependency in the shared thread pool, where a
burst of slow work would make every ordinary request wait its turn."""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel.ext.asyncio.session import AsyncSession

from todo_backend.agent.base import ChatAgent
from todo_backend.data.engine import Reads, open_session
from todo_backend.identity import confirm_current
from todo_backend.models import ID_MAX, ID_MIN
from todo_backend.security import InvalidTokenError, PasswordHashing, TokenClaims, decode_token
from todo_backend.settings import Settings
from todo_backend.throttle import Limits
from todo_common.client_address import CLIENT_ADDRESS_HEADER, verified_client_address


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


# Requests that only read: they run on the read session that checked the caller's identity.
READ_METHODS = frozenset({"GET", "HEAD"})


async def get_reads(request: Request) -> AsyncIterator[Reads]:
    """The request's reads: the caller's identity check, and all the work of a GET, on one
    connection without a transaction."""
    reads = Reads(request.app.state.engine)
    try:
        yield reads
    finally:
        await reads.close()


ReadsDep = Annotated[Reads, Depends(get_reads)]


async def get_read_session(reads: ReadsDep) -> AsyncSession:
    """An ORM session for a GET's reads, on the connection of the request's reads."""
    return await reads.session()


ReadSessionDep = Annotated[AsyncSession, Depends(get_read_session)]


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A session whose statements share one transaction, which the route commits."""
    async with open_session(request.app.state.session_factory) as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[AsyncSession, Depends(get_session)]


async def get_agent(request: Request) -> ChatAgent:
    agent: ChatAgent = request.app.state.agent
    return agent


AgentDep = Annotated[ChatAgent, Depends(get_agent)]


async def get_limits(request: Request) -> Limits:
    limits: Limits = request.app.state.limits
    return limits


LimitsDep = Annotated[Limits, Depends(get_limits)]


async def get_password_hashing(request: Request) -> PasswordHashing:
    hashing: PasswordHashing = request.app.state.password_hashing
    return hashing


PasswordHashingDep = Annotated[PasswordHashing, Depends(get_password_hashing)]


async def get_client_address(request: Request) -> str:
    """The caller's address, which every per-address limit counts by: the visitor's address
    signed by the frontend with PROXY_SECRET (`todo_common.client_address`), or else the
    socket's peer (uvicorn puts X-Forwarded-For there only when it comes from TRUSTED_PROXIES).
    An unsigned or forged header is ignored, whoever sends it."""
    signed = request.headers.get(CLIENT_ADDRESS_HEADER)
    if signed is not None:
        address = verified_client_address(request.app.state.settings.proxy_secret, signed)
        if address is not None:
            return address
    return request.client.host if request.client else "unknown"


ClientAddress = Annotated[str, Depends(get_client_address)]

_bearer = HTTPBearer(auto_error=False, description="The token from sign-up or sign-in")

UNAUTHORIZED = HTTPException(
    status_code=status.HTTP_401_UNAUTHORIZED,
    detail="Sign in first: a valid Bearer token is required",
    headers={"WWW-Authenticate": "Bearer"},
)
NOT_THE_OWNER = HTTPException(
    status_code=status.HTTP_403_FORBIDDEN,
    detail="You can only access your own tasks and conversations",
)


def _token_claims(
    request: Request, credentials: HTTPAuthorizationCredentials | None
) -> TokenClaims:
    """The claims of the request's token, one we issued and unexpired (401 otherwise)."""
    if credentials is None:
        raise UNAUTHORIZED
    try:
        return decode_token(request.app.state.settings, credentials.credentials)
    except InvalidTokenError:
        raise UNAUTHORIZED from None


async def _identity_check(
    request: Request, credentials: HTTPAuthorizationCredentials | None, reads: Reads
) -> str:
    """The token's user, who must still exist and must not have signed out since (one SELECT,
    on the request's reads). Unless the request is a GET, which goes on reading there, the
    connection goes back to the pool at once: the route writes in a transaction of its own,
    and a streamed reply must not hold a connection for the check."""
    try:
        claims = _token_claims(request, credentials)
        await confirm_current(reads, claims)
    except InvalidTokenError:
        raise UNAUTHORIZED from None
    finally:
        if request.method not in READ_METHODS:
            await reads.close()
    return claims.subject


BearerCredentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


async def get_current_user_id(
    request: Request, credentials: BearerCredentials, reads: ReadsDep
) -> str:
    return await _identity_check(request, credentials, reads)


CurrentUserId = Annotated[str, Depends(get_current_user_id)]


async def get_bearer_token(credentials: BearerCredentials) -> str:
    """The raw token, for passing the caller's identity on (the agent's MCP calls)."""
    if credentials is None:
        raise UNAUTHORIZED
    return credentials.credentials


BearerToken = Annotated[str, Depends(get_bearer_token)]


async def get_path_owner(
    user_id: str, request: Request, credentials: BearerCredentials, reads: ReadsDep
) -> str:
    """`/api/{user_id}/...` routes: the caller, identified as `CurrentUserId` is, must be the
    path's user. (The check is made here rather than through CurrentUserId: one dependency
    fewer to resolve on every request.)"""
    if user_id != await _identity_check(request, credentials, reads):
        raise NOT_THE_OWNER
    return user_id


OwnerId = Annotated[str, Depends(get_path_owner)]


async def get_turn_caller(
    user_id: str, request: Request, credentials: BearerCredentials
) -> TokenClaims:
    """Chat turns' `OwnerId`: the token is ours, unexpired and the path user's (401, 403),
    checked here without the database. Whether its user still exists and has not signed out
    since is checked inside the turn's first statement, which writes nothing otherwise
    (`turns.CallerNotCurrentError`, then 401): one statement fewer in every turn."""
    claims = _token_claims(request, credentials)
    if claims.subject != user_id:
        raise NOT_THE_OWNER
    return claims


TurnCaller = Annotated[TokenClaims, Depends(get_turn_caller)]


async def turn_caller_is_current(request: Request, caller: TokenClaims) -> bool:
    """`get_path_owner`'s database check, for a turn that answers before its first statement
    (a stored answer replayed, or a refusal over the chat limits): whether the token's user
    still exists and has not signed out since."""
    reads = Reads(request.app.state.engine)
    try:
        await confirm_current(reads, caller)
    except InvalidTokenError:
        return False
    finally:
        await reads.close()
    return True


# Path ids: out of the database's range is a malformed id (422); in range but not the
# caller's is "not found" (404), decided by the route.
TaskIdPath = Annotated[int, Path(ge=ID_MIN, le=ID_MAX, description="The task's id")]
ConversationIdPath = Annotated[int, Path(ge=ID_MIN, le=ID_MAX, description="The conversation's id")]
