"""Password hashing (argon2) and session tokens (JWT HS256)."""

import time
from dataclasses import dataclass

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from todo_backend.settings import Settings

_hasher = PasswordHasher()
JWT_ALGORITHM = "HS256"
# Verifying against this keeps sign-in time the same whether or not the email exists.
_DUMMY_HASH = _hasher.hash("timing-equaliser-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class TokenClaims:
    subject: str
    expires_at: int


class InvalidTokenError(Exception):
    """The token is missing, malformed, expired or not signed by us."""


def create_token(settings: Settings, *, user_id: str) -> str:
    now = int(time.time())
    claims: dict[str, object] = {"sub": user_id, "iat": now, "exp": now + settings.jwt_ttl_seconds}
    if settings.better_auth_url:
        claims["iss"] = settings.better_auth_url
    return jwt.encode(claims, settings.better_auth_secret, algorithm=JWT_ALGORITHM)


def decode_token(settings: Settings, token: str) -> TokenClaims:
    try:
        claims = jwt.decode(
            token,
            settings.better_auth_secret,
            algorithms=[JWT_ALGORITHM],
            issuer=settings.better_auth_url or None,
            options={"require": ["sub", "exp", "iat"]},
        )
    except jwt.PyJWTError as error:
        raise InvalidTokenError(str(error)) from error
    subject = claims["sub"]
    if not isinstance(subject, str) or not subject:
        raise InvalidTokenError("token subject is not a user id")
    return TokenClaims(subject=subject, expires_at=int(claims["exp"]))
