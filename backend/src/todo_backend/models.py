"""Data models: table models and the request/response models built from the same fields."""

import re
import uuid
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import field_validator
from sqlalchemy import CheckConstraint, DateTime, Index, String, Text, TypeDecorator
from sqlalchemy.engine import Dialect
from sqlmodel import Field, SQLModel
from sqlmodel._compat import SQLModelConfig

from todo_backend.task_fields import (
    DEFAULT_PRIORITY,
    DEFAULT_TIME_ZONE,
    PRIORITIES,
    TAG_MAX,
    TIME_ZONE_MAX,
    DueAt,
    Priority,
    Tags,
    TimeZoneName,
)

TITLE_MAX = 200
DESCRIPTION_MAX = 1000
MESSAGE_MAX = 4000
NAME_MAX = 100
PASSWORD_MIN = 8
PASSWORD_MAX = 128
# Row ids are positive and fit PostgreSQL's INTEGER (SQLite's is wider): the API refuses any
# other id at the edge, so no query ever overflows a column.
ID_MIN = 1
ID_MAX = 2**31 - 1


def utc_now() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC timestamps on every database (SQLite returns naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        # SQLite keeps the wall time and drops the offset: every moment is stored in UTC.
        if value is not None and value.tzinfo is not None:
            return value.astimezone(UTC)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if isinstance(value, datetime) and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value  # type: ignore[no-any-return]

    def result_processor(self, dialect: Dialect, coltype: Any) -> Any:
        # PostgreSQL's driver returns TIMESTAMPTZ aware, in UTC, already: no call per value (a
        # list of 100 tasks would otherwise make 200 of them).
        if dialect.name == "postgresql":
            return self.impl_instance.result_processor(dialect, coltype)
        return super().result_processor(dialect, coltype)


def _timestamp() -> Any:
    return Field(default_factory=utc_now, sa_type=UTCDateTime, nullable=False)


def _strip(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


def reject_nul(value: object) -> object:
    """Refuse NUL characters in text: PostgreSQL cannot store them, and no real input has them."""
    if isinstance(value, str) and "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


class InputModel(SQLModel):
    """Base of the models that read client input: every field's text is checked for NUL."""

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul(cls, value: object) -> object:
        return reject_nul(value)


# ---- users ----


# Deliberately simple: one "@", no spaces, a dot in the domain; deliverability is not checked.
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalize_email(value: object) -> object:
    return value.strip().lower() if isinstance(value, str) else value


class UserBase(InputModel):
    # The pattern documents in the schema what _valid_email enforces (with a clearer message).
    email: str = Field(max_length=254, schema_extra={"pattern": EMAIL_PATTERN.pattern})
    name: str = Field(min_length=1, max_length=NAME_MAX)

    @field_validator("email", mode="before")
    @classmethod
    def _valid_email(cls, value: object) -> object:
        value = normalize_email(value)
        if isinstance(value, str) and not EMAIL_PATTERN.match(value):
            raise ValueError("enter a valid email address, like name@example.com")
        return value

    @field_validator("name", mode="before")
    @classmethod
    def _strip_name(cls, value: object) -> object:
        return _strip(value)


class UserCreate(UserBase):
    password: str = Field(min_length=PASSWORD_MIN, max_length=PASSWORD_MAX)
    timezone: TimeZoneName = DEFAULT_TIME_ZONE


class UserUpdate(InputModel):
    """PATCH /api/auth/me: what a user may change of their account."""

    model_config = SQLModelConfig(extra="forbid")

    timezone: TimeZoneName


class SignIn(InputModel):
    email: str = Field(max_length=254)
    password: str = Field(max_length=PASSWORD_MAX)

    @field_validator("email", mode="before")
    @classmethod
    def _normalize_email(cls, value: object) -> object:
        return normalize_email(value)


class User(UserBase, table=True):
    __tablename__ = "users"

    id: str = Field(default_factory=lambda: uuid.uuid4().hex, primary_key=True, max_length=32)
    email: str = Field(max_length=254, unique=True, index=True)
    password_hash: str = Field(max_length=255)
    # Every token carries the version it was issued under; sign-out raises it, revoking them.
    token_version: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    created_at: datetime = _timestamp()
    # Where "tomorrow at 5pm" is: due dates are read and told in this zone.
    timezone: str = Field(
        default=DEFAULT_TIME_ZONE,
        max_length=TIME_ZONE_MAX,
        sa_column_kwargs={"server_default": DEFAULT_TIME_ZONE},
    )


class UserPublic(UserBase):
    id: str
    email: str
    created_at: datetime
    timezone: str


class AuthResponse(SQLModel):
    token: str
    user: UserPublic


# ---- tasks ----

TaskStatus = Literal["all", "pending", "completed"]


class TaskBase(InputModel):
    title: str = Field(min_length=1, max_length=TITLE_MAX)
    description: str | None = Field(default=None, max_length=DESCRIPTION_MAX)

    @field_validator("title", "description", mode="before")
    @classmethod
    def _strip_text(cls, value: object) -> object:
        return _strip(value)


class TaskCreate(TaskBase):
    model_config = SQLModelConfig(extra="forbid")

    due_at: DueAt | None = None
    priority: Priority = DEFAULT_PRIORITY
    tags: Tags = Field(default_factory=list)


class TaskUpdate(InputModel):
    """PUT body: every field optional; only the fields sent change."""

    model_config = SQLModelConfig(extra="forbid")

    title: str | None = Field(default=None, min_length=1, max_length=TITLE_MAX)
    description: str | None = Field(default=None, max_length=DESCRIPTION_MAX)
    completed: bool | None = None
    due_at: DueAt | None = None  # null clears it
    priority: Priority | None = None
    tags: Tags | None = None  # the whole new set; [] clears it

    @field_validator("title", "description", mode="before")
    @classmethod
    def _strip_text(cls, value: object) -> object:
        return _strip(value)


_PRIORITY_NAMES = ", ".join(f"'{name}'" for name in PRIORITIES)


class Task(TaskBase, table=True):
    __tablename__ = "tasks"
    __table_args__ = (
        Index("ix_tasks_user_id_due_at", "user_id", "due_at"),
        CheckConstraint(f"priority IN ({_PRIORITY_NAMES})", name="ck_tasks_priority"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: str = Field(foreign_key="users.id", index=True, max_length=32, ondelete="CASCADE")
    completed: bool = Field(default=False, index=True)
    created_at: datetime = _timestamp()
    updated_at: datetime = _timestamp()
    due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    priority: str = Field(
        default=DEFAULT_PRIORITY,
        sa_type=String(6),
        sa_column_kwargs={"server_default": DEFAULT_PRIORITY},
    )


class TaskTag(SQLModel, table=True):
    """One tag of one task. Its own table, so that a tag filter is an index lookup; `user_id`
    (the task's owner) is here for that index."""

    __tablename__ = "task_tags"
    __table_args__ = (Index("ix_task_tags_user_id_tag", "user_id", "tag"),)

    task_id: int = Field(foreign_key="tasks.id", primary_key=True, ondelete="CASCADE")
    tag: str = Field(primary_key=True, max_length=TAG_MAX)
    user_id: str = Field(foreign_key="users.id", max_length=32, ondelete="CASCADE")


class TaskPublic(SQLModel):
    """A task as the API returns it. Not derived from TaskBase: output needs no input cleaning,
    and skipping those validators makes listing 100 tasks measurably cheaper."""

    id: int
    user_id: str
    title: str
    description: str | None
    completed: bool
    created_at: datetime
    updated_at: datetime
    due_at: datetime | None
    priority: Priority
    tags: list[str]


# ---- conversations ----

Role = Literal["user", "assistant"]


class Conversation(SQLModel, table=True):
    __tablename__ = "conversations"
    __table_args__ = (Index("ix_conversations_user_id_updated_at", "user_id", "updated_at"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: str = Field(foreign_key="users.id", max_length=32, ondelete="CASCADE")
    title: str = Field(default="New conversation", max_length=TITLE_MAX)
    created_at: datetime = _timestamp()
    updated_at: datetime = _timestamp()


class ConversationPublic(SQLModel):
    id: int
    user_id: str
    title: str
    created_at: datetime
    updated_at: datetime


class Message(SQLModel, table=True):
    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_conversation_id_id", "conversation_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: str = Field(foreign_key="users.id", max_length=32, ondelete="CASCADE")
    conversation_id: int = Field(foreign_key="conversations.id", ondelete="CASCADE")
    role: str = Field(max_length=16)
    content: str = Field(sa_type=Text)
    created_at: datetime = _timestamp()


class MessagePublic(SQLModel):
    id: int
    user_id: str
    conversation_id: int
    role: Role
    content: str
    created_at: datetime


class ConversationDetail(ConversationPublic):
    messages: list[MessagePublic]


# ---- chat ----


class ChatRequest(InputModel):
    model_config = SQLModelConfig(extra="forbid")

    conversation_id: int | None = Field(default=None, ge=ID_MIN, le=ID_MAX)
    message: str = Field(min_length=1, max_length=MESSAGE_MAX)
    # This turn's time zone, when it is not the account's (a traveller's phone, say).
    timezone: TimeZoneName | None = None

    @field_validator("message", mode="before")
    @classmethod
    def _strip_message(cls, value: object) -> object:
        return _strip(value)


class ToolCallPublic(SQLModel):
    name: str
    arguments: dict[str, Any]
    result: Any


class ChatResponse(SQLModel):
    conversation_id: int
    response: str
    tool_calls: list[ToolCallPublic]


# ---- idempotency ----

IDEMPOTENCY_KEY_MAX = 255


class IdempotencyKey(SQLModel, table=True):
    """A client's Idempotency-Key with the response its request got, so a retry gets that
    response again instead of repeating the request's effects. `status_code` is None while the
    request is still running (a chat turn)."""

    __tablename__ = "idempotency_keys"

    user_id: str = Field(
        foreign_key="users.id", primary_key=True, max_length=32, ondelete="CASCADE"
    )
    key: str = Field(primary_key=True, max_length=IDEMPOTENCY_KEY_MAX)
    fingerprint: str = Field(max_length=64)
    status_code: int | None = None
    response: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = _timestamp()


# ---- API tokens ----

API_TOKEN_NAME_MAX = 64
API_TOKEN_DAYS_MAX = 365


class ApiToken(SQLModel, table=True):
    """A named token a user gave an MCP client. Only its SHA-256 is kept (`api_tokens` says
    why that is enough); `last_used_at` is kept to the minute (`api_tokens.LAST_USED_STEP`)."""

    __tablename__ = "api_tokens"

    id: int | None = Field(default=None, primary_key=True)
    user_id: str = Field(foreign_key="users.id", index=True, max_length=32, ondelete="CASCADE")
    name: str = Field(max_length=API_TOKEN_NAME_MAX)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    created_at: datetime = _timestamp()
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ApiTokenCreate(InputModel):
    model_config = SQLModelConfig(extra="forbid")

    name: str = Field(min_length=1, max_length=API_TOKEN_NAME_MAX)
    expires_in_days: int = Field(ge=1, le=API_TOKEN_DAYS_MAX)

    @field_validator("name", mode="before")
    @classmethod
    def _strip_name(cls, value: object) -> object:
        return _strip(value)

    @field_validator("name")
    @classmethod
    def _printable_name(cls, value: str) -> str:
        if not value.isprintable():
            raise ValueError("must be printable characters only (no tabs or line breaks)")
        return value


class ApiTokenPublic(SQLModel):
    id: int
    name: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime


class ApiTokenCreated(ApiTokenPublic):
    """The new token's record and the token itself, which is never shown again."""

    token: str


# ---- errors and health ----


class ErrorResponse(SQLModel):
    detail: str


class HealthStatus(SQLModel):
    status: Literal["ok", "unavailable"]
    database: Literal["ok", "unavailable"] | None = None
    # Which code answers (readiness only): the project's version and the image's build.
    version: str | None = None
    build: str | None = None


# ---- rate limits ----


class RateLimitCounter(SQLModel, table=True):
    """One key's current window of a limit that every replica shares
    (`ratelimit.SharedCounter`): the key is the limit's name and what it counts by. Used on
    PostgreSQL, where the table is UNLOGGED; SQLite (one process) counts in memory."""

    __tablename__ = "rate_limit_counters"

    key: str = Field(primary_key=True, sa_type=Text)
    hits: int
    window_end: float
    last_hit: float
