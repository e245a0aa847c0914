"""Typed dependencies for the routes: the database session, settings and the caller's identity.

All are `async def`: FastAPI runs a plain `def` dependency in the shared thread pool, where a
burst of slow work would make every ordinary request wait its turn."""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel.ext.asyncio.session import AsyncSession

from todo_backend.api.errors import SIGN_IN_FIRST
from todo_backend.chat import ChatTurns
from todo_backend.data.engine import Reads, open_session
from todo_backend.identity import confirm_current
from todo_backend.models import ID_MAX, ID_MIN
from todo_backend.security import InvalidTokenError, TokenClaims, decode_token
from todo_backend.services import Services, services_of
from todo_backend.settings import Settings
from todo_common.client_address import CLIENT_ADDRESS_HEADER, verified_client_address


async def get_services(request: Request) -> Services:
    return services_of(request.app)


ServicesDep = Annotated[Services, Depends(get_services)]


async def get_settings(request: Request) -> Settings:
    return services_of(request.app).settings


# Requests that only read: they run on the read session that checked the caller's identity.
READ_METHODS = frozenset({"GET", "HEAD"})


async def get_reads(request: Request) -> AsyncIterator[Reads]:
    """The request's reads: the caller's identity check, and all the work of a GET, on one
    connection without a transaction."""
    reads = Reads(services_of(request.app).engine)
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
    async with open_session(services_of(request.app).session_factory) as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[AsyncSession, Depends(get_session)]


async def get_client_address(request: Request) -> str:
    """The caller's address, which every per-address limit counts by: the visitor's address
    signed by the frontend with PROXY_SECRET (`todo_common.client_address`), or else the
    socket's peer (uvicorn puts X-Forwarded-For there only when it comes from TRUSTED_PROXIES).
    An unsigned or forged header is ignored, whoever sends it."""
    signed = request.headers.get(CLIENT_ADDRESS_HEADER)
    if signed is not None:
        address = verified_client_address(services_of(request.app).settings.proxy_secret, signed)
        if address is not None:
            return address
    return request.client.host if request.client else "unknown"


ClientAddress = Annotated[str, Depends(get_client_address)]

_bearer = HTTPBearer(auto_error=False, description="The token from sign-up or sign-in")

UNAUTHORIZED = HTTPException(
    status_code=status.HTTP_401_UNAUTHORIZED,
    detail=SIGN_IN_FIRST,
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
        return decode_token(services_of(request.app).settings, credentials.credentials)
    except InvalidTokenError:
        raise UNAUTHORIZED from None


async def _identity_check(
    request: Request, credentials: HTTPAuthorizationCredentials | None, reads: Reads
) -> TokenClaims:
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
    return claims


BearerCredentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


async def get_current_caller(
    request: Request, credentials: BearerCredentials, reads: ReadsDep
) -> TokenClaims:
    return await _identity_check(request, credentials, reads)


CurrentCaller = Annotated[TokenClaims, Depends(get_current_caller)]


async def get_current_user_id(caller: CurrentCaller) -> str:
    return caller.subject


CurrentUserId = Annotated[str, Depends(get_current_user_id)]


async def get_path_owner(
    user_id: str, request: Request, credentials: BearerCredentials, reads: ReadsDep
) -> str:
    """`/api/{user_id}/...` routes: the caller, identified as `CurrentUserId` is, must be the
    path's user. (The check is made here rather than through CurrentUserId: one dependency
    fewer to resolve on every request.)"""
    if user_id != (await _identity_check(request, credentials, reads)).subject:
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


async def get_turns(request: Request) -> ChatTurns:
    return ChatTurns(services_of(request.app))


TurnsDep = Annotated[ChatTurns, Depends(get_turns)]


# Path ids: out of the database's range is a malformed id (422); in range but not the
# caller's is "not found" (404), decided by the route.
TaskIdPath = Annotated[int, Path(ge=ID_MIN, le=ID_MAX, description="The task's id")]
ConversationIdPath = Annotated[int, Path(ge=ID_MIN, le=ID_MAX, description="The conversation's id")]
