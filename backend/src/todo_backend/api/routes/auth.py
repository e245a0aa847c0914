"""Sign-up, sign-in and the signed-in user."""

import logging

from anyio import to_thread
from fastapi import APIRouter, HTTPException, Request, status
from sqlalchemy.exc import IntegrityError

from todo_backend import crud
from todo_backend.api.deps import CurrentUserId, SessionDep, SettingsDep
from todo_backend.api.errors import error_responses
from todo_backend.models import AuthResponse, SignIn, UserCreate, UserPublic
from todo_backend.security import create_token, hash_password, verify_password
from todo_backend.throttle import SignInThrottle

router = APIRouter(prefix="/api/auth", tags=["auth"])
logger = logging.getLogger("todo_backend.auth")


def _throttle(request: Request) -> SignInThrottle:
    throttle: SignInThrottle = request.app.state.sign_in_throttle
    return throttle


@router.post(
    "/sign-up",
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(409, 422),
)
async def sign_up(body: UserCreate, session: SessionDep, settings: SettingsDep) -> AuthResponse:
    """Create an account and return a token for it."""
    if await crud.get_user_by_email(session, email=body.email):
        raise HTTPException(status.HTTP_409_CONFLICT, "An account with this email already exists")
    # argon2 is deliberately slow; hashing off the event loop keeps other requests moving.
    password_hash = await to_thread.run_sync(hash_password, body.password)
    try:
        user = await crud.create_user(session, user_create=body, password_hash=password_hash)
    except IntegrityError:  # the same email signed up concurrently
        raise HTTPException(
            status.HTTP_409_CONFLICT, "An account with this email already exists"
        ) from None
    logger.info("user signed up", extra={"user_id": user.id})
    return AuthResponse(
        token=create_token(settings, user_id=user.id), user=UserPublic.model_validate(user)
    )


@router.post("/sign-in", responses=error_responses(401, 422, 429))
async def sign_in(
    body: SignIn, request: Request, session: SessionDep, settings: SettingsDep
) -> AuthResponse:
    """Exchange email and password for a token (valid for 7 days)."""
    throttle = _throttle(request)
    wait = throttle.retry_after(body.email)
    if wait:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            f"Too many failed sign-ins for this account; try again in {wait} seconds",
            headers={"Retry-After": str(wait)},
        )
    user = await crud.get_user_by_email(session, email=body.email)
    password_hash = user.password_hash if user else None
    if user is None or not await to_thread.run_sync(verify_password, body.password, password_hash):
        throttle.record_failure(body.email)
        logger.info("sign-in failed", extra={"reason": "bad credentials"})
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "Wrong email or password")
    throttle.reset(body.email)
    return AuthResponse(
        token=create_token(settings, user_id=user.id), user=UserPublic.model_validate(user)
    )


@router.get("/me", responses=error_responses(401))
async def me(user_id: CurrentUserId, session: SessionDep) -> UserPublic:
    """The signed-in user."""
    user = await crud.get_user(session, user_id=user_id)
    if user is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "This account no longer exists")
    return UserPublic.model_validate(user)
