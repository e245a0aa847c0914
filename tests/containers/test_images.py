"""Each image on its own: size, user, healthcheck, configuration from the environment, a
read-only root filesystem, shutdown on SIGTERM and what its layers must not contain.

Both services run once per module the way the charts run them (read-only root with a tmpfs on
/tmp, every capability dropped, no privilege escalation, a non-default PORT) and the tests look
at those two containers; start-up is timed from Docker's State.StartedAt, because creating a
container on this engine's storage takes seconds that are not the image's doing.
"""

import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from openai_test_server import OpenAITestServer

from testkit import free_port
from tests.support.browser import Browser
from tests.support.docker import MB, BuiltImage, Container, Containers, Docker
from tests.support.figures import record

pytestmark = pytest.mark.docker

# Targets from the issue; the size budgets add headroom over today's figures (see the report).
SIZE_OVER_BASE_BUDGET_MB = {"backend": 75, "frontend": 30}
SIZE_OVER_BASE_TARGET_MB = {"backend": 70, "frontend": 30}
IDLE_MEMORY_TARGET_MB = {"backend": 150, "frontend": 80}
# Start-up targets are reported; the asserted limits leave room for a loaded 2-core machine
# (other builds running beside the tests roughly double the backend's import time).
READY_TARGET_SECONDS = 3.0
READY_LIMIT_SECONDS = 6.0
HEALTHY_LIMIT_SECONDS = 8.0  # the healthcheck runs every 2 s, so "healthy" lags "ready" by < 2 s
STOP_LIMIT_SECONDS = 5.0

SERVICES = ("backend", "frontend")
BACKEND_PORT = 8080  # not the image's default, so the tests see PORT honoured
FRONTEND_PORT = 3100
BACKEND_ALIAS = "api-under-test"  # not the frontend image's default BACKEND_URL host
HARDENING = ("--cap-drop", "ALL", "--security-opt", "no-new-privileges")

# Run inside a container: what /app and the installed package hold, and any .env file around.
LIST_FILES = """
import json, os, sys
def files(top):
    return [os.path.join(d, f) for d, _, names in os.walk(top) for f in names]
package = __import__(sys.argv[1])
print(json.dumps({
    "app": sorted(os.listdir("/app")),
    "package": files(os.path.dirname(package.__file__)),
    "builder_leftovers": [p for p in ("/src", "/root/.cache/uv") if os.path.exists(p)],
    "dotenv": [f for f in files("/app") + files("/tmp") if os.path.basename(f).startswith(".env")],
}))
"""

# Run inside the backend: where the loaded modules come from.
LOADED_FILES = """
import json, os, sys
import anyio, fastapi.routing, sqlalchemy, todo_backend.chat
files = {name: getattr(sys.modules[name], "__file__", None) or "" for name in sys.modules}
print(json.dumps({
    **{name: files[name] for name in ("sqlalchemy", "fastapi.routing", "todo_backend.chat")},
    "beside_their_source": [
        f for f in files.values() if f.endswith(".pyc") and os.path.exists(f[:-1])
    ],
    "anyio_is_lazy": "__getattr__" in vars(anyio),
}))
"""


@dataclass(frozen=True)
class RunningService:
    image: BuiltImage
    container: Container
    port: int
    ready_seconds: float
    healthy_seconds: float
    idle_memory_bytes: int


def _start(
    containers: Containers,
    image: BuiltImage,
    *,
    role: str,
    port: int,
    env: dict[str, str],
    network: str,
    aliases: list[str],
    health_path: str,
) -> RunningService:
    container = containers.run(
        image.tag,
        role=role,
        network=network,
        aliases=aliases,
        env={"PORT": str(port), **env},
        publish=[port],
        read_only=True,
        tmpfs=["/tmp"],
        options=HARDENING,
    )
    ready = container.wait_http(port, health_path)
    healthy = container.wait_healthy()
    return RunningService(image, container, port, ready, healthy, container.memory_bytes())


@pytest.fixture(scope="module")
def services(
    docker: Docker, backend_image: BuiltImage, frontend_image: BuiltImage, auth_secret: str
) -> Iterator[dict[str, RunningService]]:
    """The backend (SQLite in its /data volume) and a frontend pointed at it by a BACKEND_URL
    that is not the image's default, both hardened as above."""
    containers = Containers(docker)
    try:
        network = containers.network()
        backend = _start(
            containers,
            backend_image,
            role="backend",
            port=BACKEND_PORT,
            env={"BETTER_AUTH_SECRET": auth_secret},
            network=network,
            aliases=[BACKEND_ALIAS],
            health_path="/api/health",
        )
        frontend = _start(
            containers,
            frontend_image,
            role="frontend",
            port=FRONTEND_PORT,
            env={
                "BETTER_AUTH_SECRET": auth_secret,
                "BACKEND_URL": f"http://{BACKEND_ALIAS}:{BACKEND_PORT}",
            },
            network=network,
            aliases=["frontend"],
            health_path="/api/health",
        )
        yield {"backend": backend, "frontend": frontend}
    finally:
        containers.close()


