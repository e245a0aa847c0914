"""Paging of list routes: the `limit` parameter, the `Link: <...>; rel="next"` header, and the
cursors: of lists ordered by a timestamp and then an id, and of lists in other orders."""

import base64
import binascii
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import orjson
from fastapi import HTTPException, Query, Request, status

from todo_backend.models import ID_MAX, ID_MIN

PAGE_MAX = 1000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)

PageLimit = Annotated[
    int | None,
    Query(ge=1, le=PAGE_MAX, description="At most this many; without it, all of them."),
]


def next_page_link(request: Request, cursor: str) -> str:
    """A relative link to the next page, with the request's other parameters: relative, so it
    stays right behind the frontend's proxy."""
    url = request.url.include_query_params(cursor=cursor)
    return f'<{url.path}?{url.query}>; rel="next"'


def bad_cursor() -> HTTPException:
    """The 422 for a cursor this API did not give."""
    return HTTPException(
        status.HTTP_422_UNPROCESSABLE_CONTENT, "cursor: use the one from the Link header"
    )


def values_cursor(values: Sequence[Any]) -> str:
    """Where a list goes on, as the values of its last row's sort keys: the id alone as a plain
    number (what the newest-first order has always used), others as URL-safe base64 JSON."""
    if len(values) == 1:
        return str(values[0])
    return base64.urlsafe_b64encode(orjson.dumps(values)).decode().rstrip("=")


def parse_values_cursor(cursor: str) -> list[Any]:
    """The values of a cursor from `values_cursor`; a 422 for anything that is not one."""
    if cursor.isdigit():
        if len(cursor) > 10 or not ID_MIN <= int(cursor) <= ID_MAX:
            raise bad_cursor()
        return [int(cursor)]
    try:
        values = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError):
        raise bad_cursor() from None
    if not isinstance(values, list):
        raise bad_cursor()
    return values


def time_cursor(moment: datetime, row_id: int) -> str:
    """Where a list ordered by time, then id, goes on: "<microseconds since 1970>.<id>"."""
    return f"{(moment - _EPOCH) // _MICROSECOND}.{row_id}"


def parse_time_cursor(cursor: str) -> tuple[datetime, int]:
    """The (time, id) of a cursor from `time_cursor`; a 422 for anything else."""
    micros, dot, row_id = cursor.partition(".")
    if (
        dot
        and micros.isdigit()
        and row_id.isdigit()
        and len(micros) <= 19
        and ID_MIN <= int(row_id) <= ID_MAX
    ):
        try:
            return _EPOCH + int(micros) * _MICROSECOND, int(row_id)
        except OverflowError:
            pass
    raise bad_cursor()
