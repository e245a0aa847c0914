"""The HTTP side of idempotency keys: the `Idempotency-Key` header, and replaying a stored
response the way it was first sent."""

from typing import Annotated

from fastapi import Header
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from todo_backend import idempotency
from todo_backend.models import IDEMPOTENCY_KEY_MAX

REPLAYED_HEADER = "Idempotent-Replayed"

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=IDEMPOTENCY_KEY_MAX,
        pattern=r"^[!-~]+$",  # visible ASCII: what a client's UUID or token is made of
        description="Any unique string (a UUID): a retry with the same key and body gets the "
        "first response again instead of repeating the request. Kept for a day.",
    ),
]


def replayed(stored: idempotency.StoredResponse) -> JSONResponse:
    return JSONResponse(
        stored.body, status_code=stored.status_code, headers={REPLAYED_HEADER: "true"}
    )


async def previous_response(
    session: AsyncSession, request: idempotency.KeyedRequest | None
) -> idempotency.StoredResponse | None:
    """The response a request with this key already got; raises if the key is busy or taken."""
    if request is None:
        return None
    return await idempotency.stored_response(session, request)


async def commit_or_replay(
    session: AsyncSession, request: idempotency.KeyedRequest
) -> JSONResponse | None:
    """Commit the request's effect with its key; if a concurrent twin stored the key first,
    this effect is undone and the twin's response is the answer."""
    try:
        await session.commit()
    except IntegrityError as error:
        return replayed(await idempotency.response_of_a_concurrent_twin(session, request, error))
    return None
