"""One JSON error shape for every failure: {"detail": "<what went wrong>"}; never a trace."""

import logging
from typing import Any

import sqlalchemy.exc
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from todo_backend.chat import ConversationNotFoundError
from todo_backend.data.engine import database_unreachable
from todo_backend.data.turns import CallerNotCurrentError
from todo_backend.idempotency import KeyInProgressError, KeyReusedError
from todo_backend.models import ErrorResponse
from todo_backend.quotas import QuotaExceededError
from todo_backend.ratelimit import RateLimitedError

logger = logging.getLogger("todo_backend.errors")
SIGN_IN_FIRST = "Sign in first: a valid Bearer token is required"


def _describe(error: dict[str, Any]) -> str:
    location = ".".join(str(part) for part in error.get("loc", ()) if part != "body")
    message = str(error.get("msg", "is invalid")).removeprefix("Value error, ")
    return f"{location}: {message}" if location else message


def _public_errors(errors: Any) -> list[dict[str, Any]]:
    # Without "input" and "ctx": they would echo submitted values, passwords included.
    return [
        {"loc": list(e.get("loc", ())), "msg": e.get("msg"), "type": e.get("type")} for e in errors
    ]


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    detail = "; ".join(_describe(e) for e in errors) or "The request is invalid"
    return JSONResponse({"detail": detail, "errors": _public_errors(errors)}, status_code=422)


async def _key_reused(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(
        {"detail": "This Idempotency-Key was already used for a different request"},
        status_code=422,
    )


async def _key_in_progress(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(
        {"detail": "The request with this Idempotency-Key is still being processed; retry soon"},
        status_code=409,
        headers={"Retry-After": "1"},
    )


async def _caller_not_current(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(
        {"detail": SIGN_IN_FIRST}, status_code=401, headers={"WWW-Authenticate": "Bearer"}
    )


async def _conversation_not_found(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": "Conversation not found"}, status_code=404)


async def _over_quota(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=409)


DATABASE_RETRY_SECONDS = 5


async def _database_error(request: Request, exc: Exception) -> JSONResponse:
    """A database outage is a fast 503 with Retry-After: the client may retry, nothing broke."""
    if not database_unreachable(exc):
        return await _unexpected_error(request, exc)
    logger.warning(
        "database unavailable",
        extra={"path": request.url.path, "error": type(exc).__name__},
    )
    return JSONResponse(
        {"detail": "The database is unavailable right now; please try again in a few seconds"},
        status_code=503,
        headers={"Retry-After": str(DATABASE_RETRY_SECONDS)},
    )


async def _rate_limited(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RateLimitedError)
    logger.info(
        "rate limited",
        extra={"path": request.url.path, "reason": exc.what, "retry_after": exc.retry_after},
    )
    return JSONResponse(
        {"detail": exc.what, "retry_after": exc.retry_after},
        status_code=429,
        headers={"Retry-After": str(exc.retry_after)},
    )


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    request_id = request.scope.get("state", {}).get("request_id")
    logger.error(
        "unhandled error",
        exc_info=exc,
        extra={"path": request.url.path, "request_id": request_id},
    )
    return JSONResponse(
        {"detail": "Something went wrong on our side; please try again", "request_id": request_id},
        status_code=500,
        headers={"x-request-id": request_id} if request_id else None,
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(KeyReusedError, _key_reused)
    app.add_exception_handler(KeyInProgressError, _key_in_progress)
    app.add_exception_handler(QuotaExceededError, _over_quota)
    app.add_exception_handler(CallerNotCurrentError, _caller_not_current)
    app.add_exception_handler(ConversationNotFoundError, _conversation_not_found)
    for unreachable in (OSError, TimeoutError, sqlalchemy.exc.SQLAlchemyError):
        app.add_exception_handler(unreachable, _database_error)
    app.add_exception_handler(RateLimitedError, _rate_limited)
    app.add_exception_handler(Exception, _unexpected_error)


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI documentation of a route's error statuses."""
    descriptions = {
        401: "Missing or invalid token",
        403: "The path's user is not the token's user",
        404: "Not found (or not yours)",
        409: "Conflict",
        413: "Request body too large",
        422: "Invalid request",
        429: "Too many requests; the Retry-After header says when to try again",
        503: "Unavailable",
    }
    return {code: {"model": ErrorResponse, "description": descriptions[code]} for code in codes}
