"""Every setting of the frontend, read from the environment (and `.env`) at start."""

import secrets
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Values people copy from examples; running a real deployment with one of them is a mistake.
PLACEHOLDER_SECRETS = frozenset(
    {"", "changeme", "change-me", "secret", "test", "your-secret-here", "replace-me"}
)
MIN_SECRET_LENGTH = 32


class SettingsError(ValueError):
    """A setting is missing or unsafe; the message says what to set."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    backend_url: str = "http://localhost:8000"
    better_auth_secret: str = ""
    port: int = Field(default=3000, ge=1, le=65535)
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    local_mode: bool = False

    # Seconds the backend may take to answer a page's data request, and a streamed chat reply
    # (an LLM can pause between tokens for a long time).
    backend_timeout_seconds: float = 15.0
    backend_stream_timeout_seconds: float = 120.0
    session_max_age_seconds: int = 7 * 24 * 3600  # the backend's tokens live 7 days too

    @field_validator("log_level", mode="before")
    @classmethod
    def _lower_log_level(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @field_validator("backend_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise SettingsError(f"BACKEND_URL must be an http(s) URL, got {value!r}")
        return value.strip().rstrip("/")

    @model_validator(mode="after")
    def _require_a_real_secret(self) -> "Settings":
        secret = self.better_auth_secret.strip()
        if self.local_mode and secret in PLACEHOLDER_SECRETS:
            # Local runs need no configuration; sessions then end when the process restarts.
            self.better_auth_secret = secrets.token_urlsafe(32)
            return self
        if secret.lower() in PLACEHOLDER_SECRETS or len(secret) < MIN_SECRET_LENGTH:
            raise SettingsError(
                "BETTER_AUTH_SECRET must be set to a random value of at least "
                f"{MIN_SECRET_LENGTH} characters (for example: openssl rand -hex 32); "
                "set LOCAL_MODE=true only for a local, single-user run"
            )
        return self
