"""The session cookie (carries the backend's token, never readable by JavaScript) and CSRF tokens.

Every page carries a CSRF token; forms send it back as a field, JavaScript as the X-CSRF-Token
header. Another site can make the browser send the cookies but cannot read a page to learn the
token. A signed-in browser's token is its session's own, made at sign-in and kept in the signed
session cookie: a token seen before signing in, or planted with a cookie of its own, is worthless
in the session. A visitor's (for the sign-in and sign-up forms) lives in a signed HttpOnly cookie
of its own, which sign-in and sign-out delete, so the next visitor page makes a new one.
"""

import hmac
import secrets
from dataclasses import asdict, dataclass
from typing import Literal

from itsdangerous import BadSignature, URLSafeSerializer, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

SESSION_COOKIE = "todo_session"
CSRF_COOKIE = "todo_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class Session:
    token: str
    user_id: str
    name: str
    email: str
    csrf_token: str


CookieSecure = Literal["auto", "true", "false"]


def secure_cookies(request: Request, policy: CookieSecure) -> bool:
    """Whether cookies get `Secure`: forced by COOKIE_SECURE, or (auto) when the request came
    over HTTPS, as the socket or a trusted proxy's X-Forwarded-Proto says."""
    if policy == "auto":
        return request.url.scheme == "https"
    return policy == "true"


class Sessions:
    def __init__(self, secret: str, max_age_seconds: int, secure: CookieSecure = "auto") -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt="todo-frontend-session")
        self._max_age = max_age_seconds
        self._secure = secure

    def read(self, request: Request) -> Session | None:
        cookie = request.cookies.get(SESSION_COOKIE)
        if not cookie:
            return None
        try:
            data = self._serializer.loads(cookie, max_age=self._max_age)
            return Session(**data)
        except (BadSignature, TypeError):
            return None

    def write(self, request: Request, response: Response, session: Session) -> None:
        response.set_cookie(
            SESSION_COOKIE,
            self._serializer.dumps(asdict(session)),
            max_age=self._max_age,
            httponly=True,
            samesite="lax",
            secure=secure_cookies(request, self._secure),
        )

    def clear(self, response: Response) -> None:
        response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="lax")


class Csrf:
    def __init__(self, secret: str, max_age_seconds: int, secure: CookieSecure = "auto") -> None:
        self._serializer = URLSafeSerializer(secret, salt="todo-frontend-csrf")
        self._max_age = max_age_seconds
        self._secure = secure

    def _cookie_token(self, request: Request) -> str | None:
        cookie = request.cookies.get(CSRF_COOKIE)
        if not cookie:
            return None
        try:
            token = self._serializer.loads(cookie)
        except BadSignature:
            return None
        return token if isinstance(token, str) else None

    def token_for(self, request: Request, session: Session | None) -> tuple[str, bool]:
        """The CSRF token for the request's page, and whether it is a visitor's new one (then
        the cookie must be set)."""
        if session is not None:
            return session.csrf_token, False
        existing = self._cookie_token(request)
        if existing:
            return existing, False
        return new_csrf_token(), True

    def set_cookie(self, request: Request, response: Response, token: str) -> None:
        response.set_cookie(
            CSRF_COOKIE,
            self._serializer.dumps(token),
            max_age=self._max_age,
            httponly=True,
            samesite="lax",
            secure=secure_cookies(request, self._secure),
        )

    def clear(self, response: Response) -> None:
        response.delete_cookie(CSRF_COOKIE, httponly=True, samesite="lax")

    def is_valid(self, request: Request, session: Session | None, submitted: str | None) -> bool:
        expected = session.csrf_token if session is not None else self._cookie_token(request)
        if not expected or not submitted:
            return False
        return hmac.compare_digest(expected.encode(), submitted.encode())
