"""Every setting of the backend, read from the environment (and `.env`) at start."""

from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from todo_common.build import FROM_SOURCE
from todo_common.client_address import checked_proxy_secret
from todo_common.configuration import LOCAL_MODE_HOST
from todo_common.secrets import checked_secret

# HTTP clients that log every call at INFO: the request log line already covers them.
QUIET_LOGGERS = ("httpx", "httpx2", "openai", "openai.agents", "mcp")


@dataclass(frozen=True)
class Quotas:
    """How much one user may keep; see the max_* settings."""

    tasks: int
    conversations: int
    messages_per_conversation: int


class Settings(BaseSettings):
    # An empty variable (`PORT=` in a copied .env.example) means the setting's default.
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", env_ignore_empty=True)

    database_url: str = "sqlite:///./todo.db"
    # The key that signs tokens, and the `iss` claim they carry and must carry when set. Both
    # are read under the names the deployment contract (charts, compose, .env) gives them, and
    # Settings(...) takes those names too: there is no second spelling to set them by.
    auth_secret: str = Field(default="", validation_alias="BETTER_AUTH_SECRET")
    jwt_issuer: str = Field(default="", validation_alias="BETTER_AUTH_URL")
    openai_api_key: str = ""
    openai_base_url: str = ""
    openai_model: str = "gpt-4o-mini"
    agent_provider: Literal["auto", "builtin", "openai"] = "auto"
    port: int = Field(default=8000, ge=1, le=65535)
    # The interface to listen on: every one in a container; in LOCAL_MODE 127.0.0.1 unless HOST
    # is given, since its fixed development secret would let anyone on the network forge a
    # session.
    host: str = "0.0.0.0"  # noqa: S104
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    local_mode: bool = False
    migrate_on_start: bool = True
    # Prometheus metrics on a port of their own, which no public Service exposes; 0 serves
    # /metrics on the API port instead (a single-port setup such as `make run`).
    metrics_port: int = Field(default=9464, ge=0, le=65535)
    # The interactive API docs (/docs, /openapi.json); false hides them.
    docs_enabled: bool = True
    mcp_allowed_hosts: str = ""
    # The image's immutable tag, set by the Helm chart from `image.tag`; reported by the health
    # endpoint with the version ("dev": run from a checkout).
    image_build: str = FROM_SOURCE

    jwt_ttl_seconds: int = 7 * 24 * 3600
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    # An oversized body is read and discarded up to this size so the client sees the 413.
    max_body_drain_bytes: int = Field(default=10 * 1024 * 1024, ge=0)
    chat_history_messages: int = 20
    llm_timeout_seconds: float = 60.0
    # Quotas: they bound every read (the task list, the dashboard, the agents' searches).
    max_tasks_per_user: int = Field(default=1000, ge=1)
    max_conversations_per_user: int = Field(default=100, ge=1)
    max_messages_per_conversation: int = Field(default=500, ge=2)
    # Model calls one chat turn may make (each tool-call round is one); bounds a turn's cost.
    llm_max_turns: int = Field(default=10, ge=1, le=50)
    # The Agents SDK's tracing sends chat text to OpenAI's trace store: only when asked for.
    agents_tracing: bool = False

    # Abuse resistance (README "Security"). `rate_limits=off` lifts the request-rate limits
    # (sign-up, sign-in, chat turns) for load tests; failed sign-ins stay throttled.
    rate_limits: Literal["on", "off"] = "on"
    # Addresses or networks (comma-separated) whose X-Forwarded-For/-Proto uvicorn believes: an
    # ingress in front of the backend. The frontend proves its visitors' addresses with
    # PROXY_SECRET instead (todo_common.client_address).
    trusted_proxies: str = "127.0.0.1"
    # The key the frontend signs its visitors' addresses with; the frontend's PROXY_SECRET.
    # Empty: no signed address is believed (a fixed one in LOCAL_MODE).
    proxy_secret: str = ""
    password_hash_concurrency: int = Field(default=2, ge=1, le=64)
    sign_up_per_address_per_hour: int = Field(default=20, ge=0)
    sign_in_per_address_per_minute: int = Field(default=30, ge=0)
    auth_requests_per_minute: int = Field(default=600, ge=0)
    sign_in_max_failures: int = Field(default=5, ge=1)
    # Failed sign-ins for one account from every address together; past them, each further
    # attempt waits twice as long as the one before (2, 4, 8... seconds).
    sign_in_max_failures_per_account: int = Field(default=20, ge=1)
    sign_in_failure_window_seconds: int = Field(default=300, ge=1)
    chat_turns_per_minute: int = Field(default=10, ge=0)
    chat_turns_per_day: int = Field(default=200, ge=0)
    mcp_requests_per_api_token_per_minute: int = Field(default=120, ge=0)
    rate_limit_max_keys: int = Field(default=100_000, ge=100)

    @field_validator("log_level", "rate_limits", mode="before")
    @classmethod
    def _lowercase_choices(cls, value: object) -> object:
        """Fields with a fixed set of lower-case values take them in any case (LOG_LEVEL=INFO)."""
        return value.lower() if isinstance(value, str) else value

    @field_validator("database_url")
    @classmethod
    def _supported_database_url(cls, value: str) -> str:
        from todo_backend.data.engine import (
            parse_database_url,
        )  # db imports drivers; keep settings light

        parse_database_url(value)
        return value

    @model_validator(mode="after")
    def _loopback_in_local_mode(self) -> "Settings":
        if self.local_mode and "host" not in self.model_fields_set:
            self.host = LOCAL_MODE_HOST
        return self

    @model_validator(mode="after")
    def _require_a_real_secret(self) -> "Settings":
        self.auth_secret = checked_secret(self.auth_secret, local_mode=self.local_mode)
        self.proxy_secret = checked_proxy_secret(self.proxy_secret, local_mode=self.local_mode)
        return self

    @property
    def agent_uses_llm(self) -> bool:
        if self.agent_provider == "auto":
            return bool(self.openai_api_key or self.openai_base_url)
        return self.agent_provider == "openai"

    @property
    def quotas(self) -> Quotas:
        return Quotas(
            tasks=self.max_tasks_per_user,
            conversations=self.max_conversations_per_user,
            messages_per_conversation=self.max_messages_per_conversation,
        )

    @property
    def rate_limits_on(self) -> bool:
        return self.rate_limits == "on"

    @property
    def mcp_host_patterns(self) -> list[str]:
        extra = [host.strip() for host in self.mcp_allowed_hosts.split(",") if host.strip()]
        return ["localhost", "localhost:*", "127.0.0.1", "127.0.0.1:*", *extra]


@lru_cache
def get_settings() -> Settings:
    return Settings()
