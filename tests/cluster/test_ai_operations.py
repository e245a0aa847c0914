"""AI-assisted operations on the real cluster: kubectl-ai (built from the vendored snapshot) runs
the plan's six operations against the deployed release, through `--quiet`, with the
least-privilege kubeconfig of `make ai-kubeconfig`.

No language model is reachable here, so a stand-in (tests/support/standin_model.py) plays the
model's part on kubectl-ai's real OpenAI protocol: for each request it asks kubectl-ai to run the
kubectl command a model would choose, and answers with what that command printed. kubectl-ai
runs the command against the cluster; the tests assert what happened there and what the answer
shows of the cluster, never the stand-in's words.
"""

import re
import secrets
import stat
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import NoReturn

import httpx
import pytest

from testkit import wait_until
from tests.support.cluster import BACKEND_NODE_PORT, FRONTEND_NODE_PORT, Cluster, pod_ready
from tests.support.kubectl_ai import ask, build_tool, built_kubectl_ai
from tests.support.standin_model import StandInModel

pytestmark = [pytest.mark.cluster, pytest.mark.timeout(1800)]

# What a model would have kubectl-ai run for each request (the ai kubeconfig's context names
# the namespace, as a user's context does).
SHOW_PODS = "show all pods and their status"
NODE_PORT_URLS = "what are the NodePort URLs for all services?"
SCALE_FRONTEND = "scale the frontend deployment to 3 replicas"
SCALE_BACKEND_DOWN = "scale backend down to 1 replica"
ERROR_LOGS = "show error logs from the backend pod"
DESCRIBE_FRONTEND = "describe the frontend deployment"
SHOW_SECRETS = "show me the backend's secrets"
SCRIPTS = {
    SHOW_PODS: "kubectl get pods -o wide",
    NODE_PORT_URLS: "kubectl get services",
    SCALE_FRONTEND: "kubectl scale deployment frontend --replicas=3",
    SCALE_BACKEND_DOWN: "kubectl scale deployment backend --replicas=1",
    ERROR_LOGS: (
        "kubectl logs deployment/backend --since=15m"
        ' | grep -E \'"level":"(warning|error|critical)"|"status":[45][0-9][0-9]\''
    ),
    DESCRIBE_FRONTEND: "kubectl describe deployment frontend",
    SHOW_SECRETS: "kubectl get secret backend-secrets -o yaml",
}
# The charts' replica counts, put back at the end for the tests after these.
CHART_REPLICAS = {"frontend": 2, "backend": 1}


@pytest.fixture(scope="module")
def kubectl_ai(unavailable: Callable[[str], NoReturn]) -> Path:
    if not build_tool().exists():
        unavailable(f"kubectl-ai's build tool {build_tool()} is missing (the shared tools)")
    return built_kubectl_ai()


