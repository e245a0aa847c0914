"""Sign-up, sign-in, sign-out and the signed-in user."""

import logging

from fastapi import APIRouter, HTTPException, status
from sqlalchemy.exc import IntegrityError

from todo_backend.api.deps import (
    ClientAddress,
    CurrentUserId,
    ReadSessionDep,
    ServicesDep,
    SessionDep,
)
from todo_backend.api.errors import error_responses
from todo_backend.data import users
from todo_backend.models import AuthResponse, SignIn, User, UserCreate, UserPublic, UserUpdate
from todo_backend.ratelimit import RateLimitedError
from todo_backend.security import create_token
from todo_backend.settings import Settings
from todo_backend.throttle import Limits

router = APIRouter(prefix="/api/auth", tags=["auth"])
logger = logging.getLogger("todo_backend.auth")

TOO_MANY_AUTH = "Too many sign-up or sign-in attempts; please try again later"
TOO_MANY_FAILURES = "Too many failed sign-ins for this account; please try again later"


def _authenticated(settings: Settings, user: User) -> AuthResponse:
    token = create_token(settings, user_id=user.id, version=user.token_version)
    return AuthResponse(token=token, user=UserPublic.model_validate(user))


async def _count_overall(limits: Limits) -> None:
    await limits.auth_overall.hit("all", what=TOO_MANY_AUTH)


def _from_address(email: str, address: str) -> str:
    return f"{email}|{address}"  # an address has no "|": one key per (email, address)


async def _count_attempt(limits: Limits, email: str, address: str) -> None:
    """Count a sign-in attempt as a failure until its password is found correct: before the
    slow verify, so parallel guesses cannot all get through. Per (email, address) for the short
    lockout, so a stranger cannot lock the owner out from another address; and per email from
    every address, with a higher ceiling and then growing delays, so guessing from many
    addresses stays slow. An attempt that this refuses is not counted against the address."""
    from_address = _from_address(email, address)
    await limits.sign_in_failures.hit(from_address, what=TOO_MANY_FAILURES)
    try:
        await limits.sign_in_failures_per_account.hit(email, what=TOO_MANY_FAILURES)
    except RateLimitedError:
        await limits.sign_in_failures.refund(from_address)
        raise


@router.post(
    "/sign-up",
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(409, 422, 429),
)
async def sign_up(
    body: UserCreate,
    session: SessionDep,
    services: ServicesDep,
    address: ClientAddress,
) -> AuthResponse:
    """Create an account and return a token for it."""
    limits, settings = services.limits, services.settings
    await limits.sign_up_per_address.hit(address, what=TOO_MANY_AUTH)
    await _count_overall(limits)
    if await users.get_user_by_email(session, email=body.email):
        raise HTTPException(status.HTTP_409_CONFLICT, "An account with this email already exists")
    # Hand the connection back while we wait for the hash: a burst must not drain the pool.
    await session.close()
    password_hash = await services.password_hashing.hash(body.password)
    try:
        user = await users.create_user(session, user_create=body, password_hash=password_hash)
        await session.commit()
    except IntegrityError:  # the same email signed up concurrently
        raise HTTPException(
            status.HTTP_409_CONFLICT, "An account with this email already exists"
        ) from None
    logger.info("user signed up", extra={"user_id": user.id})
    return _authenticated(settings, user)


@router.post("/sign-in", responses=error_responses(401, 422, 429))
async def sign_in(
    body: SignIn,
    session: SessionDep,
    services: ServicesDep,
    address: ClientAddress,
) -> AuthResponse:
    """Exchange email and password for a token (valid for 7 days, or until sign-out)."""
    limits, settings = services.limits, services.settings
    await limits.sign_in_per_address.hit(address, what=TOO_MANY_AUTH)
    await _count_overall(limits)
    await _count_attempt(limits, body.email, address)
    user = await users.get_user_by_email(session, email=body.email)
    await session.close()  # no connection held while the hash waits its turn
    # Always verify, even for an unknown email: both answers then take the same time.
    matches = await services.password_hashing.verify(
        body.password, user.password_hash if user else None
    )
    if user is None or not matches:
        logger.info("sign-in failed", extra={"reason": "bad credentials"})
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "Wrong email or password")
    # A correct password ends this address's run of failures, and is not one of the account's.
    await limits.sign_in_failures.reset(_from_address(body.email, address))
    await limits.sign_in_failures_per_account.refund(body.email)
    return _authenticated(settings, user)


@router.post("/sign-out", status_code=status.HTTP_204_NO_CONTENT, responses=error_responses(401))
async def sign_out(user_id: CurrentUserId, session: SessionDep) -> None:
    """Revoke every sign-in token of the signed-in user, this one included. API tokens for
    MCP clients stay valid: each is revoked on its own."""
    await users.revoke_tokens(session, user_id=user_id)
    await session.commit()
    logger.info("user signed out", extra={"user_id": user_id})


def _gone() -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, "This account no longer exists")


@router.get("/me", responses=error_responses(401))
async def me(user_id: CurrentUserId, session: ReadSessionDep) -> UserPublic:
    """The signed-in user."""
    user = await users.get_user(session, user_id=user_id)
    if user is None:
        raise _gone()
    return UserPublic.model_validate(user)


@router.patch("/me", responses=error_responses(401, 422))
async def update_me(user_id: CurrentUserId, body: UserUpdate, session: SessionDep) -> UserPublic:
    """Change the signed-in user's settings: their time zone (an IANA name), in which the
    assistant reads and tells dates."""
    await users.set_time_zone(session, user_id=user_id, timezone=body.timezone)
    user = await users.get_user(session, user_id=user_id)
    if user is None:
        raise _gone()
    await session.commit()
    logger.info("user settings changed", extra={"user_id": user_id})
    return UserPublic.model_validate(user)
