"""The charts on a real Kubernetes (cluster/: upstream v1.34 with containerd, kube-proxy and
CoreDNS), deployed, upgraded and rolled back by the project's own commands on the path a user
takes by default: `make deploy|rollback|status` for Minikube, where only the `minikube` command is
a stand-in (it loads the images into the node's containerd; tests/support/minikube-standin).

The tests run in this file's order against one deployment: first what a fresh install must
show (the plan's phase-5 checks T061-T072), then pod deletions, a rolling upgrade under load,
`make rollback` (the previous build answers again), and last an upgrade that fails and is rolled
back by itself. tests/cluster/test_registry_path.py does the same through a registry.
"""

import json
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from testkit import wait_until
from tests.support.browser import Browser, signed_up, tool_names
from tests.support.cluster import REPO_ROOT, Cluster, CommandError, copy_checkout, pod_ready
from tests.support.load import Load, UnexpectedAnswerError, expect
from todo_common.build import VERSION

pytestmark = [pytest.mark.cluster, pytest.mark.timeout(1800)]

# Run inside a frontend pod: how it resolves and reaches the backend's Service.
RESOLVE_BACKEND = (
    "import os, socket, urllib.request; "
    "print(socket.gethostbyname('backend')); "
    "print(urllib.request.urlopen(os.environ['BACKEND_URL'] + '/api/health').read().decode())"
)


def delete_pod(cluster: Cluster, instance: str, pod: dict[str, Any]) -> int:
    """`kubectl delete pod` without waiting; returns how many pods the release had."""
    count = len(cluster.pods(instance))
    cluster.kubectl("delete", "pod", pod["metadata"]["name"], "--wait=false")
    return count


def wait_replaced(cluster: Cluster, instance: str, old: dict[str, Any], count: int) -> None:
    """Wait until `old` is gone for good (a terminating pod still counts: PostgreSQL may still
    be shutting down) and the release has `count` pods again, all Ready."""

    def replaced() -> bool:
        pods = cluster.all_pods(instance)
        return (
            len(pods) == count
            and old["metadata"]["uid"] not in {p["metadata"]["uid"] for p in pods}
            and all(pod_ready(p) and "deletionTimestamp" not in p["metadata"] for p in pods)
        )

    wait_until(replaced, seconds=180, what=f"{old['metadata']['name']} replaced", interval=1)


# --- a fresh install -----------------------------------------------------------------------------


def test_every_pod_is_ready_and_helm_test_passes_for_both_releases(deployed: Cluster) -> None:
    for release in ("backend", "frontend"):
        assert deployed.pods(release), f"{release} has no pods"
        assert all(pod_ready(p) for p in deployed.pods(release))
        output = deployed.make("status", log=f"status-{release}")
        assert "deployed" in output
        build = deployed.deployment_image(release).rpartition(":")[2]
        assert f"{release}: version {VERSION}, build {build}" in output
        result = deployed.helm("test", release, "--timeout", "2m")
        assert "Phase:          Succeeded" in result, result
    claim = deployed.kubectl_json("get", "pvc", "data-backend-postgresql-0")
    assert claim["status"]["phase"] == "Bound"
    assert claim["spec"]["storageClassName"] == "standard"


def test_pods_run_as_their_security_context_says(deployed: Cluster) -> None:
    """The kubelet and runc apply the charts' restricted settings: the image's non-root user,
    a read-only root filesystem with a writable /tmp, and the memory limit as the cgroup's."""
    pods = [
        (deployed.pods("backend", "api")[0]["metadata"]["name"], "10001", 2**30),
        (deployed.pods("frontend", "web")[0]["metadata"]["name"], "10001", 512 * 2**20),
        ("backend-postgresql-0", "999", 512 * 2**20),
    ]
    for name, uid, memory in pods:
        assert deployed.kubectl("exec", name, "--", "id", "-u").strip() == uid, name
        refused = deployed.kubectl_result("exec", name, "--", "touch", "/written")
        assert refused.returncode != 0 and "Read-only file system" in refused.stderr, name
        deployed.kubectl("exec", name, "--", "touch", "/tmp/written")
        limit = deployed.kubectl(
            "exec", name, "--", "cat", "/sys/fs/cgroup/memory/memory.limit_in_bytes"
        )
        assert int(limit) == memory, name


