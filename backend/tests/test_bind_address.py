"""`HOST` decides which interface the server listens on (`make run` sets 127.0.0.1: tests/local)."""

import socket
from pathlib import Path

import pytest

from backend_testkit import TEST_SECRET
from testkit import non_loopback_address, run_service


def test_host_127_0_0_1_is_not_reachable_from_the_network(tmp_path: Path) -> None:
    address = non_loopback_address()
    if address is None:
        pytest.skip("this machine has no non-loopback address")
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path}/todo.db",
        "BETTER_AUTH_SECRET": TEST_SECRET,
        "HOST": "127.0.0.1",
    }
    with run_service("todo-backend", env, tmp_path / "backend.log") as service:
        port = int(service.url.rsplit(":", 1)[1])
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection((address, port), timeout=5).close()