@pytest.mark.parametrize("service", SERVICES)
def test_image_builds_small_over_its_base(service: str, request: pytest.FixtureRequest) -> None:
    image: BuiltImage = request.getfixturevalue(f"{service}_image")
    over_base_mb = image.size_over_base_bytes / MB
    record(service, "size_mb", round(image.size_bytes / MB, 1))
    record(service, "size_over_base_mb", round(over_base_mb, 1))
    target = SIZE_OVER_BASE_TARGET_MB[service]
    print(
        f"\n{image.tag}: {image.size_bytes / MB:.1f} MB, {over_base_mb:.1f} MB over "
        f"python:3.13-slim (target {target} MB), built in {image.build_seconds:.1f} s"
    )
    assert over_base_mb <= SIZE_OVER_BASE_BUDGET_MB[service]


@pytest.mark.parametrize("service", SERVICES)
def test_runs_as_a_numeric_non_root_user(
    service: str, services: dict[str, RunningService], docker: Docker
) -> None:
    running = services[service]
    configured_user = docker.inspect(running.image.tag, "image")["Config"]["User"]
    uid, _, gid = configured_user.partition(":")
    assert uid.isdigit() and gid.isdigit(), f"USER {configured_user!r} is not numeric"
    assert int(uid) != 0 and int(gid) != 0
    assert running.container.exec("id", "-u") == uid
    print(f"\n{running.image.tag} runs as uid {uid}, gid {gid}")


@pytest.mark.parametrize("service", SERVICES)
def test_turns_healthy_soon_after_start(service: str, services: dict[str, RunningService]) -> None:
    running = services[service]
    record(service, "ready_seconds_from_start", round(running.ready_seconds, 2))
    record(service, "healthy_seconds_from_start", round(running.healthy_seconds, 2))
    print(
        f"\n{running.image.tag}: answers {running.ready_seconds:.2f} s (target "
        f"{READY_TARGET_SECONDS:.0f} s) and is healthy {running.healthy_seconds:.2f} s after its "
        f"start (read-only root, PORT={running.port})"
    )
    assert running.ready_seconds <= READY_LIMIT_SECONDS
    assert running.healthy_seconds <= HEALTHY_LIMIT_SECONDS


@pytest.mark.parametrize("service", SERVICES)
def test_idle_memory_is_small(service: str, services: dict[str, RunningService]) -> None:
    running = services[service]
    idle_mb = running.idle_memory_bytes / MB
    name = "idle_memory_mb_sqlite" if service == "backend" else "idle_memory_mb"
    record(service, name, round(idle_mb, 1))
    print(f"\n{running.image.tag}: {idle_mb:.1f} MB in use when idle")
    assert idle_mb < IDLE_MEMORY_TARGET_MB[service]


