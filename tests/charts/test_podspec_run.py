"""A pod-spec run of both charts: not Kubernetes, but proof that charts, images and application
agree. Both charts are rendered with their quick-start values (in-chart PostgreSQL, Secrets made
from values) and every Deployment's and StatefulSet's pod spec runs as Docker containers the way a
kubelet would run it (see podspec_runner.py). The plan's phase-5 checks (T061-T072) then go
through the frontend's NodePort, as a person with a browser would.
"""

import re
import secrets
import socket
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import httpx
import pytest
from chart_support import ROOT, Render
from podspec_runner import DockerCli, Pod, PodSpecRun

pytestmark = [pytest.mark.docker, pytest.mark.helm, pytest.mark.timeout(1200)]

FRONTEND_NODE_PORT = 30000
BACKEND_NODE_PORT = 30001
PASSWORD = "correct horse battery staple"
# Run inside a frontend pod: GET $BACKEND_URL/api/health, as the plan's T061 does with curl.
READ_BACKEND_HEALTH = (
    "import os, urllib.request; "
    "print(urllib.request.urlopen(os.environ['BACKEND_URL'] + '/api/health').read().decode())"
)


class BuiltImage(Protocol):
    """The `backend_image`/`frontend_image` fixtures of tests/conftest.py."""

    @property
    def tag(self) -> str: ...


@dataclass
class Stack:
    run: PodSpecRun
    database: Pod
    backend: Pod
    frontends: list[Pod]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{FRONTEND_NODE_PORT}"


class Browser:
    """What a browser does with the frontend: forms with the page's CSRF token, the session in an
    HttpOnly cookie, and the dashboard's script calling /api/* with the X-CSRF-Token header."""

    def __init__(self, base_url: str, cookies: httpx.Cookies | None = None) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=60, cookies=cookies)
        self.csrf_token = ""
        self.user_id = ""

    def page(self, path: str) -> httpx.Response:
        response = self.http.get(path)
        match = re.search(r'<meta name="csrf-token" content="([^"]+)">', response.text)
        if match:
            self.csrf_token = match.group(1)
        return response

    def _submit(self, path: str, form: dict[str, str]) -> httpx.Response:
        assert self.page(path).status_code == 200, path
        return self.http.post(path, data={"csrf_token": self.csrf_token, **form})

    def sign_up(self, name: str, email: str) -> httpx.Response:
        return self._submit("/sign-up", {"name": name, "email": email, "password": PASSWORD})

    def sign_in(self, email: str) -> httpx.Response:
        return self._submit("/sign-in", {"email": email, "password": PASSWORD})

    def open_dashboard(self) -> str:
        response = self.page("/dashboard")
        assert response.status_code == 200, response.text
        match = re.search(r'data-user-id="([^"]+)"', response.text)
        assert match, "the dashboard names no user"
        self.user_id = match.group(1)
        return response.text

    def task_list(self) -> str:
        """The dashboard's task list as its script redraws it."""
        response = self.http.get("/dashboard/tasks")
        assert response.status_code == 200, response.text
        return response.text

    def api(self, method: str, path: str, json: Any = None) -> httpx.Response:
        return self.http.request(
            method, f"/api/{path}", json=json, headers={"X-CSRF-Token": self.csrf_token}
        )

    def chat(self, message: str, conversation_id: int | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"message": message}
        if conversation_id is not None:
            body["conversation_id"] = conversation_id
        response = self.api("POST", f"{self.user_id}/chat", json=body)
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer

    def tasks(self) -> list[dict[str, Any]]:
        response = self.api("GET", f"{self.user_id}/tasks")
        assert response.status_code == 200, response.text
        tasks: list[dict[str, Any]] = response.json()
        return tasks


def signed_up(stack: Stack, name: str) -> Browser:
    browser = Browser(stack.url)
    email = f"{name.lower()}-{secrets.token_hex(4)}@example.com"
    response = browser.sign_up(name, email)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/dashboard"
    browser.open_dashboard()
    return browser


def tool_names(answer: dict[str, Any]) -> list[str]:
    return [call["name"] for call in answer["tool_calls"]]


def assert_port_free(port: int) -> None:
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            pytest.fail(f"port {port} is in use; the pod-spec run publishes the NodePort there")


