"""The secret rule both services apply at start: outside local mode, the public local-mode secret
and secrets with too little variety are refused, and the message says how to make a good one."""

import base64
import os
import secrets
import subprocess
import sys

import pytest

from todo_common.secrets import LOCAL_MODE_SECRET, checked_secret


def serve_with_secret(secret: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"BETTER_AUTH_SECRET", "LOCAL_MODE"}}
    return subprocess.run(
        [sys.executable, "-m", "todo_backend.cli", "serve"],
        env={**clean, "BETTER_AUTH_SECRET": secret, "DATABASE_URL": "sqlite:///:memory:"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    "secret",
    [LOCAL_MODE_SECRET, "x" * 32, "ab" * 32, "deadbeef" * 8, "0123456789"[:9] * 5],
    ids=["local-mode secret", "one character", "two characters", "a word repeated", "nine"],
)
def test_a_secret_anyone_could_guess_stops_the_service(secret: str) -> None:
    result = serve_with_secret(secret)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("todo-backend: configuration error: BETTER_AUTH_SECRET must be set")
    assert "openssl rand -hex 32" in lines[0]


def test_the_local_mode_secret_is_refused_with_the_reason() -> None:
    result = serve_with_secret(LOCAL_MODE_SECRET)
    assert "the local-mode secret is public" in result.stderr


def test_what_openssl_rand_makes_is_always_accepted() -> None:
    for _ in range(2000):
        hex_secret = secrets.token_hex(32)  # openssl rand -hex 32
        base64_secret = base64.b64encode(secrets.token_bytes(32)).decode()  # -base64 32
        assert checked_secret(hex_secret, local_mode=False) == hex_secret
        assert checked_secret(base64_secret, local_mode=False) == base64_secret


def test_local_mode_keeps_its_own_secret() -> None:
    assert checked_secret("", local_mode=True) == LOCAL_MODE_SECRET
    assert checked_secret(LOCAL_MODE_SECRET, local_mode=True) == LOCAL_MODE_SECRET