def test_backend_works_on_a_read_only_root_with_its_data_volume(
    services: dict[str, RunningService],
) -> None:
    backend = services["backend"].container
    api = httpx.Client(base_url=backend.url(BACKEND_PORT), timeout=30)
    email = f"ro-{secrets.token_hex(4)}@example.com"
    signed_up = api.post(
        "/api/auth/sign-up", json={"email": email, "password": "correct horse", "name": "Ro"}
    )
    assert signed_up.status_code == 201, signed_up.text
    token, user_id = signed_up.json()["token"], signed_up.json()["user"]["id"]
    created = api.post(
        f"/api/{user_id}/tasks",
        json={"title": "Water the plants"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert created.status_code == 201, created.text
    # The database is the image's default, in the /data volume; the root stays read-only.
    assert "todo.db" in backend.exec("ls", "/data")
    refused = backend.exec_result("touch", "/app/probe")
    assert refused.returncode != 0 and "Read-only file system" in refused.stderr
    assert backend.exec_result("touch", "/tmp/probe").returncode == 0


def test_frontend_uses_the_backend_url_given_at_start(
    services: dict[str, RunningService], docker: Docker
) -> None:
    frontend = services["frontend"]
    image_env = docker.inspect(frontend.image.tag, "image")["Config"]["Env"]
    assert "BACKEND_URL=http://backend:8000" in image_env  # the image's default...
    client = Browser(frontend.container.url(FRONTEND_PORT))
    try:
        # ...yet sign-up reaches the backend named by the BACKEND_URL this container got.
        assert client.sign_up("Env", f"env-{secrets.token_hex(4)}@example.com").status_code == 303
        client.open_dashboard()
        listed = client.api("GET", f"{client.user_id}/tasks")
        assert listed.status_code == 200 and listed.json() == []
    finally:
        client.close()
    assert f"http://{BACKEND_ALIAS}:{BACKEND_PORT}" in frontend.container.logs()


@pytest.mark.parametrize("service", SERVICES)
def test_refuses_to_start_without_a_real_secret(
    service: str, request: pytest.FixtureRequest, containers: Containers
) -> None:
    image: BuiltImage = request.getfixturevalue(f"{service}_image")
    container = containers.run(image.tag, role=f"{service}-nosecret")
    assert container.wait_exited() == 2
    assert "BETTER_AUTH_SECRET must be set" in container.logs()
    assert "Traceback" not in container.logs()


@pytest.mark.parametrize("service", SERVICES)
def test_layers_hold_no_secrets_sources_or_tests(
    service: str, services: dict[str, RunningService], docker: Docker
) -> None:
    running = services[service]
    config = docker.inspect(running.image.tag, "image")["Config"]
    env_names = [entry.split("=", 1)[0] for entry in config["Env"]]
    assert not [name for name in env_names if "SECRET" in name or "KEY" in name]
    history = docker("history", "--no-trunc", "--format", "{{.CreatedBy}}", running.image.tag)
    assert "BETTER_AUTH_SECRET" not in history and "OPENAI_API_KEY" not in history
    assert not [step for step in history.splitlines() if "COPY" in step and ".env" in step]
    labels = config["Labels"]
    assert labels["org.opencontainers.image.title"] == f"todo-{service}"
    assert labels["org.opencontainers.image.version"]
    package = f"todo_{service}"
    listing = json.loads(running.container.exec("python", "-c", LIST_FILES, package))
    assert listing["app"] == [".venv"]  # no source tree, no uv.lock, no tests
    assert not listing["builder_leftovers"]
    assert listing["dotenv"] == []
    package_files = [path.split(f"/{package}/", 1)[1] for path in listing["package"]]
    assert not [name for name in package_files if "test" in name.split("/")[0]]
    assert not [name for name in package_files if name.endswith((".db", ".env"))]
    assert any(name.endswith(".pyc") for name in package_files)  # compiled at build time


def test_backend_ships_each_dependency_module_once_as_bytecode(
    services: dict[str, RunningService],
) -> None:
    """The modules the service loads from its dependencies are bytecode alone (the size target);
    our own package keeps its source, and anyio its lazy importer, which reads anyio's source."""
    listing = json.loads(services["backend"].container.exec("python", "-c", LOADED_FILES))
    assert listing["sqlalchemy"].endswith("/sqlalchemy/__init__.pyc")
    assert listing["fastapi.routing"].endswith("/fastapi/routing.pyc")
    assert not listing["beside_their_source"]
    assert listing["todo_backend.chat"].endswith("/todo_backend/chat.py")
    assert listing["anyio_is_lazy"]


def test_backend_chats_through_the_llm_agent_and_its_mcp_tools(
    backend_image: BuiltImage, docker: Docker, auth_secret: str
) -> None:
    """The LLM path (the Agents SDK, the openai client, the MCP client and server) runs from the
    image as shipped: the model's add_task call goes through MCP and creates the task. The
    container shares the host's network to reach the OpenAI-compatible test server."""
    port = free_port()
    containers = Containers(docker)
    with OpenAITestServer().running() as llm:
        try:
            backend = containers.run(
                backend_image.tag,
                role="llm",
                network="host",
                env={
                    "PORT": str(port),
                    "BETTER_AUTH_SECRET": auth_secret,
                    "OPENAI_BASE_URL": llm.base_url,
                    "OPENAI_API_KEY": "test-key",
                    "OPENAI_MODEL": "test-model",
                },
                read_only=True,
                tmpfs=["/tmp"],
                options=HARDENING,
            )
            backend.wait_http(port, "/api/health")
            api = httpx.Client(base_url=backend.url(port), timeout=30)
            email = f"llm-{secrets.token_hex(4)}@example.com"
            account = api.post(
                "/api/auth/sign-up",
                json={"email": email, "password": "correct horse", "name": "Lee"},
            ).json()
            user_id = account["user"]["id"]
            headers = {"Authorization": f"Bearer {account['token']}"}
            chat = api.post(
                f"/api/{user_id}/chat", json={"message": "Add a task to buy milk"}, headers=headers
            )
            assert chat.status_code == 200, chat.text
            assert [call["name"] for call in chat.json()["tool_calls"]] == ["add_task"]
            tasks = api.get(f"/api/{user_id}/tasks", headers=headers).json()
            assert [task["title"] for task in tasks] == ["Buy milk"]
            assert chat.json()["response"] == f"Added task {tasks[0]['id']}: 'Buy milk'."
            assert "Traceback" not in backend.logs()
        finally:
            containers.close()


@pytest.mark.parametrize("service", SERVICES)
def test_logs_json_lines_on_stdout(service: str, services: dict[str, RunningService]) -> None:
    lines = services[service].container.logs(stdout_only=True).splitlines()
    entries = [json.loads(line) for line in lines]
    assert any(entry["message"] == f"{service} started" for entry in entries)
    assert all({"time", "level", "message"} <= entry.keys() for entry in entries)


@pytest.mark.parametrize("service", SERVICES)
def test_stops_within_seconds_on_sigterm(service: str, services: dict[str, RunningService]) -> None:
    running = services[service]
    seconds = running.container.stop(timeout=10)
    state = running.container.inspect()["State"]
    record(service, "stop_seconds", round(seconds, 2))
    print(f"\n{running.image.tag}: stopped {seconds:.2f} s after SIGTERM, exit {state['ExitCode']}")
    assert seconds < STOP_LIMIT_SECONDS
    assert state["ExitCode"] == 0
    assert "Finished server process" in running.container.logs()