@pytest.fixture(scope="module")
def stack(
    docker: DockerCli,
    backend_image: BuiltImage,
    frontend_image: BuiltImage,
    render: Render,
    record_figure: Callable[[str, str, Any], None],
) -> Iterator[Stack]:
    """Both charts' quick-start renderings running, every pod ready by its readiness probe."""
    backend = render(
        "backend",
        "-f",
        str(ROOT / "helm/backend/ci/quickstart-values.yaml"),
        "--set",
        f"secrets.authSecret={secrets.token_hex(32)}",
        "--set",
        f"postgresql.auth.password={secrets.token_hex(16)}",
        "--set",
        "migrations.job.enabled=true",
    )
    frontend = render(
        "frontend",
        "-f",
        str(ROOT / "helm/frontend/ci/quickstart-values.yaml"),
        "--set",
        f"secrets.authSecret={secrets.token_hex(32)}",
    )
    images = {
        doc["spec"]["template"]["spec"]["containers"][0]["image"]
        for doc in backend + frontend
        if doc["kind"] == "Deployment"
    }
    assert images == {backend_image.tag, frontend_image.tag}
    for port in (FRONTEND_NODE_PORT, BACKEND_NODE_PORT):
        assert_port_free(port)

    run = PodSpecRun(docker, backend + frontend)
    run.start_network()
    try:
        # As `helm install` does: everything starts at once; the API's init container waits for
        # the database to accept connections.
        ready: dict[str, float] = {}
        database = run.run_statefulset("backend-postgresql")
        api = run.run_deployment("backend")
        replicas = run.find("Deployment", "frontend")["spec"]["replicas"]
        web = [run.run_deployment("frontend", replica) for replica in range(replicas)]
        ready["postgresql"] = run.wait_ready(database)
        ready["backend"] = run.wait_ready(api)
        for pod in web:
            ready[pod.name] = run.wait_ready(pod)
        for name, seconds in ready.items():
            record_figure("pod-spec run", f"{name} ready after (s)", round(seconds, 1))
        yield Stack(run, database, api, web)
    finally:
        run.close()


# --- the pods run as their specs say ------------------------------------------------------------


def test_pods_run_with_the_rendered_security_context_and_limits(
    stack: Stack, docker: DockerCli
) -> None:
    expectations = [
        (stack.backend, "10001", 2**30, "python"),
        (stack.frontends[0], "10001", 512 * 2**20, "python"),
        (stack.database, "999", 512 * 2**20, "sh"),
    ]
    for pod, uid, memory, shell in expectations:
        assert docker("exec", pod.container, "id", "-u") == uid, pod.name
        write = ["-c", "open('/written', 'w')"] if shell == "python" else ["-c", "touch /written"]
        refused = subprocess.run(
            [docker.binary, "exec", pod.container, shell, *write],
            capture_output=True,
            text=True,
            check=False,
        )
        assert refused.returncode != 0 and "Read-only file system" in refused.stderr, pod.name
        docker("exec", pod.container, "sh", "-c", "touch /tmp/written")
        assert docker("inspect", "--format", "{{.HostConfig.Memory}}", pod.container) == str(memory)


def test_helm_test_pods_pass(stack: Stack) -> None:
    """`helm test` for both charts: health through the Services, the database through the API,
    and the backend at the frontend's BACKEND_URL."""
    for name in ("backend-test-health", "frontend-test-health"):
        exit_code, output = stack.run.run_to_completion("Pod", name)
        assert exit_code == 0, output


def test_the_optional_migration_job_runs_against_the_migrated_database(stack: Stack) -> None:
    """The pre-upgrade hook's pod: `todo-backend migrate` with the API's environment; the
    database is already at the newest schema, so it succeeds without changing anything."""
    exit_code, output = stack.run.run_to_completion("Job", "backend-migrate")
    assert exit_code == 0, output


# --- the plan's phase-5 checks ------------------------------------------------------------------


def test_the_backend_node_port_serves_the_api_docs_and_health(stack: Stack) -> None:
    """The plan's T056/T057, at the backend's NodePort."""
    base = f"http://127.0.0.1:{BACKEND_NODE_PORT}"
    assert httpx.get(f"{base}/docs", timeout=10).status_code == 200
    health = httpx.get(f"{base}/api/health", timeout=10)
    assert health.status_code == 200
    assert health.json()["status"] == "ok"


def test_t061_the_frontend_reaches_the_backend_by_its_service_name(
    stack: Stack, docker: DockerCli
) -> None:
    for pod in stack.frontends:
        answer = docker(
            "exec",
            pod.container,
            "python",
            "-c",
            READ_BACKEND_HEALTH,
        )
        assert '"status":"ok"' in answer.replace(" ", ""), answer
    env = docker("exec", stack.frontends[0].container, "printenv", "BACKEND_URL")
    assert env == "http://backend:8000"


