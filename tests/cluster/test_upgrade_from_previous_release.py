"""An upgrade from the previous release to this checkout, under load, and a rollback to it: how
the service ships a schema change while it runs. The previous release (PREVIOUS_RELEASE) is
built and deployed by its own `make deploy`, from its own files; people sign up and keep tasks
on it; this checkout's `make deploy` upgrades both charts, and the database's schema, while they
go on reading and writing through both NodePorts; `make rollback` then brings the previous
release back onto the migrated database while they still go on. No request may fail, and every
task must stay as its owner left it.

Runs through the registry (DEPLOY_TARGET=current) after test_registry_path.py, which pushed this
checkout's images already. The previous release's images go under a path of their own
(`<registry>/release-<commit>/todo-backend:...`), so they cannot be confused with this
checkout's."""

import io
import secrets
import subprocess
import tarfile
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn, Protocol

import httpx
import pytest

from testkit import wait_until
from tests.support.browser import PASSWORD, Browser
from tests.support.cluster import REPO_ROOT, Cluster
from tests.support.load import Load, Step, UnexpectedAnswerError, expect
from todo_backend.migrate import head_revision

pytestmark = [pytest.mark.cluster, pytest.mark.timeout(1800)]

# The release this checkout upgrades from and rolls back to. It is the first release that runs
# on a database a newer release migrated: its migrate.py leaves a revision it does not know as
# it is, where older code fails on it and crash-loops (pinned to the commit before, 1cd1e27,
# the rollback test fails: "Can't locate revision identified by '0006'"). So it is the oldest
# release a rollback across a schema change can return to; move it on when a release is cut.
PREVIOUS_RELEASE = "7e823a3725516c0e68f2d2a849baeba748ced5bc"
# A task's fields as the previous release answers them: what must survive both ways.
PREVIOUS_TASK_FIELDS = frozenset(
    {"id", "user_id", "title", "description", "completed", "created_at", "updated_at"}
)
# Two API pods: old and new code serve side by side for the whole of each rollout.
BACKEND_VALUES = "replicaCount: 2\n"
# The pause between one person's acts under load: what they write stays far below the quota.
PAUSE_SECONDS = 0.25
# A rollback whose pods never get ready (old code that cannot run on the new schema) fails in
# this time, where make's default waits 5 minutes.
ROLLBACK_TIMEOUT = "2m"


class Client(Protocol):
    """How a person reaches the API: a browser through the frontend, or an API client."""

    user_id: str

    def api(self, method: str, path: str, json: Any = None) -> httpx.Response: ...


class ApiClient:
    """An account signed up through the backend's NodePort, calling it with the bearer token."""

    def __init__(self, backend_url: str, name: str) -> None:
        self.http = httpx.Client(base_url=backend_url, timeout=60)
        email = f"{name.lower()}-{secrets.token_hex(4)}@example.com"
        account = {"name": name, "email": email, "password": PASSWORD}
        signed = expect(self.http.post("/api/auth/sign-up", json=account), 201).json()
        self.user_id: str = signed["user"]["id"]
        self.http.headers["Authorization"] = f"Bearer {signed['token']}"

    def api(self, method: str, path: str, json: Any = None) -> httpx.Response:
        return self.http.request(method, f"/api/{path}", json=json)


def previous_fields(task: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in task.items() if name in PREVIOUS_TASK_FIELDS}


@dataclass
class Person:
    """Someone with tasks, and what they expect to see: each task's previous-release fields as
    the last answer about it gave them."""

    client: Client
    expected: dict[int, dict[str, Any]] = field(default_factory=dict)

    def _path(self, rest: str = "") -> str:
        return f"{self.client.user_id}/tasks{rest}"

    def create(self, **task: Any) -> dict[str, Any]:
        created: dict[str, Any] = expect(self.client.api("POST", self._path(), task), 201).json()
        self.expected[created["id"]] = previous_fields(created)
        return created

    def update(self, task_id: int, **changes: Any) -> dict[str, Any]:
        response = self.client.api("PUT", self._path(f"/{task_id}"), changes)
        updated: dict[str, Any] = expect(response, 200).json()
        self.expected[task_id] = previous_fields(updated)
        return updated

    def listed(self) -> list[dict[str, Any]]:
        tasks: list[dict[str, Any]] = expect(self.client.api("GET", self._path()), 200).json()
        return tasks

    def check_tasks(self) -> list[dict[str, Any]]:
        """The task list, when it is exactly what this person expects."""
        listed = self.listed()
        seen = {task["id"]: previous_fields(task) for task in listed}
        if seen != self.expected:
            ids = seen.keys() | self.expected.keys()
            differ = sorted(i for i in ids if seen.get(i) != self.expected.get(i))
            raise UnexpectedAnswerError("tasks not as left", f"tasks {differ[:5]} differ")
        return listed


