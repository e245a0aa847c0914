"""`HOST` decides which interface the server listens on; `make run` sets 127.0.0.1."""

import socket
from pathlib import Path

import pytest

from backend_testkit import TEST_SECRET
from testkit import run_service


def _non_loopback_address() -> str | None:
    """This machine's address on its default route (no packet is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))
        except OSError:
            return None
        address: str = probe.getsockname()[0]
    return None if address.startswith("127.") else address


def test_host_127_0_0_1_is_not_reachable_from_the_network(tmp_path: Path) -> None:
    address = _non_loopback_address()
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
