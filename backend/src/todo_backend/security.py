"""Password hashing (argon2) and session tokens (JWT HS256, `jwt_hs256`)."""

import time
from dataclasses import dataclass

import anyio
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from todo_backend import jwt_hs256
from todo_backend.settings import Settings

_hasher = PasswordHasher()
# Who the token is for: a token minted for another service with the same secret is refused.
JWT_AUDIENCE = "todo-chatbot-api"
# Verifying against this keeps sign-in time the same whether or not the email exists.
_DUMMY_HASH = _hasher.hash("timing-equaliser-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    """Whether `password` matches; with no hash (unknown email) it verifies against a dummy
    hash all the same, so both answers take as long and reveal nothing."""
    try:
        matches = _hasher.verify(password_hash or _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return False
    return matches and password_hash is not None


class PasswordHashing:
    """argon2 in worker threads, at most `concurrency` at a time.

    Each hash takes 64 MiB and ~100 ms of CPU: unbounded, a burst of sign-ups exhausts memory.
    Its own limiter also keeps hashes out of the thread pool that other requests use."""

    def __init__(self, concurrency: int) -> None:
        self._limiter = anyio.CapacityLimiter(concurrency)

    async def hash(self, password: str) -> str:
        return await anyio.to_thread.run_sync(hash_password, password, limiter=self._limiter)

    async def verify(self, password: str, password_hash: str | None) -> bool:
        return await anyio.to_thread.run_sync(
            verify_password, password, password_hash, limiter=self._limiter
        )


@dataclass(frozen=True)
class TokenClaims:
    subject: str
    expires_at: int
    version: int


class InvalidTokenError(Exception):
    """The token is missing, malformed, expired or not signed by us."""


def create_token(settings: Settings, *, user_id: str, version: int) -> str:
    """A token for `user_id`; `version` is the user's token version, which sign-out raises."""
    now = int(time.time())
    claims: dict[str, object] = {
        "sub": user_id,
        "aud": JWT_AUDIENCE,
        "ver": version,
        "iat": now,
        "exp": now + settings.jwt_ttl_seconds,
    }
    if settings.jwt_issuer:
        claims["iss"] = settings.jwt_issuer
    return jwt_hs256.encode(claims, settings.auth_secret)


# Tokens already verified, with their claims: (secret, issuer, token) -> claims. Checking the
# signature and claims again on every request of a session would give the same answer; only
# the expiry changes with time, and it is checked on every use. Bounded: emptied when full.
_verified: dict[tuple[str, str, str], TokenClaims] = {}
VERIFIED_TOKENS_MAX = 4096


def decode_token(settings: Settings, token: str) -> TokenClaims:
    """The claims of a token we issued; `InvalidTokenError` for any other token, or once it
    has expired. (Whether it was revoked since is for the database to say: `identity`.)"""
    key = (settings.auth_secret, settings.jwt_issuer, token)
    claims = _verified.get(key)
    if claims is None:
        claims = _verified_claims(settings, token)
        if len(_verified) >= VERIFIED_TOKENS_MAX:
            _verified.clear()
        _verified[key] = claims
    elif jwt_hs256.expired(claims.expires_at, time.time()):
        del _verified[key]
        raise InvalidTokenError(jwt_hs256.EXPIRED)
    return claims


def _verified_claims(settings: Settings, token: str) -> TokenClaims:
    try:
        claims = jwt_hs256.decode(
            token,
            settings.auth_secret,
            audience=JWT_AUDIENCE,
            issuer=settings.jwt_issuer or None,
            required=("sub", "aud", "ver", "exp", "iat"),
        )
    except jwt_hs256.TokenError as error:
        raise InvalidTokenError(str(error)) from error
    subject = claims["sub"]
    if not isinstance(subject, str) or not subject:
        raise InvalidTokenError("token subject is not a user id")
    version = claims["ver"]
    if not isinstance(version, int) or isinstance(version, bool):
        raise InvalidTokenError("token version is not a number")
    return TokenClaims(subject=subject, expires_at=int(claims["exp"]), version=version)
