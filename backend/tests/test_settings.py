"""Configuration: a bad or unsafe setting stops the service at start with one line that names
the variable and says what is wrong; an empty variable means its default."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from backend_testkit import TEST_SECRET, make_settings
from todo_backend.data.engine import parse_database_url
from todo_common.secrets import LOCAL_MODE_SECRET


def run_cli(*args: str, cwd: Path | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"BETTER_AUTH_SECRET", "LOCAL_MODE"}}
    return subprocess.run(
        [sys.executable, "-m", "todo_backend.cli", *args],
        env={**clean, **env},
        cwd=cwd,
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
    result = run_cli("migrate", BETTER_AUTH_SECRET=TEST_SECRET, DATABASE_URL="mysql://u:p@h/db")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "todo-backend: configuration error: DATABASE_URL must look like "
        "postgresql://user:password@host:5432/db or sqlite:///./todo.db"
    )


def test_empty_variables_mean_their_defaults(tmp_path: Path) -> None:
    """What `.env.example`'s `PORT=` means: the default, not an error."""
    empty = {name: "" for name in ("PORT", "HOST", "METRICS_PORT", "LOG_LEVEL", "LOCAL_MODE")}
    result = run_cli(
        "migrate",
        cwd=tmp_path,
        BETTER_AUTH_SECRET=TEST_SECRET,
        DATABASE_URL=f"sqlite:///{tmp_path}/todo.db",
        **empty,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "todo.db").exists()


@pytest.mark.parametrize(
    ("variable", "value", "complaint"),
    [
        ("PORT", "abc", "PORT='abc': input should be a valid integer"),
        ("PORT", "70000", "PORT='70000': input should be less than or equal to 65535"),
        ("METRICS_PORT", "-1", "METRICS_PORT='-1': input should be greater than or equal to 0"),
        ("LOG_LEVEL", "loud", "LOG_LEVEL='loud': input should be 'debug', 'info', 'warning'"),
        ("LOCAL_MODE", "maybe", "LOCAL_MODE='maybe': input should be a valid boolean"),
        ("AGENT_PROVIDER", "magic", "AGENT_PROVIDER='magic': input should be 'auto', 'builtin'"),
        ("MAX_TASKS_PER_USER", "0", "MAX_TASKS_PER_USER='0': input should be greater than"),
    ],
)
def test_a_bad_setting_is_one_line_naming_the_variable(
    variable: str, value: str, complaint: str, tmp_path: Path
) -> None:
    result = run_cli(
        "migrate",
        cwd=tmp_path,
        BETTER_AUTH_SECRET=TEST_SECRET,
        DATABASE_URL=f"sqlite:///{tmp_path}/todo.db",
        **{variable: value},
    )
    assert result.returncode == 2
    assert result.stderr.startswith(f"todo-backend: configuration error: {complaint}")
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr


def test_local_mode_listens_on_loopback_unless_host_is_given() -> None:
    local = make_settings("sqlite:///./todo.db", BETTER_AUTH_SECRET="", local_mode=True)
    assert local.host == "127.0.0.1"
    assert make_settings("sqlite:///./todo.db").host == "0.0.0.0"
    given = make_settings("sqlite:///./todo.db", local_mode=True, host="0.0.0.0")
    assert given.host == "0.0.0.0"


def test_local_mode_runs_without_configuration() -> None:
    settings = make_settings("sqlite:///./todo.db", BETTER_AUTH_SECRET="", local_mode=True)
    assert settings.auth_secret == LOCAL_MODE_SECRET


def test_local_mode_keeps_a_secret_that_was_given() -> None:
    given = "a-real-secret-for-this-laptop-000000000"
    settings = make_settings("sqlite:///./todo.db", BETTER_AUTH_SECRET=given, local_mode=True)
    assert settings.auth_secret == given


def test_a_long_random_secret_is_accepted() -> None:
    secret = "4f1c9a0be27d8356c1e0f9ab4d7263e5"  # openssl rand -hex 16
    settings = make_settings("sqlite:///./todo.db", BETTER_AUTH_SECRET=secret)
    assert settings.auth_secret == secret


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