def test_the_namespace_refuses_privileged_pods_and_runs_the_releases(deployed: Cluster) -> None:
    """make deploy's namespace enforces Pod Security `restricted`: a privileged pod is refused
    there, and every pod of both releases (PostgreSQL's too) runs in it."""
    labels = deployed.kubectl_json("get", "namespace", deployed.namespace)["metadata"]["labels"]
    assert labels.get("pod-security.kubernetes.io/enforce") == "restricted", labels
    pause = "registry.k8s.io/pause:3.10.1"
    container = {"name": "privileged", "image": pause, "securityContext": {"privileged": True}}
    refused = deployed.kubectl_result(
        "run",
        "privileged",
        f"--image={pause}",
        "--restart=Never",
        "--dry-run=server",
        f"--overrides={json.dumps({'spec': {'containers': [container]}})}",
    )
    assert refused.returncode != 0 and 'violates PodSecurity "restricted' in refused.stderr
    for release in ("backend", "frontend"):
        pods = deployed.pods(release)
        assert pods and all(pod_ready(pod) for pod in pods), release
    assert deployed.pods("backend", "database")


def test_the_node_ports_answer_at_the_node_address(deployed: Cluster) -> None:
    """The plan's T056/T057: the API (docs and health) on 30001, the app on 30000."""
    health = httpx.get(f"{deployed.backend_url}/api/health", timeout=10)
    assert health.status_code == 200 and health.json()["status"] == "ok"
    assert httpx.get(f"{deployed.backend_url}/docs", timeout=10).status_code == 200
    sign_in = httpx.get(f"{deployed.frontend_url}/sign-in", timeout=10)
    assert sign_in.status_code == 200 and "csrf-token" in sign_in.text


def test_t061_the_frontend_reaches_the_backend_by_name_through_cluster_dns(
    deployed: Cluster,
) -> None:
    """`backend` resolves through CoreDNS (the pod's resolver is the kube-dns Service, and no
    hosts file names it) to the Service's cluster IP, and answers there."""
    service_ip = deployed.kubectl_json("get", "service", "backend")["spec"]["clusterIP"]
    dns_ip = deployed.kubectl_json("get", "service", "kube-dns", "-n", "kube-system")["spec"][
        "clusterIP"
    ]
    for pod in deployed.pods("frontend", "web"):
        name = pod["metadata"]["name"]
        resolv = deployed.kubectl("exec", name, "--", "cat", "/etc/resolv.conf")
        assert f"nameserver {dns_ip}" in resolv
        hosts = deployed.kubectl("exec", name, "--", "cat", "/etc/hosts")
        assert "backend" not in hosts
        address, health = deployed.kubectl(
            "exec", name, "--", "python", "-c", RESOLVE_BACKEND
        ).splitlines()
        assert address == service_ip
        assert '"status":"ok"' in health.replace(" ", "")


def test_t062_t063_sign_up_and_sign_in_reach_the_dashboard_and_its_chat(
    deployed: Cluster,
) -> None:
    email = f"ada-{secrets.token_hex(4)}@example.com"
    first = Browser(deployed.frontend_url)
    assert first.sign_up("Ada", email).status_code == 303
    dashboard = first.open_dashboard()
    assert "Ada" in dashboard and 'id="chat-form"' in dashboard

    again = Browser(deployed.frontend_url)
    response = again.sign_in(email)
    assert response.status_code == 303 and response.headers["location"] == "/dashboard"
    assert "Ada" in again.open_dashboard()

    wrong = Browser(deployed.frontend_url).sign_in("nobody@example.com")
    assert wrong.status_code == 401


def test_t064_to_t068_chat_adds_completes_lists_and_deletes_a_task(deployed: Cluster) -> None:
    browser = signed_up(deployed.frontend_url, "Linus")

    added = browser.chat("Add a task to buy milk")
    assert tool_names(added) == ["add_task"]
    (task,) = browser.tasks()
    assert task["title"].lower() == "buy milk" and task["completed"] is False
    assert "buy milk" in browser.task_list().lower()

    conversation = added["conversation_id"]
    completed = browser.chat("Mark the milk task as done", conversation)
    assert "complete_task" in tool_names(completed)
    assert browser.tasks()[0]["completed"] is True

    listed = browser.chat("Show my tasks", conversation)
    assert "list_tasks" in tool_names(listed) and "milk" in listed["response"].lower()

    deleted = browser.chat("Delete the milk task", conversation)
    assert "delete_task" in tool_names(deleted)
    assert browser.tasks() == []
    assert "No tasks yet" in browser.task_list()


