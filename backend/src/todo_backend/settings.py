"""Every setting of the backend, read from the environment (and `.env`) at start."""

from functools import lru_cache
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Values people copy from examples; running a real deployment with one of them is a mistake.
PLACEHOLDER_SECRETS = frozenset(
    {"", "changeme", "change-me", "secret", "test", "your-secret-here", "replace-me"}
)
# Used only in LOCAL_MODE (what `make run` sets), so a laptop needs no configuration.
LOCAL_MODE_SECRET = "local-mode-secret-not-for-production-use-0000"
MIN_SECRET_LENGTH = 32


class SettingsError(ValueError):
    """A setting is missing or unsafe; the message says what to set."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = "sqlite:///./todo.db"
    better_auth_secret: str = ""
    better_auth_url: str = ""
    openai_api_key: str = ""
    openai_base_url: str = ""
    openai_model: str = "gpt-4o-mini"
    agent_provider: Literal["auto", "builtin", "openai"] = "auto"
    port: int = Field(default=8000, ge=1, le=65535)
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    local_mode: bool = False
    migrate_on_start: bool = True
    mcp_allowed_hosts: str = ""

    jwt_ttl_seconds: int = 7 * 24 * 3600
    max_body_bytes: int = 64 * 1024
    chat_history_messages: int = 20
    llm_timeout_seconds: float = 60.0

    @field_validator("log_level", mode="before")
    @classmethod
    def _lower_log_level(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @field_validator("database_url")
    @classmethod
    def _supported_database_url(cls, value: str) -> str:
        from todo_backend.db import parse_database_url  # db imports drivers; keep settings light

        parse_database_url(value)
        return value

    @model_validator(mode="after")
    def _require_a_real_secret(self) -> "Settings":
        secret = self.better_auth_secret.strip()
        if self.local_mode and secret in PLACEHOLDER_SECRETS:
            self.better_auth_secret = LOCAL_MODE_SECRET
            return self
        if secret.lower() in PLACEHOLDER_SECRETS or len(secret) < MIN_SECRET_LENGTH:
            raise SettingsError(
                "BETTER_AUTH_SECRET must be set to a random value of at least "
                f"{MIN_SECRET_LENGTH} characters (for example: openssl rand -hex 32); "
                "set LOCAL_MODE=true only for a local, single-user run"
            )
        return self

    @property
    def agent_uses_llm(self) -> bool:
        if self.agent_provider == "auto":
            return bool(self.openai_api_key or self.openai_base_url)
        return self.agent_provider == "openai"

    @property
    def mcp_host_patterns(self) -> list[str]:
        extra = [host.strip() for host in self.mcp_allowed_hosts.split(",") if host.strip()]
        return ["localhost", "localhost:*", "127.0.0.1", "127.0.0.1:*", *extra]


@lru_cache
def get_settings() -> Settings:
    return Settings()
