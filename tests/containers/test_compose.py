"""compose.yaml: valid for the Compose implementations on this machine (docker-compose 1.29
and/or `docker compose`), refuses to start without a secret, and brings the stack up for real."""

import os
import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import httpx
import pytest

from testkit import wait_until
from tests.support.browser import Browser
from tests.support.docker import REPO_ROOT, BuiltImage, Docker
from tests.support.figures import record
from todo_common.build import VERSION

pytestmark = pytest.mark.docker

# What compose.yaml reads from the environment.
COMPOSE_VARIABLES = frozenset(
    {
        "POSTGRES_PASSWORD",
        "BETTER_AUTH_SECRET",
        "BETTER_AUTH_URL",
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "OPENAI_MODEL",
        "AGENT_PROVIDER",
        "LOG_LEVEL",
        "BACKEND_PORT",
        "FRONTEND_PORT",
    }
)


@dataclass(frozen=True)
class Compose:
    """One Compose implementation run on compose.yaml with exactly the environment a test gives
    it: the repository's own .env (a developer's OPENAI_API_KEY, say) is replaced by an empty one
    (a regular file: compose 1.29 refuses /dev/null)."""

    command: list[str]
    empty_env_file: Path

    def __call__(
        self, *args: str, env: dict[str, str], timeout: float = 300
    ) -> subprocess.CompletedProcess[str]:
        clean = {key: value for key, value in os.environ.items() if key not in COMPOSE_VARIABLES}
        compose_file = str(REPO_ROOT / "compose.yaml")
        return subprocess.run(
            [*self.command, "-f", compose_file, "--env-file", str(self.empty_env_file), *args],
            capture_output=True,
            text=True,
            cwd=REPO_ROOT,
            env={**clean, **env},
            timeout=timeout,
            check=False,
        )


def _compose_commands(docker: Docker) -> list[list[str]]:
    """Every Compose implementation installed: the v1 `docker-compose`, the v2 plugin."""
    commands = []
    legacy = shutil.which("docker-compose")
    if legacy:
        commands.append([legacy])
    plugin = subprocess.run(
        [docker.binary, "compose", "version"], capture_output=True, text=True, check=False
    )
    if plugin.returncode == 0:
        commands.append([docker.binary, "compose"])
    return commands


@pytest.fixture(scope="module")
def composes(
    docker: Docker, unavailable: Callable[[str], NoReturn], tmp_path_factory: pytest.TempPathFactory
) -> list[Compose]:
    commands = _compose_commands(docker)
    if not commands:
        unavailable("neither docker-compose nor the docker compose plugin is installed")
    print("\ncompose implementations: " + ", ".join(" ".join(c) for c in commands))
    empty_env_file = tmp_path_factory.mktemp("compose") / "empty.env"
    empty_env_file.write_text("")
    return [Compose(command, empty_env_file) for command in commands]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_compose_file_is_valid_and_needs_a_secret(composes: list[Compose]) -> None:
    for compose in composes:
        password = secrets.token_hex(16)
        configured = compose(
            "config",
            env={"BETTER_AUTH_SECRET": secrets.token_hex(32), "POSTGRES_PASSWORD": password},
        )
        assert configured.returncode == 0, configured.stderr
        for service in ("postgres:", "backend:", "frontend:", "condition: service_healthy"):
            assert service in configured.stdout
        refused = compose("config", env={"POSTGRES_PASSWORD": password})
        assert refused.returncode != 0
        assert "BETTER_AUTH_SECRET" in refused.stderr
        # No default database password, unlike the development stacks that ship `todo`.
        no_password = compose("config", env={"BETTER_AUTH_SECRET": secrets.token_hex(32)})
        assert no_password.returncode != 0
        assert "POSTGRES_PASSWORD" in no_password.stderr


def process_status(docker: Docker, container_id: str) -> dict[str, str]:
    """/proc/1/status of a container's main process, as the kernel reports its privileges."""
    status = subprocess.run(
        [
            docker.binary,
            "exec",
            container_id,
            "python3",
            "-c",
            "print(open('/proc/1/status').read())",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return dict(line.split(":\t", 1) for line in status.splitlines() if ":\t" in line)


def test_compose_brings_the_stack_up_in_order(
    composes: list[Compose], docker: Docker, backend_image: BuiltImage, frontend_image: BuiltImage
) -> None:
    compose = composes[0]
    project = f"todo-test-{secrets.token_hex(3)}"
    frontend_port, backend_port = _free_port(), _free_port()
    env = {
        "BETTER_AUTH_SECRET": secrets.token_hex(32),
        "POSTGRES_PASSWORD": secrets.token_hex(16),
        "FRONTEND_PORT": str(frontend_port),
        "BACKEND_PORT": str(backend_port),
    }
    started = time.monotonic()
    try:
        up = compose("-p", project, "up", "-d", "--no-build", env=env)
        assert up.returncode == 0, up.stderr

        def frontend_answers() -> bool:
            try:
                return httpx.get(f"http://127.0.0.1:{frontend_port}/api/health").status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(frontend_answers, seconds=120, interval=0.2, what="the compose frontend")
        record("compose", "up_to_frontend_answering_seconds", round(time.monotonic() - started, 1))
        ready = httpx.get(f"http://127.0.0.1:{backend_port}/api/health")
        assert ready.json() == {
            "status": "ok",
            "database": "ok",
            "version": VERSION,
            "build": "dev",  # no deployment named the image's build
        }

        client = Browser(f"http://127.0.0.1:{frontend_port}")
        try:
            email = f"compose-{secrets.token_hex(4)}@example.com"
            assert client.sign_up("Compose", email).status_code == 303
            client.open_dashboard()
            assert "Buy milk" in client.chat("Add a task to buy milk")["response"]
            assert [task["title"] for task in client.tasks()] == ["Buy milk"]
        finally:
            client.close()

        # Hardened as the charts are: the services hold no capability, even in their bounding
        # set, and cannot gain privileges (setuid binaries, file capabilities).
        for service in ("backend", "frontend"):
            ps = compose("-p", project, "ps", "-q", service, env=env)
            status = process_status(docker, ps.stdout.strip())
            assert status["NoNewPrivs"] == "1", service
            assert int(status["CapBnd"], 16) == 0 == int(status["CapEff"], 16), service
    finally:
        down = compose("-p", project, "down", "-v", "--remove-orphans", env=env)
    assert down.returncode == 0, down.stderr
