"""The abuse limits as the charts deploy the services, through the NodePorts, with the backend
at 3 replicas from a values file as a user would write it: every replica counts in one shared
place, no header a client writes changes the address it is counted by, an account's owner is not
locked out by a guesser elsewhere, and a PodDisruptionBudget keeps a backend ready."""

import json
import secrets
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from testkit import wait_until
from tests.support.browser import PASSWORD, Browser
from tests.support.cluster import Cluster

pytestmark = [pytest.mark.cluster, pytest.mark.timeout(1800)]

# Every request of these tests comes from this machine's one address: the per-address request
# rates are raised so that only the failed sign-in limits under test answer 429.
THREE_BACKENDS = """\
replicaCount: 3
podDisruptionBudget:
  enabled: true
  minAvailable: 1
config:
  limits:
    signUpPerAddressPerHour: 1000
    signInPerAddressPerMinute: 1000
"""


def ready_backends(cluster: Cluster) -> int:
    ready: int = cluster.kubectl_json("get", "deployment", "backend")["status"].get(
        "readyReplicas", 0
    )
    return ready


@pytest.fixture(scope="module")
def three_backends(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """The backend at 3 replicas with its PodDisruptionBudget, from a values file given to
    `make deploy`; a deploy without it afterwards returns to the defaults."""
    deployed = cluster.on("current")
    values = tmp_path_factory.mktemp("abuse-limits") / "three-backends.yaml"
    values.write_text(THREE_BACKENDS)
    deployed.make("deploy", log="abuse-deploy-three-backends", BACKEND_VALUES=str(values))
    wait_until(
        lambda: ready_backends(deployed) == 3, seconds=300, what="3 Ready backends", interval=1
    )
    yield deployed
    deployed.make("deploy", log="abuse-deploy-defaults-again")


def account(cluster: Cluster) -> str:
    email = f"owner-{secrets.token_hex(4)}@example.com"
    created = httpx.post(
        f"{cluster.backend_url}/api/auth/sign-up",
        json={"email": email, "password": PASSWORD, "name": "Owner"},
        timeout=60,
    )
    assert created.status_code == 201, created.text
    return email


def wrong_sign_in(cluster: Cluster, email: str, forwarded_for: str) -> int:
    response = httpx.post(
        f"{cluster.backend_url}/api/auth/sign-in",
        json={"email": email, "password": "not the password"},
        headers={"X-Forwarded-For": forwarded_for},
        timeout=60,
    )
    return response.status_code


def test_twenty_parallel_wrong_sign_ins_across_three_replicas_evaluate_at_most_six(
    three_backends: Cluster,
) -> None:
    email = account(three_backends)
    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(
            pool.map(lambda n: wrong_sign_in(three_backends, email, f"203.0.113.{n}"), range(1, 21))
        )
    assert set(statuses) <= {401, 429}, statuses
    assert statuses.count(401) <= 6, statuses


def test_rotating_forwarded_for_through_the_backend_node_port_gets_429_by_the_sixth(
    three_backends: Cluster,
) -> None:
    email = account(three_backends)
    statuses = [wrong_sign_in(three_backends, email, f"198.51.100.{n}") for n in range(1, 7)]
    assert statuses == [401] * 5 + [429]


def test_rotating_forwarded_for_through_the_frontend_node_port_gets_429_by_the_sixth(
    three_backends: Cluster,
) -> None:
    email = account(three_backends)
    statuses = []
    for n in range(1, 7):
        browser = Browser(three_backends.frontend_url)
        browser.http.headers["X-Forwarded-For"] = f"192.0.2.{n}"
        statuses.append(browser.sign_in(email, "not the password").status_code)
    assert statuses == [401] * 5 + [429]


def sign_in_from_a_pod(cluster: Cluster, email: str) -> int:
    """The owner signing in from another address: a frontend pod's, straight to the backend."""
    script = (
        "import json, sys, urllib.error, urllib.request\n"
        "request = urllib.request.Request('http://backend:8000/api/auth/sign-in',"
        " data=sys.argv[1].encode(), headers={'Content-Type': 'application/json'})\n"
        "try:\n"
        "    print(urllib.request.urlopen(request, timeout=60).status)\n"
        "except urllib.error.HTTPError as error:\n"
        "    print(error.code)\n"
    )
    body = json.dumps({"email": email, "password": PASSWORD})
    output = cluster.kubectl("exec", "deploy/frontend", "--", "python", "-c", script, body)
    return int(output.strip())


def test_the_owner_signs_in_from_another_address_while_a_guesser_is_locked_out(
    three_backends: Cluster,
) -> None:
    email = account(three_backends)
    statuses = [wrong_sign_in(three_backends, email, "203.0.113.99") for _ in range(6)]
    assert statuses == [401] * 5 + [429]
    right = httpx.post(
        f"{three_backends.backend_url}/api/auth/sign-in",
        json={"email": email, "password": PASSWORD},
        timeout=60,
    )
    assert right.status_code == 429  # the guesser's address stays locked out
    assert sign_in_from_a_pod(three_backends, email) == 200


def evict(cluster: Cluster, pod: str, folder: Path) -> str:
    """The eviction API, as `kubectl drain` uses it: '' when evicted, else why not."""
    eviction = folder / f"evict-{pod}.json"
    eviction.write_text(
        json.dumps(
            {
                "apiVersion": "policy/v1",
                "kind": "Eviction",
                "metadata": {"name": pod, "namespace": cluster.namespace},
            }
        )
    )
    result = cluster.kubectl_result(
        "create",
        "--raw",
        f"/api/v1/namespaces/{cluster.namespace}/pods/{pod}/eviction",
        "-f",
        str(eviction),
    )
    return "" if result.returncode == 0 else result.stderr


def test_the_disruption_budget_keeps_a_backend_ready(
    three_backends: Cluster, tmp_path: Path
) -> None:
    budget = three_backends.kubectl_json("get", "poddisruptionbudget", "backend")
    assert budget["spec"]["minAvailable"] == 1
    pods = [
        pod["metadata"]["name"]
        for pod in three_backends.kubectl_json("get", "pods", "-l", "app=backend")["items"]
    ]
    assert len(pods) == 3
    refusals = [evict(three_backends, pod, tmp_path) for pod in pods]
    assert refusals[:2] == ["", ""], refusals
    assert "disruption budget" in refusals[2], refusals
    assert ready_backends(three_backends) >= 1
    wait_until(
        lambda: ready_backends(three_backends) == 3,
        seconds=300,
        what="3 Ready backends again",
        interval=1,
    )
