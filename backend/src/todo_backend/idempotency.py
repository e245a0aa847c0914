"""Idempotency keys: a client that retries a request with the same `Idempotency-Key` gets the
first request's response again, and the request's effects happen once.

Why keys rather than one transaction per chat turn: the LLM agent's tools run through MCP, each
call in a session of its own, so a turn's effects cannot share one database transaction with its
messages; and a client that timed out cannot tell a lost request from a lost response without a
key. The key's row is written in the same commit as the request's effect (the task, or the
turn's messages), so a key is never stored without its effect, nor the effect without its key.
Keys are per user and kept for a day.
"""

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import orjson
from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from todo_backend.models import IdempotencyKey, utc_now

KEY_TTL = timedelta(days=1)
# A chat turn that has not finished after this long was lost (a crash): its key may be retried.
PENDING_TTL = timedelta(minutes=10)


class KeyReusedError(Exception):
    """The key was used before for a different request."""


class KeyInProgressError(Exception):
    """The key's first request is still running."""


@dataclass(frozen=True)
class KeyedRequest:
    """A request that carries an Idempotency-Key: whose, the key, and what was asked."""

    user_id: str
    key: str
    fingerprint: str


@dataclass(frozen=True)
class StoredResponse:
    status_code: int
    body: Any


def keyed_request(
    user_id: str, key: str | None, operation: str, body: dict[str, Any]
) -> KeyedRequest | None:
    """The request's identity for idempotency, or None without a key. `operation` names what
    the request does ("create_task", "chat"), so one key cannot serve two kinds of request."""
    if key is None:
        return None
    canonical = orjson.dumps(body, option=orjson.OPT_SORT_KEYS)
    digest = hashlib.sha256(operation.encode() + b"\n" + canonical)
    return KeyedRequest(user_id=user_id, key=key, fingerprint=digest.hexdigest())


async def stored_response(session: AsyncSession, request: KeyedRequest) -> StoredResponse | None:
    """The response stored for the key, or None if the key is new (or expired)."""
    result = await session.exec(
        select(
            IdempotencyKey.fingerprint,
            IdempotencyKey.status_code,
            IdempotencyKey.response,
            IdempotencyKey.created_at,
        ).where(IdempotencyKey.user_id == request.user_id, IdempotencyKey.key == request.key)
    )
    row = result.first()
    if row is None:
        return None
    fingerprint, status_code, response, created_at = row
    age = utc_now() - created_at
    if age > KEY_TTL or (status_code is None and age > PENDING_TTL):
        return None
    if fingerprint != request.fingerprint:
        raise KeyReusedError
    if status_code is None or response is None:
        raise KeyInProgressError
    return StoredResponse(status_code=status_code, body=orjson.loads(response))


async def _forget_expired(session: AsyncSession, request: KeyedRequest) -> None:
    """Delete the user's expired keys (and a lost turn's claim on this key)."""
    now = utc_now()
    await session.exec(
        delete(IdempotencyKey).where(
            col(IdempotencyKey.user_id) == request.user_id,
            (col(IdempotencyKey.created_at) < now - KEY_TTL)
            | (
                (col(IdempotencyKey.key) == request.key)
                & col(IdempotencyKey.status_code).is_(None)
                & (col(IdempotencyKey.created_at) < now - PENDING_TTL)
            ),
        )
    )


async def stage_response(
    session: AsyncSession, request: KeyedRequest, *, status_code: int, body: Any
) -> None:
    """Add the key with its response to the session, to commit with the request's effect."""
    await _forget_expired(session, request)
    session.add(
        IdempotencyKey(
            user_id=request.user_id,
            key=request.key,
            fingerprint=request.fingerprint,
            status_code=status_code,
            response=orjson.dumps(body).decode(),
        )
    )


async def stage_claim(session: AsyncSession, request: KeyedRequest) -> None:
    """Add the key without a response yet (a chat turn starting), to commit with its first
    effect; a concurrent retry then finds it and waits instead of running the turn again."""
    await _forget_expired(session, request)
    session.add(
        IdempotencyKey(user_id=request.user_id, key=request.key, fingerprint=request.fingerprint)
    )


async def stage_completion(
    session: AsyncSession, request: KeyedRequest, *, status_code: int, body: Any
) -> None:
    """Give a claimed key its response, to commit with the turn's last effect."""
    await session.exec(
        update(IdempotencyKey)
        .where(
            col(IdempotencyKey.user_id) == request.user_id,
            col(IdempotencyKey.key) == request.key,
        )
        .values(status_code=status_code, response=orjson.dumps(body).decode())
    )


async def response_of_a_concurrent_twin(
    session: AsyncSession, request: KeyedRequest, error: IntegrityError
) -> StoredResponse:
    """After a commit failed: the response of the request that stored the same key first.
    Re-raises `error` when the failure was something else."""
    await session.rollback()
    stored = await stored_response(session, request)
    if stored is None:
        raise error
    return stored
