"""Fixtures shared by the repository-wide tests (tests/containers, tests/charts, tests/cluster);
the helpers behind them are modules of tests/support.

The two images are built once per test session, from the working tree, under the tags the
charts deploy by default (`todo-backend:VERSION`, `todo-frontend:VERSION`):

    def test_something(backend_image: BuiltImage, containers: Containers) -> None:
        network = containers.network()
        backend = containers.run(
            backend_image.tag, network=network, aliases=["backend"],
            env={"LOCAL_MODE": "true", "HOST": "0.0.0.0"}, publish=[8000],
            read_only=True, tmpfs=["/tmp"],
        )
        backend.wait_healthy()
        response = httpx.get(backend.url(8000, "/api/health"))

- `docker`: the engine's client (`Docker`); without an engine the test is `unavailable`.
- `backend_image` / `frontend_image`: `BuiltImage` (tag, build time, size, size over the base).
- `containers`: a `Containers` for one test: `run()` starts containers, `network()` creates
  user-defined networks; all of them (and the containers' anonymous volumes) are removed when
  the test ends. Module-scoped setups can use `Containers(docker)` with `close()` themselves.
- `auth_secret`: a BETTER_AUTH_SECRET valid for both services, the same for the whole session.
- `record_figure(image, name, value)`: a measured figure; all are printed at the end of the run
  and written to test-artifacts/image-figures.json.

The images keep their tags after the session, like `make images` would leave them: the charts
deploy exactly these tags, and another test session on the same engine may be using them. Images
do not pile up: a build that moves a tag removes the image the tag named before. The client is
$DOCKER, else Debian's /usr/bin/docker (BuildKit built in), else `docker` on PATH.
"""

import secrets
import subprocess
from collections.abc import Callable, Iterator
from typing import Any, NoReturn

import pytest

from tests.support.docker import (
    BACKEND_IMAGE_TAG,
    FRONTEND_IMAGE_TAG,
    BuiltImage,
    Containers,
    Docker,
    DockerError,
    build_image,
    docker_client,
)
from tests.support.figures import FIGURES, record, report


@pytest.fixture(scope="session")
def docker(unavailable: Callable[[str], NoReturn]) -> Docker:
    """The engine's client; `unavailable` (skip, or fail in CI) when there is no engine."""
    binary = docker_client()
    if binary is None:
        unavailable("no docker client installed")
    client = Docker(binary)
    try:
        client("info", "--format", "{{.ServerVersion}}", timeout=30)
    except (DockerError, subprocess.TimeoutExpired) as error:
        unavailable(f"no Docker engine answers: {error}")
    return client


def _session_image(docker: Docker, dockerfile: str, tag: str) -> BuiltImage:
    image = build_image(docker, dockerfile=dockerfile, tag=tag)
    name = tag.split(":")[0].removeprefix("todo-")
    record(name, "build_seconds_session", round(image.build_seconds, 1))
    return image


@pytest.fixture(scope="session")
def backend_image(docker: Docker) -> BuiltImage:
    """todo-backend:VERSION, built once per session from Dockerfile.backend."""
    return _session_image(docker, "Dockerfile.backend", BACKEND_IMAGE_TAG)


@pytest.fixture(scope="session")
def frontend_image(docker: Docker) -> BuiltImage:
    """todo-frontend:VERSION, built once per session from Dockerfile.frontend."""
    return _session_image(docker, "Dockerfile.frontend", FRONTEND_IMAGE_TAG)


@pytest.fixture
def containers(docker: Docker) -> Iterator[Containers]:
    """Containers and networks for this test; removed (with their volumes) when it ends."""
    created = Containers(docker)
    yield created
    created.close()


@pytest.fixture(scope="session")
def auth_secret() -> str:
    """A BETTER_AUTH_SECRET both services accept (random, 64 characters)."""
    return secrets.token_hex(32)


@pytest.fixture(scope="session")
def record_figure() -> Callable[[str, str, Any], None]:
    """`record_figure("backend", "size_mb", 274.3)`: keep a measured figure for the report."""
    return record


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if FIGURES:
        terminalreporter.section("measured figures")
        report(terminalreporter.write_line)
