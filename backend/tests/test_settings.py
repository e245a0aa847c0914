"""Configuration: unsafe secrets stop the service at start with one line that says what to set."""

import os
import subprocess
import sys

import pytest
from pydantic import ValidationError

from backend_testkit import make_settings
from todo_backend.db import parse_database_url
from todo_common.secrets import LOCAL_MODE_SECRET


def run_cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"BETTER_AUTH_SECRET", "LOCAL_MODE"}}
    return subprocess.run(
        [sys.executable, "-m", "todo_backend.cli", *args],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    "secret", ["", "changeme", "secret", "short-but-real", "CHANGEME", "x" * 31]
)
def test_service_refuses_to_start_without_a_real_secret(secret: str) -> None:
    result = run_cli("serve", BETTER_AUTH_SECRET=secret, DATABASE_URL="sqlite:///:memory:")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("todo-backend: configuration error: BETTER_AUTH_SECRET must be set")
    assert "openssl rand -hex 32" in lines[0]
    assert "Traceback" not in result.stderr


def test_bad_database_url_is_a_one_line_error() -> None:
    result = run_cli("migrate", BETTER_AUTH_SECRET="s" * 40, DATABASE_URL="mysql://u:p@h/db")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "todo-backend: configuration error: DATABASE_URL must look like "
        "postgresql://user:password@host:5432/db or sqlite:///./todo.db"
    )


def test_local_mode_runs_without_configuration() -> None:
    settings = make_settings("sqlite:///./todo.db", better_auth_secret="", local_mode=True)
    assert settings.better_auth_secret == LOCAL_MODE_SECRET


def test_local_mode_keeps_a_secret_that_was_given() -> None:
    given = "a-real-secret-for-this-laptop-000000000"
    settings = make_settings("sqlite:///./todo.db", better_auth_secret=given, local_mode=True)
    assert settings.better_auth_secret == given


def test_a_long_random_secret_is_accepted() -> None:
    settings = make_settings("sqlite:///./todo.db", better_auth_secret="f" * 32)
    assert settings.better_auth_secret == "f" * 32


@pytest.mark.parametrize(
    ("provider", "key", "base_url", "uses_llm"),
    [
        ("auto", "", "", False),
        ("auto", "sk-test", "", True),
        ("auto", "", "http://localhost:11434/v1", True),
        ("builtin", "sk-test", "", False),
        ("openai", "", "", True),
    ],
)
def test_agent_provider_choice(provider: str, key: str, base_url: str, uses_llm: bool) -> None:
    settings = make_settings(
        "sqlite:///x.db", agent_provider=provider, openai_api_key=key, openai_base_url=base_url
    )
    assert settings.agent_uses_llm is uses_llm


def test_unknown_agent_provider_is_rejected() -> None:
    with pytest.raises(ValidationError, match="agent_provider"):
        make_settings("sqlite:///x.db", agent_provider="magic")


@pytest.mark.parametrize(
    ("raw", "expected_url", "connect_args"),
    [
        ("sqlite:///./todo.db", "sqlite+aiosqlite:///./todo.db", {}),
        ("sqlite:////var/data/todo.db", "sqlite+aiosqlite:////var/data/todo.db", {}),
        ("postgres://u:p@db:5432/todo", "postgresql+asyncpg://u:***@db:5432/todo", {"timeout": 5}),
        ("postgresql://u:p@db/todo", "postgresql+asyncpg://u:***@db/todo", {"timeout": 5}),
        (
            "postgresql://u:p@ep-x.neon.tech/neondb?sslmode=require&channel_binding=require",
            "postgresql+asyncpg://u:***@ep-x.neon.tech/neondb",
            {"timeout": 5, "ssl": "require"},
        ),
        (
            "postgresql+psycopg://u:p@db/todo?application_name=x",
            "postgresql+asyncpg://u:***@db/todo",
            {"timeout": 5},
        ),
    ],
)
def test_database_url_forms_of_hosted_providers(
    raw: str, expected_url: str, connect_args: dict[str, object]
) -> None:
    target = parse_database_url(raw)
    assert target.safe_url == expected_url
    assert target.connect_args == connect_args