@dataclass
class Deployment:
    """The namespace on the registry path, the previous release's builds, and its people: Ada
    on the frontend's NodePort (a browser), Grace on the backend's (an API client)."""

    cluster: Cluster
    previous_builds: dict[str, str]
    previous_revision: str
    backend_values: Path
    ada: Person
    grace: Person
    builds_seen: set[str] = field(default_factory=set)

    def writing(self) -> Step:
        """Ada adds a task, marks it done and finds her list as she left it."""

        def write() -> None:
            task = self.ada.create(title=f"written under load {len(self.ada.expected)}")
            self.ada.update(task["id"], completed=True)
            self.ada.check_tasks()

        return write

    def reading(self) -> Step:
        """Grace finds her list as she left it, and notes which backend build answers."""

        def read() -> None:
            self.grace.check_tasks()
            health = expect(httpx.get(f"{self.cluster.backend_url}/api/health", timeout=60), 200)
            self.builds_seen.add(health.json()["build"])

        return read

    def load(self) -> Load:
        return Load(self.writing(), self.reading(), pause=PAUSE_SECONDS)


def database_revision(cluster: Cluster) -> str:
    """The Alembic revision the release's database is at."""
    psql = (
        'PGPASSWORD="$POSTGRES_PASSWORD" psql -h 127.0.0.1 -U "$POSTGRES_USER" -d "$POSTGRES_DB"'
        ' -tAc "SELECT version_num FROM alembic_version"'
    )
    pod = ("backend-postgresql-0", "-c", "postgresql")
    return cluster.kubectl("exec", *pod, "--", "sh", "-c", psql).strip()


def previous_release_files(destination: Path, unavailable: Callable[[str], NoReturn]) -> Path:
    """PREVIOUS_RELEASE's files, as `git archive` gives them: its Makefile, scripts, Dockerfiles,
    charts and code."""
    archive = subprocess.run(
        ["git", "archive", "--format=tar", PREVIOUS_RELEASE],
        cwd=REPO_ROOT,
        capture_output=True,
        check=False,
    )
    if archive.returncode != 0:
        unavailable(
            f"the previous release {PREVIOUS_RELEASE[:12]} is not in this clone (a shallow "
            f"one? `git fetch --unshallow`): {archive.stderr.decode().strip()}"
        )
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as files:
        files.extractall(destination, filter="data")
    return destination


def _signed_up_after_the_purge(base_url: str, name: str) -> Browser:
    """`signed_up`, once the new deployment takes a sign-up. For a moment after a purge and a
    deploy, the frontend's calls have been answered 404 "Not Found" in CI (the open
    investigation that test_registry_path reports): setting up the old release must not fail
    on it, so what answered is reported as a warning instead."""
    browser = Browser(base_url)
    email = f"{name.lower()}-{secrets.token_hex(4)}@example.com"
    refused: list[str] = []

    def taken() -> bool:
        response = browser.sign_up(name, email)
        if response.status_code != 303:
            refused.append(f"{response.status_code} {Browser.form_error(response)!r}")
        return response.status_code == 303

    wait_until(taken, seconds=60, what=f"{base_url} to take a sign-up", interval=1)
    if refused:
        warnings.warn(f"sign-up after the purge: {', '.join(refused)}", stacklevel=1)
    browser.open_dashboard()
    return browser


