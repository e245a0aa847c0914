"""Typed dependencies for the routes: the database session, settings and the caller's identity.

All are `async def`: FastAPI runs a plain `def` dependency in the shared thread pool, where a
burst of slow work would make every ordinary request wait its turn."""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel.ext.asyncio.session import AsyncSession

from todo_backend.agent.base import ChatAgent
from todo_backend.db import open_session
from todo_backend.identity import authenticate
from todo_backend.models import ID_MAX, ID_MIN
from todo_backend.security import InvalidTokenError, PasswordHashing
from todo_backend.settings import Settings
from todo_backend.throttle import Limits


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


# Requests that only read: their session runs each statement on its own (no transaction).
READ_METHODS = frozenset({"GET", "HEAD"})


async def get_read_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A session for reads only: the caller's identity check, and all the work of a GET."""
    async with open_session(request.app.state.read_session_factory) as session:
        yield session


ReadSessionDep = Annotated[AsyncSession, Depends(get_read_session)]


async def get_session(request: Request, reads: ReadSessionDep) -> AsyncIterator[AsyncSession]:
    """The route's session. A GET reads on the session that checked the caller's identity: one
    connection, no transaction. Anything else gets a session whose statements share one
    transaction, which the route commits."""
    if request.method in READ_METHODS:
        yield reads
        return
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
    """The caller's address: the socket's peer, or what a trusted proxy says it is
    (uvicorn believes X-Forwarded-For only from TRUSTED_PROXIES)."""
    return request.client.host if request.client else "unknown"


ClientAddress = Annotated[str, Depends(get_client_address)]

_bearer = HTTPBearer(auto_error=False, description="The token from sign-up or sign-in")

UNAUTHORIZED = HTTPException(
    status_code=status.HTTP_401_UNAUTHORIZED,
    detail="Sign in first: a valid Bearer token is required",
    headers={"WWW-Authenticate": "Bearer"},
)


async def get_current_user_id(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    session: ReadSessionDep,
) -> str:
    """The token's user, who must still exist and must not have signed out since (one SELECT,
    on the read session). Unless the request is a GET, which goes on reading on that session,
    its connection goes back to the pool at once: the route writes in a transaction of its
    own, and a streamed reply must not hold a connection for the check."""
    if credentials is None:
        raise UNAUTHORIZED
    try:
        return await authenticate(session, request.app.state.settings, credentials.credentials)
    except InvalidTokenError:
        raise UNAUTHORIZED from None
    finally:
        if request.method not in READ_METHODS:
            await session.close()


CurrentUserId = Annotated[str, Depends(get_current_user_id)]


async def get_bearer_token(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    """The raw token, for passing the caller's identity on (the agent's MCP calls)."""
    if credentials is None:
        raise UNAUTHORIZED
    return credentials.credentials


BearerToken = Annotated[str, Depends(get_bearer_token)]


async def get_path_owner(user_id: str, current_user_id: CurrentUserId) -> str:
    """`/api/{user_id}/...` routes: the path's user must be the caller."""
    if user_id != current_user_id:
        raise HTTPException(
            status_code=status.HTTP_403_FORBIDDEN,
            detail="You can only access your own tasks and conversations",
        )
    return user_id


OwnerId = Annotated[str, Depends(get_path_owner)]


# Path ids: out of the database's range is a malformed id (422); in range but not the
# caller's is "not found" (404), decided by the route.
TaskIdPath = Annotated[int, Path(ge=ID_MIN, le=ID_MAX, description="The task's id")]
ConversationIdPath = Annotated[int, Path(ge=ID_MIN, le=ID_MAX, description="The conversation's id")]