def test_t072_two_users_see_only_their_own_tasks(deployed: Cluster) -> None:
    first = signed_up(deployed.frontend_url, "Alan")
    second = signed_up(deployed.frontend_url, "Joan")
    first.chat("Add a task to water the plants")

    assert second.tasks() == []
    assert "water the plants" not in second.task_list().lower()
    assert second.api("GET", f"{first.user_id}/tasks").status_code == 403
    second.chat("Add a task to feed the cat")
    assert [task["title"].lower() for task in first.tasks()] == ["water the plants"]


# --- pods deleted --------------------------------------------------------------------------------


def test_t070_t071_tasks_and_conversations_survive_deleting_the_api_and_database_pods(
    deployed: Cluster,
) -> None:
    """`kubectl delete pod`: the Deployment and the StatefulSet bring them back, and the data on
    the PersistentVolumeClaim is still there."""
    browser = signed_up(deployed.frontend_url, "Edsger")
    conversation = browser.chat("Add a task to pay bills")["conversation_id"]

    for component in ("api", "database"):
        (pod,) = deployed.pods("backend", component)
        wait_replaced(deployed, "backend", pod, delete_pod(deployed, "backend", pod))
    wait_until(
        lambda: httpx.get(f"{deployed.backend_url}/api/health", timeout=5).status_code == 200,
        seconds=120,
        what="the API to reach the restarted database",
        interval=1,
    )

    assert [task["title"].lower() for task in browser.tasks()] == ["pay bills"]
    history = browser.api("GET", f"{browser.user_id}/conversations/{conversation}")
    assert history.status_code == 200, history.text
    assert history.json()["messages"][0]["content"] == "Add a task to pay bills"
    listed = browser.chat("Show my tasks", conversation)
    assert listed["conversation_id"] == conversation and "bills" in listed["response"].lower()


def test_t069_a_replaced_frontend_pod_keeps_the_session(deployed: Cluster) -> None:
    """Every replica signs cookies with the same secret: after `kubectl delete pod`, the
    session still opens the dashboard, served by the other replica and then the new one."""
    browser = signed_up(deployed.frontend_url, "Barbara")
    pod = deployed.pods("frontend", "web")[0]
    count = delete_pod(deployed, "frontend", pod)
    assert "Barbara" in browser.open_dashboard()
    wait_replaced(deployed, "frontend", pod, count)
    for _ in range(10):  # the NodePort spreads requests over both replicas
        assert "Barbara" in browser.open_dashboard()


# --- upgrades and rollbacks ----------------------------------------------------------------------


class SteadyClient(Load):
    """A signed-in user whose browser keeps asking for the task list through the frontend's
    NodePort, from a thread, while a deployment changes; counts what did not answer 200 with
    the one task."""

    def __init__(self, base_url: str) -> None:
        self.browser = signed_up(base_url, "Steady")
        self.browser.chat("Add a task to stay online")
        super().__init__(self._list_tasks)

    def _list_tasks(self) -> None:
        response = expect(self.browser.api("GET", f"{self.browser.user_id}/tasks"), 200)
        if len(response.json()) != 1:
            raise UnexpectedAnswerError("not the one task", response.text[:200])


def test_a_rolling_upgrade_under_load_answers_every_request(
    deployed: Cluster, changed_checkout: Path, record_figure: Callable[[str, str, Any], None]
) -> None:
    images_before = {name: deployed.deployment_image(name) for name in ("backend", "frontend")}
    builds_before = deployed.builds_answering()
    assert builds_before == {
        name: image.rpartition(":")[2] for name, image in images_before.items()
    }
    with SteadyClient(deployed.frontend_url) as client:
        deployed.make("deploy", checkout=changed_checkout, log="deploy-upgrade")
        wait_until(lambda: client.outcomes["ok"] > 0, seconds=30, what="requests after the upgrade")
    record_figure("cluster", "rolling upgrade: requests answered", client.outcomes["ok"])
    record_figure("cluster", "rolling upgrade: errors", client.errors)
    for name, image in images_before.items():
        assert deployed.deployment_image(name) != image, f"{name} was not upgraded"
    builds_after = deployed.builds_answering()
    assert all(builds_after[name] != builds_before[name] for name in builds_before)
    assert client.errors == 0, (dict(client.outcomes), client.failures)


