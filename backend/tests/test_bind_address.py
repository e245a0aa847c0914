"""Where the server listens: `HOST` decides the interface (loopback by default in LOCAL_MODE),
and a port it cannot have stops it at once with one line naming the port and the variable."""

import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from backend_testkit import TEST_SECRET
from testkit import free_port, non_loopback_address, run_service

BIN = Path(sys.executable).parent / "todo-backend"


def _is_refused_from_the_network(port: int) -> None:
    address = non_loopback_address()
    if address is None:
        pytest.skip("this machine has no non-loopback address")
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((address, port), timeout=5).close()


def test_host_127_0_0_1_is_not_reachable_from_the_network(tmp_path: Path) -> None:
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path}/todo.db",
        "BETTER_AUTH_SECRET": TEST_SECRET,
        "HOST": "127.0.0.1",
    }
    with run_service("todo-backend", env, tmp_path / "backend.log") as service:
        _is_refused_from_the_network(int(service.url.rsplit(":", 1)[1]))


def test_local_mode_listens_on_loopback_by_default(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/todo.db", "LOCAL_MODE": "true"}
    with run_service("todo-backend", env, tmp_path / "backend.log") as service:
        _is_refused_from_the_network(int(service.url.rsplit(":", 1)[1]))


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A port another program listens on."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


@pytest.mark.parametrize(
    ("variable", "hint"),
    [
        ("PORT", "set PORT, or BACKEND_PORT for make run"),
        ("METRICS_PORT", "set METRICS_PORT, or 0 to serve /metrics on the API port"),
    ],
)
def test_a_busy_port_stops_the_service_with_one_line_naming_it(
    variable: str, hint: str, busy_port: int, tmp_path: Path
) -> None:
    ports = {"PORT": str(free_port()), "METRICS_PORT": "0", variable: str(busy_port)}
    result = subprocess.run(
        [str(BIN), "serve"],
        env={
            "PATH": "/usr/bin:/bin",
            "DATABASE_URL": f"sqlite:///{tmp_path}/todo.db",
            "BETTER_AUTH_SECRET": TEST_SECRET,
            "HOST": "127.0.0.1",
            **ports,
        },
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr == f"todo-backend: error: port {busy_port} is in use ({hint})\n"
    assert "Traceback" not in result.stdout