@pytest.fixture(scope="module")
def on_previous_release(
    cluster: Cluster,
    tmp_path_factory: pytest.TempPathFactory,
    unavailable: Callable[[str], NoReturn],
) -> Iterator[Deployment]:
    """The previous release deployed by its own `make deploy` into an empty namespace, and
    Ada and Grace with three tasks each on it."""
    registry = cluster.on("current")
    registry.make("undeploy", log="upgrade-undeploy-before", PURGE="1")
    checkout = previous_release_files(tmp_path_factory.mktemp("previous-release"), unavailable)
    backend_values = tmp_path_factory.mktemp("upgrade-values") / "backend.yaml"
    backend_values.write_text(BACKEND_VALUES)
    previous_registry = f"{registry.registry}/release-{PREVIOUS_RELEASE[:12]}"
    registry.make(
        "deploy",
        checkout=checkout,
        log="upgrade-deploy-previous",
        IMAGE_REGISTRY=previous_registry,
        BACKEND_VALUES=str(backend_values),
    )
    for release in ("backend", "frontend"):
        image = registry.deployment_image(release)
        assert image.startswith(f"{previous_registry}/todo-{release}:"), image

    ada = Person(_signed_up_after_the_purge(registry.frontend_url, "Ada"))
    grace = Person(ApiClient(registry.backend_url, "Grace"))
    for person in (ada, grace):
        person.create(title="Buy milk", description="two litres, semi-skimmed")
        done = person.create(title="Call mom")
        person.update(done["id"], completed=True)
        person.create(title="Pay rent")
        assert all(task.keys() == PREVIOUS_TASK_FIELDS for task in person.check_tasks())
    yield Deployment(
        registry,
        previous_builds=registry.builds_answering(),
        previous_revision=database_revision(registry),
        backend_values=backend_values,
        ada=ada,
        grace=grace,
    )


def test_an_upgrade_under_load_fails_no_request_and_keeps_every_task(
    on_previous_release: Deployment, record_figure: Callable[[str, str, Any], None]
) -> None:
    """While this checkout's `make deploy` replaces the previous release's pods (and migrates
    the database under them), Ada writes through the frontend and Grace reads through the
    backend; both NodePorts answer every request, first from the previous build, then from this
    one."""
    deployment = on_previous_release
    cluster = deployment.cluster
    with deployment.load() as load:
        cluster.make("deploy", log="upgrade-deploy", BACKEND_VALUES=str(deployment.backend_values))
        builds = cluster.builds_answering()
        wait_until(
            lambda: builds["backend"] in deployment.builds_seen,
            seconds=30,
            what="a read answered by the new build",
        )
    answered = sum(load.outcomes.values())
    record_figure("cluster", "upgrade from the previous release: requests", answered)
    schemas = f"{deployment.previous_revision} to {database_revision(cluster)}"
    record_figure("cluster", "upgrade from the previous release: schema", schemas)
    assert load.errors == 0, (dict(load.outcomes), load.failures)
    assert all(builds[name] != deployment.previous_builds[name] for name in builds), builds
    assert deployment.previous_builds["backend"] in deployment.builds_seen
    assert database_revision(cluster) == head_revision()
    for person in (deployment.ada, deployment.grace):
        person.check_tasks()


def test_tasks_from_before_read_with_the_new_defaults_and_a_planned_task_keeps_its_fields(
    on_previous_release: Deployment,
) -> None:
    """Every task the previous release wrote (before the upgrade, and from its pods during it)
    has no due date, medium priority and no tags; one created with all three keeps them."""
    deployment = on_previous_release
    for person in (deployment.ada, deployment.grace):
        for task in person.check_tasks():
            assert (task["due_at"], task["priority"], task["tags"]) == (None, "medium", []), task
    grace = deployment.grace
    planned = grace.create(
        title="Plan the launch",
        due_at="2026-12-08T17:00:00+01:00",
        priority="high",
        tags=["work", "launch"],
    )
    path = f"{grace.client.user_id}/tasks/{planned['id']}"
    fetched = expect(grace.client.api("GET", path), 200).json()
    for task in (planned, fetched):
        assert task["due_at"] == "2026-12-08T16:00:00Z", task
        assert (task["priority"], task["tags"]) == ("high", ["launch", "work"]), task


def test_a_rollback_under_load_brings_the_previous_release_back_with_every_task(
    on_previous_release: Deployment, record_figure: Callable[[str, str, Any], None]
) -> None:
    """`make rollback` puts the previous release's pods back on the migrated database (its
    schema stays as this checkout left it) while Ada and Grace go on; then both NodePorts answer
    with the previous build, which lists every task, written by either release, in its own
    fields."""
    deployment = on_previous_release
    cluster = deployment.cluster
    revision = database_revision(cluster)
    with deployment.load() as load:
        cluster.make("rollback", log="upgrade-rollback", HELM_TIMEOUT=ROLLBACK_TIMEOUT)
        builds = cluster.builds_answering()
    answered = sum(load.outcomes.values())
    record_figure("cluster", "rollback to the previous release: requests", answered)
    assert load.errors == 0, (dict(load.outcomes), load.failures)
    assert builds == deployment.previous_builds
    assert database_revision(cluster) == revision
    for person in (deployment.ada, deployment.grace):
        assert all(task.keys() == PREVIOUS_TASK_FIELDS for task in person.check_tasks())