def test_make_rollback_brings_the_previous_code_back(deployed: Cluster) -> None:
    """Revision 1 and 2 run different images (the rolling upgrade's code change); after the
    rollback the NodePorts answer with revision 1's build again."""
    history = deployed.helm_history("backend")
    assert [entry["status"] for entry in history][-1] == "deployed" and len(history) >= 2
    first_image = deployed.image_of_revision("backend", history[-2]["revision"])
    assert deployed.deployment_image("backend") != first_image
    frontend_history = deployed.helm_history("frontend")
    first_frontend = deployed.image_of_revision("frontend", frontend_history[-2]["revision"])

    output = deployed.make("rollback", log="rollback")

    assert deployed.deployment_image("backend") == first_image
    assert deployed.builds_answering() == {
        "backend": first_image.rpartition(":")[2],
        "frontend": first_frontend.rpartition(":")[2],
    }
    assert f"backend: version {VERSION}, build {first_image.rpartition(':')[2]}" in output
    latest = deployed.helm_history("backend")[-1]
    assert latest["status"] == "deployed"
    assert latest["description"] == f"Rollback to {history[-2]['revision']}"
    assert all(pod_ready(p) for p in deployed.pods("backend"))


def test_the_optional_migration_job_runs_before_an_upgrade(deployed: Cluster) -> None:
    """`migrations.job.enabled`: the pre-upgrade hook Job runs `todo-backend migrate` with the
    API's environment against the live database, and the upgrade goes on once it succeeds."""
    revisions = len(deployed.helm_history("backend"))
    deployed.helm(
        "upgrade",
        "backend",
        str(REPO_ROOT / "helm/backend"),
        "--reuse-values",
        "--set",
        "migrations.job.enabled=true",
        "--wait",
        "--timeout",
        "3m",
    )
    history = deployed.helm_history("backend")
    assert len(history) == revisions + 1 and history[-1]["status"] == "deployed"
    events = deployed.kubectl_json("get", "events", "--field-selector", "involvedObject.kind=Job")
    completed = [e for e in events["items"] if e["involvedObject"]["name"] == "backend-migrate"]
    assert any(e["reason"] == "Completed" for e in completed), [e["reason"] for e in completed]


def test_an_upgrade_that_never_gets_ready_is_rolled_back_by_itself(
    deployed: Cluster, tmp_path: Path
) -> None:
    """A backend image that exits at once: `make deploy` waits, fails, and Helm rolls back; the
    app keeps answering and `helm history` shows the failed revision and the rollback."""
    browser = signed_up(deployed.frontend_url, "Margaret")
    browser.chat("Add a task to survive a bad release")
    broken_checkout = copy_checkout(tmp_path)
    dockerfile = broken_checkout / "Dockerfile.backend"
    broken = 'CMD ["python", "-c", "raise SystemExit(\'a deliberately broken release\')"]'
    dockerfile.write_text(dockerfile.read_text().replace('CMD ["todo-backend", "serve"]', broken))
    revisions_before = len(deployed.helm_history("backend"))

    with pytest.raises(CommandError) as failure:
        deployed.make("deploy", checkout=broken_checkout, log="deploy-broken", HELM_TIMEOUT="60s")

    assert "helm upgrade of backend failed" in failure.value.output
    history = deployed.helm_history("backend")
    failed, rollback = history[-2], history[-1]
    assert len(history) == revisions_before + 2
    assert failed["status"] == "failed"
    assert rollback["status"] == "deployed"
    assert rollback["description"].startswith("Rollback to")
    assert all(pod_ready(p) for p in deployed.pods("backend"))
    assert [task["title"].lower() for task in browser.tasks()] == ["survive a bad release"]
