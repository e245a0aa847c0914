"""`make run`, as the README says to run it: both services answer on this machine, neither is
reachable from the network (LOCAL_MODE's development secret must stay local), and Ctrl-C stops
both."""

import os
import signal
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from testkit import free_port, non_loopback_address, wait_until

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def make_run(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], dict[str, int]]]:
    """`make run` in its own process group, on free ports and a database of its own."""
    ports = {"backend": free_port(), "frontend": free_port()}
    env = {
        **os.environ,
        "BACKEND_PORT": str(ports["backend"]),
        "FRONTEND_PORT": str(ports["frontend"]),
        "METRICS_PORT": str(free_port()),
        "DATABASE_URL": f"sqlite:///{tmp_path}/todo.db",
    }
    with (tmp_path / "make-run.log").open("wb") as log:
        process = subprocess.Popen(
            ["make", "run"],
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield process, ports
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def answers(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def test_make_run_serves_loopback_only_and_ctrl_c_stops_it(
    make_run: tuple[subprocess.Popen[bytes], dict[str, int]],
) -> None:
    process, ports = make_run
    wait_until(lambda: all(answers(port) for port in ports.values()), seconds=120, what="make run")

    address = non_loopback_address()
    if address is not None:
        for port in ports.values():
            with pytest.raises(ConnectionRefusedError):
                socket.create_connection((address, port), timeout=5).close()

    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in the terminal sends
    process.wait(timeout=30)
    wait_until(
        lambda: not any(answers(port) for port in ports.values()),
        seconds=30,
        what="both services to stop",
    )
