"""A Docker engine for the tests: its client (`Docker`), image builds (`build_image`,
`BuiltImage`) and containers with their networks (`Container`, `Containers`), removed when a
test is done with them. The fixtures that hand these out are in tests/conftest.py."""

import json
import os
import re
import secrets
import shutil
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from testkit import wait_until
from todo_common.build import VERSION

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS_DIR = REPO_ROOT / "test-artifacts"
# The tags `make images` builds and the charts run by default: the project's version.
BACKEND_IMAGE_TAG = f"todo-backend:{VERSION}"
FRONTEND_IMAGE_TAG = f"todo-frontend:{VERSION}"
BASE_IMAGE = "python:3.13-slim"
MB = 1_000_000  # sizes are reported in the same decimal megabytes `docker images` shows


class DockerError(RuntimeError):
    """A docker command failed; the message carries the command and what it printed."""


@dataclass(frozen=True)
class Docker:
    """The Docker client, run as a subprocess (exactly what a person would type)."""

    binary: str

    def __call__(
        self,
        *args: str,
        timeout: float = 120,
        check: bool = True,
        env: Mapping[str, str] | None = None,
    ) -> str:
        """Run `docker ARGS...` and return its standard output, stripped."""
        result = subprocess.run(
            [self.binary, *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**os.environ, **(env or {})},
            check=False,
        )
        if check and result.returncode != 0:
            output = (result.stdout + result.stderr)[-4000:]
            raise DockerError(f"docker {' '.join(args)} exited {result.returncode}:\n{output}")
        return result.stdout.strip()

    def inspect(self, ref: str, kind: str = "container") -> dict[str, Any]:
        data: list[dict[str, Any]] = json.loads(self(kind, "inspect", ref))
        return data[0]

    def exists(self, ref: str, kind: str = "image") -> bool:
        return bool(self(kind, "inspect", "--format", "{{.Id}}", ref, check=False))

    def image_size(self, ref: str) -> int:
        return int(self("image", "inspect", "--format", "{{.Size}}", ref))


@dataclass(frozen=True)
class BuiltImage:
    """An image built from one of the repository's Dockerfiles, with what the build measured."""

    tag: str
    dockerfile: str
    build_seconds: float
    size_bytes: int
    base_size_bytes: int
    build_log: str = field(repr=False)

    @property
    def size_over_base_bytes(self) -> int:
        return self.size_bytes - self.base_size_bytes


def build_image(
    docker: Docker,
    *,
    dockerfile: str,
    tag: str,
    context: Path = REPO_ROOT,
    build_args: Mapping[str, str] | None = None,
) -> BuiltImage:
    """`docker build` with BuildKit (host network: builds download from PyPI). The image the tag
    named before, now dangling, is removed so repeated sessions do not pile up images."""
    previous = docker("image", "inspect", "--format", "{{.Id}}", tag, check=False)
    arguments = ["build", "--network", "host", "--progress", "plain", "-f", dockerfile, "-t", tag]
    for name, value in (build_args or {}).items():
        arguments += ["--build-arg", f"{name}={value}"]
    started = time.monotonic()
    result = subprocess.run(
        [docker.binary, *arguments, str(context)],
        capture_output=True,
        text=True,
        timeout=1200,
        cwd=context,
        env={**os.environ, "DOCKER_BUILDKIT": "1"},
        check=False,
    )
    seconds = time.monotonic() - started
    if result.returncode != 0:
        raise DockerError(f"building {tag} from {dockerfile} failed:\n{result.stderr[-6000:]}")
    current = docker("image", "inspect", "--format", "{{.Id}}", tag)
    if previous and previous != current:
        docker("image", "rm", previous, check=False)
    return BuiltImage(
        tag=tag,
        dockerfile=dockerfile,
        build_seconds=seconds,
        size_bytes=docker.image_size(tag),
        base_size_bytes=docker.image_size(BASE_IMAGE),
        build_log=result.stderr,
    )


def docker_time(text: str) -> datetime:
    """Docker's RFC 3339 timestamps have nanoseconds; fromisoformat keeps microseconds."""
    return datetime.fromisoformat(text)


_UNITS = {"B": 1, "KiB": 1024, "MiB": 1024**2, "GiB": 1024**3, "kB": 1000, "MB": MB, "GB": 10**9}


