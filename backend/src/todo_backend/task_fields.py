"""The rules of a task's planning fields and of a user's time zone, in one place: the REST
models, the MCP tools and the agents all read them from here.

- `due_at`: an aware date-time (a time without an offset is ambiguous: refused, not guessed);
  stored and returned in UTC.
- `priority`: low, medium (the default) or high; `PRIORITY_RANK` is their order.
- `tags`: up to `TAGS_MAX` distinct lowercase words of letters, digits, "-" or "_", kept sorted.
- a time zone: an IANA name, such as "Europe/Paris"."""

import re
from datetime import UTC, datetime
from typing import Annotated, Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BeforeValidator, Field

Priority = Literal["low", "medium", "high"]
PRIORITIES: tuple[Priority, ...] = get_args(Priority)
PRIORITY_RANK: dict[str, int] = {name: rank for rank, name in enumerate(PRIORITIES, start=1)}
DEFAULT_PRIORITY: Priority = "medium"

TAGS_MAX = 10
TAG_MAX = 32
TAG_PATTERN = re.compile(r"^[a-z0-9_-]{1,32}$")
TIME_ZONE_MAX = 64
DEFAULT_TIME_ZONE = "UTC"


def aware_utc(value: datetime) -> datetime:
    """The moment in UTC; a date-time without an offset is refused."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("give a time zone offset, like 2026-12-08T17:00:00+01:00")
    return value.astimezone(UTC)


def clean_tags(value: object) -> object:
    """Lowercase, stripped, without repeats and sorted; anything that is not a tag is refused."""
    if not isinstance(value, list | tuple):
        return value
    tags: set[str] = set()
    for tag in value:
        if not isinstance(tag, str):
            raise ValueError("each tag must be a string")
        tag = tag.strip().lower().removeprefix("#")
        if not TAG_PATTERN.match(tag):
            raise ValueError(
                f"{tag!r} is not a tag: use 1 to {TAG_MAX} letters, digits, '-' or '_'"
            )
        tags.add(tag)
    if len(tags) > TAGS_MAX:
        raise ValueError(f"at most {TAGS_MAX} tags")
    return sorted(tags)


def time_zone(name: str) -> str:
    """An IANA time zone name, checked against the time zone database."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"{name!r} is not a time zone: use an IANA name, like Europe/Paris"
        ) from None
    return name


DueAt = Annotated[datetime, AfterValidator(aware_utc)]
Tags = Annotated[list[str], BeforeValidator(clean_tags), Field(max_length=TAGS_MAX)]
TimeZoneName = Annotated[
    str, Field(min_length=1, max_length=TIME_ZONE_MAX), AfterValidator(time_zone)
]
