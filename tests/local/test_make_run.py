"""`make run`, as the README says to run it: both services answer on this machine on two ports
(metrics are on the backend's API port), neither is reachable from the network (LOCAL_MODE's
development secret must stay local), Ctrl-C stops both, and a port in use is one line naming
the variable to set. tests/test_shell_scripts.py shellchecks it."""

import os
import signal
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from testkit import free_port, non_loopback_address, wait_until

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPT = REPO_ROOT / "scripts/run-local.sh"


@contextmanager
def running_make_run(
    ports: dict[str, int], tmp_path: Path
) -> Iterator[tuple[subprocess.Popen[bytes], Path]]:
    """`make run` in its own process group on `ports` and a database of its own; yields the
    process and its log (stdout and stderr)."""
    env = {
        **os.environ,
        "BACKEND_PORT": str(ports["backend"]),
        "FRONTEND_PORT": str(ports["frontend"]),
        "DATABASE_URL": f"sqlite:///{tmp_path}/todo.db",
    }
    log = tmp_path / "make-run.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            ["make", "run"],
            cwd=REPO_ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield process, log
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture
def make_run(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], dict[str, int]]]:
    """`make run` on free ports."""
    ports = {"backend": free_port(), "frontend": free_port()}
    with running_make_run(ports, tmp_path) as (process, _):
        yield process, ports


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
    metrics = httpx.get(f"http://127.0.0.1:{ports['backend']}/metrics", timeout=5)
    assert metrics.status_code == 200
    assert 'route="/api/health"' in metrics.text

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


@pytest.mark.parametrize(
    ("service", "variable"), [("backend", "BACKEND_PORT"), ("frontend", "FRONTEND_PORT")]
)
def test_a_port_in_use_ends_make_run_with_one_line_naming_it(
    service: str, variable: str, tmp_path: Path
) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        ports = {"backend": free_port(), "frontend": free_port(), service: holder.getsockname()[1]}
        with running_make_run(ports, tmp_path) as (process, log):
            assert process.wait(timeout=120) != 0
    output = log.read_text()
    assert f"error: port {ports[service]} is in use (set PORT, or {variable} for make run)" in (
        output
    )
    assert "Traceback" not in output
    wait_until(lambda: not group_alive(process.pid), seconds=30, what="the other service to stop")


def group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True