def test_t062_t063_sign_up_and_sign_in_reach_the_dashboard_and_its_chat(stack: Stack) -> None:
    browser = signed_up(stack, "Ada")
    dashboard = browser.open_dashboard()
    assert "Ada" in dashboard
    assert 'id="chat"' in dashboard and 'id="chat-form"' in dashboard

    wrong = Browser(stack.url).sign_in("nobody@example.com")
    assert wrong.status_code == 401
    assert "match an account" in wrong.text


def test_t062_sign_in_with_the_account_made_at_sign_up(stack: Stack) -> None:
    email = f"grace-{secrets.token_hex(4)}@example.com"
    first = Browser(stack.url)
    assert first.sign_up("Grace", email).status_code == 303
    again = Browser(stack.url)
    response = again.sign_in(email)
    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard"
    assert "Grace" in again.open_dashboard()


def test_t064_to_t068_chat_adds_completes_lists_and_deletes_a_task(stack: Stack) -> None:
    browser = signed_up(stack, "Linus")

    added = browser.chat("Add a task to buy milk")
    assert tool_names(added) == ["add_task"]
    assert "milk" in added["response"].lower()
    (task,) = browser.tasks()
    assert task["title"].lower() == "buy milk" and task["completed"] is False
    assert "Buy milk" in browser.task_list() or "buy milk" in browser.task_list()

    conversation = added["conversation_id"]
    completed = browser.chat("Mark the milk task as done", conversation)
    assert "complete_task" in tool_names(completed)
    assert browser.tasks()[0]["completed"] is True
    assert 'class="task done"' in browser.task_list()

    listed = browser.chat("Show my tasks", conversation)
    assert "list_tasks" in tool_names(listed)
    assert "milk" in listed["response"].lower()

    deleted = browser.chat("Delete the milk task", conversation)
    assert "delete_task" in tool_names(deleted)
    assert browser.tasks() == []
    assert "No tasks yet" in browser.task_list()


def test_t069_a_replaced_frontend_pod_keeps_the_app_and_the_session(stack: Stack) -> None:
    browser = signed_up(stack, "Barbara")
    first, other = stack.frontends
    stack.run.delete(first)
    try:
        # While the NodePort's pod is gone, the other replica serves the same session: every
        # replica signs cookies with the same secret.
        session = {cookie.name: cookie.value or "" for cookie in browser.http.cookies.jar}
        direct = Browser(f"http://{other.ip}:3000", cookies=httpx.Cookies(session))
        response = direct.page("/dashboard")
        assert response.status_code == 200, stack.run.logs(other)[-3000:]
        assert "Barbara" in response.text
    finally:
        replacement = stack.run.run_deployment("frontend", replica=0)
        stack.frontends[0] = replacement
        stack.run.wait_ready(replacement)
    response = browser.page("/dashboard")
    assert response.status_code == 200, stack.run.logs(replacement)[-3000:]
    assert "Barbara" in response.text


def test_t070_t071_the_backend_restarts_and_the_conversation_persists(stack: Stack) -> None:
    browser = signed_up(stack, "Edsger")
    answer = browser.chat("Add a task to pay bills")
    conversation = answer["conversation_id"]

    stack.run.delete(stack.backend)
    stack.backend = stack.run.run_deployment("backend")
    stack.run.wait_ready(stack.backend)

    history = browser.api("GET", f"{browser.user_id}/conversations/{conversation}")
    assert history.status_code == 200, history.text
    messages = history.json()["messages"]
    assert [message["role"] for message in messages] == ["user", "assistant"]
    assert messages[0]["content"] == "Add a task to pay bills"

    listed = browser.chat("Show my tasks", conversation)
    assert listed["conversation_id"] == conversation
    assert "bills" in listed["response"].lower()
    history = browser.api("GET", f"{browser.user_id}/conversations/{conversation}").json()
    assert len(history["messages"]) == 4


def test_t072_two_users_see_only_their_own_tasks(stack: Stack) -> None:
    first = signed_up(stack, "Alan")
    second = signed_up(stack, "Joan")
    first.chat("Add a task to water the plants")

    assert second.tasks() == []
    assert "water the plants" not in second.task_list().lower()
    assert "water the plants" in first.task_list().lower()
    response = second.api("GET", f"{first.user_id}/tasks")
    assert response.status_code == 403
    second.chat("Add a task to feed the cat")
    assert [task["title"].lower() for task in first.tasks()] == ["water the plants"]
