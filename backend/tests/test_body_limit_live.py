"""An oversized body gets its 413 and JSON body even from clients that send the whole body
before reading the answer (Python's urllib here), against the real server process."""

import json
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from backend_testkit import TEST_SECRET
from testkit import run_service

FIVE_MB = b"x" * (5 * 1024 * 1024)


def test_a_5_mb_body_gets_the_413_not_a_reset(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/todo.db", "BETTER_AUTH_SECRET": TEST_SECRET}
    with run_service("todo-backend", env, tmp_path / "backend.log") as service:
        request = urllib.request.Request(
            f"{service.url}/api/auth/sign-up",
            data=FIVE_MB,
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=30)
        assert refused.value.code == 413
        assert json.loads(refused.value.read())["detail"] == "Request body is too large"
