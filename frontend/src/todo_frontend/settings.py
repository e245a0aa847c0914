"""Every setting of the frontend, read from the environment (and `.env`) at start."""

from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from todo_common.build import FROM_SOURCE
from todo_common.client_address import checked_proxy_secret
from todo_common.configuration import LOCAL_MODE_HOST
from todo_common.secrets import SettingsError, checked_secret


class Settings(BaseSettings):
    # An empty variable (`PORT=` in a copied .env.example) means the setting's default.
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", env_ignore_empty=True)

    backend_url: str = "http://localhost:8000"
    # The key that signs session cookies, under the environment name the deployment contract
    # (charts, compose, .env) gives it; Settings(...) takes that name too.
    auth_secret: str = Field(default="", validation_alias="BETTER_AUTH_SECRET")
    port: int = Field(default=3000, ge=1, le=65535)
    # The interface to listen on: every one in a container; in LOCAL_MODE 127.0.0.1 unless HOST
    # is given, since its fixed development secret would let anyone on the network forge a
    # session.
    host: str = "0.0.0.0"  # noqa: S104
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    local_mode: bool = False
    # Addresses or networks (comma-separated) whose X-Forwarded-For/-Proto are believed: the
    # ingress in front of the frontend. Behind a TLS ingress it must be listed, or the session
    # cookie goes out without `Secure`.
    trusted_proxies: str = "127.0.0.1"
    # The key this frontend signs its visitors' addresses with for the backend's per-address
    # limits; the backend's PROXY_SECRET. Empty: none sent, so the backend counts every
    # sign-in through this frontend as coming from its address (a fixed one in LOCAL_MODE).
    proxy_secret: str = ""
    # `auto`: cookies are `Secure` when the request came over HTTPS; `true`/`false` force it.
    cookie_secure: Literal["auto", "true", "false"] = "auto"
    # The image's immutable tag, set by the Helm chart from `image.tag`; reported by the health
    # endpoint with the version ("dev": run from a checkout).
    image_build: str = FROM_SOURCE

    # Seconds the backend may take to answer a page's data request, and a streamed chat reply
    # (an LLM can pause between tokens for a long time).
    backend_timeout_seconds: float = 15.0
    backend_stream_timeout_seconds: float = 120.0
    session_max_age_seconds: int = 7 * 24 * 3600  # the backend's tokens live 7 days too
    # Request bodies (forms, proxied API calls) over this answer 413, counted as they are read;
    # up to MAX_BODY_DRAIN_BYTES of an oversized one is discarded first so clients see the 413.
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    max_body_drain_bytes: int = Field(default=10 * 1024 * 1024, ge=0)

    # The dashboard's assistant: our own widget, or (`chatkit`) OpenAI's ChatKit web component
    # talking to the backend's /chatkit through this frontend. ChatKit's script loads from
    # OpenAI's CDN, so that mode needs internet access in the browser.
    chat_ui: Literal["widget", "chatkit"] = "widget"
    # ChatKit checks the page's domain against this key (registered in OpenAI's domain
    # allowlist); on localhost any value is accepted.
    chatkit_domain_key: str = "local-dev"

    @field_validator("log_level", "cookie_secure", "chat_ui", mode="before")
    @classmethod
    def _lowercase_choices(cls, value: object) -> object:
        """Fields with a fixed set of lower-case values take them in any case (LOG_LEVEL=INFO)."""
        return value.lower() if isinstance(value, str) else value

    @field_validator("backend_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise SettingsError(f"BACKEND_URL must be an http(s) URL, got {value!r}")
        return value.strip().rstrip("/")

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