@dataclass
class Container:
    """A running (or stopped) container started by `Containers.run`."""

    docker: Docker
    name: str
    host_network: bool = False  # on the host's network: its ports are the host's own

    def inspect(self) -> dict[str, Any]:
        return self.docker.inspect(self.name)

    def started_at(self) -> datetime:
        return docker_time(self.inspect()["State"]["StartedAt"])

    def host_port(self, container_port: int) -> int:
        """The host port Docker published `container_port` on (127.0.0.1, chosen by Docker), or
        the port itself for a container on the host's network."""
        if self.host_network:
            return container_port
        published = self.docker("port", self.name, f"{container_port}/tcp")
        return int(published.splitlines()[0].rsplit(":", 1)[1])

    def url(self, container_port: int, path: str = "") -> str:
        return f"http://127.0.0.1:{self.host_port(container_port)}{path}"

    def logs(self, *, stdout_only: bool = False) -> str:
        """What the container wrote: stdout and stderr, or only stdout."""
        result = subprocess.run(
            [self.docker.binary, "logs", self.name],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        return result.stdout if stdout_only else result.stdout + result.stderr

    def exec(self, *command: str) -> str:
        """Run a command in the container; return its output (fails the test if it fails)."""
        return self.docker("exec", self.name, *command)

    def exec_result(self, *command: str) -> subprocess.CompletedProcess[str]:
        """Run a command in the container that may fail; return its exit code and output."""
        return subprocess.run(
            [self.docker.binary, "exec", self.name, *command],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    def _fail_if_exited(self, state: Mapping[str, Any]) -> None:
        if state["Status"] in {"exited", "dead"}:
            pytest.fail(
                f"container {self.name} exited with {state['ExitCode']}; its log ends:\n"
                f"{self.logs()[-3000:]}"
            )

    def wait_healthy(self, timeout: float = 60) -> float:
        """Wait for Docker's healthcheck to pass; return the seconds from the container's start
        (State.StartedAt) to the end of the first passing check."""
        state: dict[str, Any] = {}

        def healthy() -> bool:
            nonlocal state
            state = self.inspect()["State"]
            self._fail_if_exited(state)
            return bool(state.get("Health", {}).get("Status") == "healthy")

        wait_until(healthy, seconds=timeout, interval=0.1, what=f"{self.name} to turn healthy")
        passed = [check for check in state["Health"]["Log"] if check["ExitCode"] == 0]
        return (docker_time(passed[0]["End"]) - docker_time(state["StartedAt"])).total_seconds()

    def wait_http(self, container_port: int, path: str, timeout: float = 60) -> float:
        """Poll GET `path` on the published port until it answers 200; return the seconds from
        the container's start to that first answer (independent of the healthcheck interval)."""
        url = self.url(container_port, path)

        def answers() -> bool:
            try:
                return httpx.get(url, timeout=1).status_code == 200
            except httpx.HTTPError:
                self._fail_if_exited(self.inspect()["State"])
                return False

        wait_until(answers, seconds=timeout, interval=0.02, what=f"{url} to answer 200")
        answered = time.time()
        return answered - self.started_at().timestamp()

    def wait_exited(self, timeout: float = 60) -> int:
        """Wait for the container to stop on its own; return its exit code."""
        wait_until(
            lambda: self.inspect()["State"]["Status"] in {"exited", "dead"},
            seconds=timeout,
            what=f"{self.name} to exit",
        )
        return int(self.inspect()["State"]["ExitCode"])

    def stop(self, timeout: int = 10) -> float:
        """`docker stop` (SIGTERM, then SIGKILL after `timeout` s); return the seconds it took."""
        started = time.monotonic()
        self.docker("stop", "-t", str(timeout), self.name, timeout=timeout + 30)
        return time.monotonic() - started

    def restart(self) -> None:
        self.docker("restart", "-t", "10", self.name, timeout=60)

    def memory_bytes(self) -> int:
        """Memory in use now, as `docker stats` shows it (page cache excluded)."""
        usage = self.docker("stats", "--no-stream", "--format", "{{.MemUsage}}", self.name)
        match = re.match(r"\s*([\d.]+)\s*([A-Za-z]+)", usage)
        if match is None:
            raise DockerError(f"unexpected docker stats output: {usage!r}")
        return int(float(match.group(1)) * _UNITS[match.group(2)])


class Containers:
    """Containers and networks for one test or module, all removed by `close()`."""

    def __init__(self, docker: Docker) -> None:
        self.docker = docker
        self.prefix = f"todo-test-{secrets.token_hex(3)}"
        self._containers: list[str] = []
        self._networks: list[str] = []

    def network(self) -> str:
        """Create a user-defined network (containers on it resolve each other's names and
        aliases); return its name."""
        name = f"{self.prefix}-net{len(self._networks) + 1}"
        self.docker("network", "create", name)
        self._networks.append(name)
        return name

    def run(
        self,
        image: str,
        *,
        role: str = "app",
        network: str | None = None,
        aliases: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
        publish: Sequence[int] = (),
        read_only: bool = False,
        tmpfs: Sequence[str] = (),
        user: str | None = None,
        options: Sequence[str] = (),
        command: Sequence[str] = (),
    ) -> Container:
        """`docker run -d` the image. `publish` lists container ports to publish on a free port
        of 127.0.0.1 (see `Container.host_port`); `options` are any further `docker run`
        flags, for example `--cap-drop ALL` or `--security-opt no-new-privileges`."""
        name = f"{self.prefix}-{role}-{len(self._containers) + 1}"
        arguments = ["run", "-d", "--name", name]
        if network:
            arguments += ["--network", network]
            for alias in aliases:
                arguments += ["--network-alias", alias]
        for key, value in (env or {}).items():
            arguments += ["-e", f"{key}={value}"]
        for port in publish:
            arguments += ["-p", f"127.0.0.1::{port}"]
        if read_only:
            arguments.append("--read-only")
        for path in tmpfs:
            arguments += ["--tmpfs", path]
        if user:
            arguments += ["--user", user]
        self._containers.append(name)
        self.docker(*arguments, *options, image, *command, timeout=300)
        return Container(self.docker, name, host_network=network == "host")

    def close(self) -> None:
        for name in reversed(self._containers):
            self.docker("rm", "-f", "-v", name, check=False, timeout=120)
        for network in self._networks:
            self.docker("network", "rm", network, check=False)
        self._containers.clear()
        self._networks.clear()


def docker_client() -> str | None:
    """$DOCKER, else Debian's /usr/bin/docker (BuildKit built in), else `docker` on PATH."""
    configured = os.environ.get("DOCKER")
    if configured:
        return configured
    if Path("/usr/bin/docker").exists():
        return "/usr/bin/docker"
    return shutil.which("docker")