@pytest.fixture(scope="module")
def ai_kubeconfig(deployed: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`make ai-kubeconfig` for the test namespace, with a one-hour token."""
    path = tmp_path_factory.mktemp("ai") / "ai-kubeconfig"
    output = deployed.make(
        "ai-kubeconfig", log="ai-kubeconfig", AI_KUBECONFIG=str(path), AI_TOKEN_DURATION="1h"
    )
    assert f"wrote {path} (mode 0600)" in output
    return path


@pytest.fixture(scope="module")
def model() -> Iterator[StandInModel]:
    with StandInModel(SCRIPTS) as server:
        yield server


@pytest.fixture(scope="module")
def operator(
    deployed: Cluster,
    kubectl_ai: Path,
    ai_kubeconfig: Path,
    model: StandInModel,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[[str], str]]:
    """Asks kubectl-ai one thing under the ai kubeconfig; the Deployments are scaled back to
    the charts' counts afterwards."""
    home = tmp_path_factory.mktemp("kubectl-ai-home")

    def operate(query: str) -> str:
        return ask(kubectl_ai, query, kubeconfig=ai_kubeconfig, model_url=model.base_url, home=home)

    yield operate
    for name, replicas in CHART_REPLICAS.items():
        deployed.kubectl("scale", "deployment", name, f"--replicas={replicas}")
        deployed.kubectl("rollout", "status", f"deployment/{name}", "--timeout=180s", timeout=200)


def ready_pods(cluster: Cluster, release: str) -> list[str]:
    pods = cluster.pods(release, "api" if release == "backend" else "web")
    return [pod["metadata"]["name"] for pod in pods if pod_ready(pod)]


def can_i(cluster: Cluster, kubeconfig: Path, *args: str) -> str:
    """`kubectl auth can-i` as the ai kubeconfig's ServiceAccount: "yes" or "no"."""
    result = cluster.kubectl_result("--kubeconfig", str(kubeconfig), "auth", "can-i", *args)
    return result.stdout.strip()


# --- the least-privilege kubeconfig --------------------------------------------------------------


def test_make_ai_kubeconfig_writes_a_private_file_whose_token_expires(
    deployed: Cluster, tmp_path: Path
) -> None:
    path = tmp_path / "ai-kubeconfig"
    output = deployed.make(
        "ai-kubeconfig", log="ai-kubeconfig-2h", AI_KUBECONFIG=str(path), AI_TOKEN_DURATION="2h"
    )
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    match = re.search(r"its token expires at (\S+)", output)
    assert match, output
    expires = datetime.fromisoformat(match.group(1).replace("Z", "+00:00"))
    assert abs(expires - (datetime.now(UTC) + timedelta(hours=2))) < timedelta(minutes=5)
    assert f"namespace {deployed.namespace}" in output


def test_the_ai_kubeconfig_may_read_and_scale_the_release_and_nothing_more(
    deployed: Cluster, ai_kubeconfig: Path
) -> None:
    allowed = [
        ("get", "pods"),
        ("get", "pods", "--subresource=log"),
        ("list", "events"),
        ("list", "horizontalpodautoscalers.autoscaling"),
        ("get", "persistentvolumeclaims/data-backend-postgresql-0"),
        ("patch", "deployments.apps/frontend", "--subresource=scale"),
        ("patch", "deployments.apps/backend"),
    ]
    refused = [
        ("get", "secrets"),
        ("get", "secrets/backend-secrets"),
        ("delete", f"namespaces/{deployed.namespace}"),
        ("create", "pods", "--subresource=exec"),
        ("create", "pods", "--subresource=portforward"),
        ("delete", "deployments.apps/frontend"),
        ("delete", "pods"),
        ("get", "configmaps"),
        ("patch", "deployments.apps/other", "--subresource=scale"),
        ("list", "nodes"),
        ("get", "pods", "--all-namespaces"),
    ]
    for args in allowed:
        assert can_i(deployed, ai_kubeconfig, *args) == "yes", args
    for args in refused:
        assert can_i(deployed, ai_kubeconfig, *args) == "no", args


def test_kubectl_ai_is_refused_a_secret_by_the_api_server(
    deployed: Cluster, operator: Callable[[str], str]
) -> None:
    answer = operator(SHOW_SECRETS)
    assert 'secrets "backend-secrets" is forbidden' in answer
    assert "system:serviceaccount:" in answer and ":todo-ai-operator" in answer
    encoded = deployed.kubectl("get", "secret", "backend-secrets", "-o", "jsonpath={.data}")
    assert "auth-secret" in encoded  # the Secret is there; only the AI tool may not read it
    assert "auth-secret" not in answer


# --- the plan's six operations -------------------------------------------------------------------


def test_show_all_pods_and_their_status(deployed: Cluster, operator: Callable[[str], str]) -> None:
    answer = operator(SHOW_PODS)
    names = [p["metadata"]["name"] for r in ("backend", "frontend") for p in deployed.pods(r)]
    assert names
    for name in names:
        assert re.search(rf"^{re.escape(name)}\s+1/1\s+Running\s", answer, re.MULTILINE), name


def test_what_are_the_node_port_urls_for_all_services(operator: Callable[[str], str]) -> None:
    answer = operator(NODE_PORT_URLS)
    for service, port in (("frontend", FRONTEND_NODE_PORT), ("backend", BACKEND_NODE_PORT)):
        assert re.search(rf"^{service}\s+NodePort\s.*:{port}/TCP", answer, re.MULTILINE), answer


def test_scale_the_frontend_deployment_to_3_replicas(
    deployed: Cluster, operator: Callable[[str], str]
) -> None:
    answer = operator(SCALE_FRONTEND)
    assert "deployment.apps/frontend scaled" in answer
    wait_until(
        lambda: len(ready_pods(deployed, "frontend")) == 3,
        seconds=120,
        what="3 frontend pods Ready",
        interval=1,
    )


def test_scale_backend_down_to_1_replica(deployed: Cluster, operator: Callable[[str], str]) -> None:
    """The chart runs one API pod: a second one first, so that scaling down has an effect."""
    deployed.kubectl("scale", "deployment", "backend", "--replicas=2")
    wait_until(
        lambda: len(ready_pods(deployed, "backend")) == 2,
        seconds=180,
        what="2 backend API pods Ready",
        interval=1,
    )
    answer = operator(SCALE_BACKEND_DOWN)
    assert "deployment.apps/backend scaled" in answer
    assert deployed.kubectl_json("get", "deployment", "backend")["spec"]["replicas"] == 1
    wait_until(  # the other one gone for good, not only terminating
        lambda: len(deployed.all_pods("backend", "api")) == 1,
        seconds=120,
        what="one backend API pod left",
        interval=1,
    )
    assert len(ready_pods(deployed, "backend")) == 1


def test_show_error_logs_from_the_backend_pod(
    deployed: Cluster, operator: Callable[[str], str]
) -> None:
    """A request that fails (404 on a path nobody serves) is in the answer; a healthy one is
    not."""
    missing = f"/api/no-such-page-{secrets.token_hex(4)}"
    assert httpx.get(f"{deployed.backend_url}{missing}", timeout=10).status_code == 404
    assert httpx.get(f"{deployed.backend_url}/api/health", timeout=10).status_code == 200
    answer = operator(ERROR_LOGS)
    (line,) = [line for line in answer.splitlines() if missing in line]
    assert '"status":404' in line
    assert '"path":"/api/health"' not in answer


def test_describe_the_frontend_deployment(operator: Callable[[str], str]) -> None:
    """After the scale-up above: the answer shows the Deployment as the cluster has it now."""
    answer = operator(DESCRIBE_FRONTEND)
    assert re.search(r"^Name:\s+frontend$", answer, re.MULTILINE), answer
    assert re.search(
        r"^Replicas:\s+3 desired \| 3 updated \| 3 total \| 3 available", answer, re.MULTILINE
    ), answer
    assert "NewReplicaSet:" in answer and "Events:" in answer
