"""What each pod of the charts may connect to under their NetworkPolicies, decided from `helm
template`'s output by the NetworkPolicy rules of the Kubernetes API (an egress policy that selects
a pod allows only what one of its rules names; policies add up).

The test cluster's CNI does not enforce NetworkPolicy (cluster/README.md), so these tests read the
rendered policies; kubernetes-validate checks their fields (test_chart_validation.py)."""

import ipaddress
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from chart_support import HELM_DIR, ROOT, Manifest, Render, ci_case_id, ci_cases

pytestmark = pytest.mark.helm

QUICKSTART_BACKEND = ("-f", str(ROOT / "helm/backend/ci/quickstart-values.yaml"))
WITH_MIGRATION_JOB = ("--set", "migrations.job.enabled=true")


@dataclass(frozen=True)
class Pod:
    name: str
    namespace: str
    labels: dict[str, str]
    ports: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Address:
    """A destination outside the cluster's pods."""

    ip: str


KUBE_DNS = Pod("coredns", "kube-system", {"k8s-app": "kube-dns"}, {"dns": 53, "dns-tcp": 53})
STRANGER = Pod("stranger", "default", {"app": "stranger"}, {"http": 8080})
PUBLIC = Address("203.0.113.7")
PUBLIC_V6 = Address("2606:4700::6810:1")
PRIVATE = (
    Address("10.20.0.5"),
    Address("172.20.0.5"),
    Address("192.168.49.1"),
    Address("100.64.0.1"),
    Address("fd00:ec2::254"),
)
CLOUD_METADATA = Address("169.254.169.254")


def selects(selector: Manifest, labels: dict[str, str]) -> bool:
    """A Kubernetes label selector (matchLabels and matchExpressions) against a pod's labels."""
    if any(labels.get(key) != value for key, value in selector.get("matchLabels", {}).items()):
        return False
    for expression in selector.get("matchExpressions", []):
        key, operator, values = expression["key"], expression["operator"], expression.get("values")
        matched = {
            "In": key in labels and labels[key] in values,
            "NotIn": key not in labels or labels[key] not in values,
            "Exists": key in labels,
            "DoesNotExist": key not in labels,
        }[operator]
        if not matched:
            return False
    return True


def peer_matches(peer: Manifest, policy_namespace: str, destination: Pod | Address) -> bool:
    if "ipBlock" in peer:
        if not isinstance(destination, Address):
            return False
        address = ipaddress.ip_address(destination.ip)
        block = peer["ipBlock"]
        return address in ipaddress.ip_network(block["cidr"]) and not any(
            address in ipaddress.ip_network(excluded) for excluded in block.get("except", [])
        )
    if not isinstance(destination, Pod):
        return False
    if "namespaceSelector" in peer:
        namespace_labels = {"kubernetes.io/metadata.name": destination.namespace}
        if not selects(peer["namespaceSelector"], namespace_labels):
            return False
    elif destination.namespace != policy_namespace:
        return False
    return selects(peer.get("podSelector", {}), destination.labels)


def port_matches(rule_port: Manifest, destination: Pod | Address, port: int, protocol: str) -> bool:
    if rule_port.get("protocol", "TCP") != protocol:
        return False
    if "port" not in rule_port:
        return True
    allowed: int | str = rule_port["port"]
    if isinstance(allowed, str):
        return isinstance(destination, Pod) and destination.ports.get(allowed) == port
    last: int = rule_port.get("endPort", allowed)
    return allowed <= port <= last


def rule_allows(
    rule: Manifest, namespace: str, destination: Pod | Address, port: int, protocol: str
) -> bool:
    """An egress rule without `to` allows every destination, one without `ports` every port."""
    peers, ports = rule.get("to") or [], rule.get("ports") or []
    return (not peers or any(peer_matches(peer, namespace, destination) for peer in peers)) and (
        not ports or any(port_matches(item, destination, port, protocol) for item in ports)
    )


def connects(
    manifests: list[Manifest],
    source: Pod,
    destination: Pod | Address,
    port: int,
    protocol: str = "TCP",
) -> bool:
    """Whether the policies let `source` open that connection (egress side only)."""
    policies = [
        doc
        for doc in manifests
        if doc["kind"] == "NetworkPolicy"
        and doc["metadata"]["namespace"] == source.namespace
        and "Egress" in doc["spec"].get("policyTypes", [])
        and selects(doc["spec"]["podSelector"], source.labels)
    ]
    if not policies:
        return True
    return any(
        rule_allows(rule, policy["metadata"]["namespace"], destination, port, protocol)
        for policy in policies
        for rule in policy["spec"].get("egress") or []
    )


def release_pods(manifests: list[Manifest]) -> dict[str, Pod]:
    """The pods the chart's objects make, by `Kind/name`, with their labels and named ports."""
    pods = {}
    for doc in manifests:
        if doc["kind"] in {"Deployment", "StatefulSet", "Job"}:
            metadata, spec = doc["spec"]["template"]["metadata"], doc["spec"]["template"]["spec"]
        elif doc["kind"] == "Pod":
            metadata, spec = doc["metadata"], doc["spec"]
        else:
            continue
        ports = {
            port["name"]: port["containerPort"]
            for container in spec["containers"]
            for port in container.get("ports", [])
        }
        name = f"{doc['kind']}/{doc['metadata']['name']}"
        pods[name] = Pod(name, doc["metadata"]["namespace"], metadata["labels"], ports)
    return pods


def notes(helm: str, chart: str, *args: str) -> str:
    """What `helm install` prints after installing (NOTES.txt), without a cluster."""
    version = subprocess.run(
        [helm, "version", "--template", "{{.Version}}"], capture_output=True, text=True, check=True
    ).stdout
    if re.match(r"v3\.(\d|1[0-2])\.", version):
        pytest.skip(f"helm {version} renders NOTES.txt only against a cluster (3.13+ does not)")
    result = subprocess.run(
        [helm, "install", chart, str(HELM_DIR / chart), "--dry-run=client", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return " ".join(result.stdout.split("NOTES:", 1)[1].split())


# --- every pod ----------------------------------------------------------------------------------


@pytest.mark.parametrize("case", ci_cases(), ids=ci_case_id)
def test_every_pod_of_the_charts_opens_only_what_a_policy_allows(
    render: Render, case: tuple[str, Path]
) -> None:
    chart, values = case
    manifests = render(chart, "-f", str(values))
    pods = release_pods(manifests)
    assert pods
    for name, pod in pods.items():
        assert not connects(manifests, pod, STRANGER, 8080), name
        assert not connects(manifests, pod, CLOUD_METADATA, 80), name
        for address in PRIVATE:
            assert not connects(manifests, pod, address, 5432), f"{name} -> {address}"
        is_database = pod.labels["app.kubernetes.io/component"] == "database"
        for protocol in ("UDP", "TCP"):
            assert connects(manifests, pod, KUBE_DNS, 53, protocol) != is_database, name
        assert not connects(manifests, pod, KUBE_DNS, 80), name


# --- frontend -----------------------------------------------------------------------------------


def test_the_frontend_reaches_dns_and_the_backends_api_only(render: Render) -> None:
    manifests = render("frontend")
    frontend = release_pods(manifests)
    backend = release_pods(render("backend", *QUICKSTART_BACKEND))
    api, database = backend["Deployment/backend"], backend["StatefulSet/backend-postgresql"]
    web, test = frontend["Deployment/frontend"], frontend["Pod/frontend-test-health"]
    for pod in (web, test):
        assert connects(manifests, pod, KUBE_DNS, 53, "UDP")
        assert connects(manifests, pod, KUBE_DNS, 53, "TCP")
        assert connects(manifests, pod, api, 8000)
        assert not connects(manifests, pod, api, 9464), "the backend's metrics port"
        assert not connects(manifests, pod, database, 5432)
        assert not connects(manifests, pod, PUBLIC, 443)
    # `helm test frontend` also asks the web pods.
    assert connects(manifests, test, web, 3000)
    assert not connects(manifests, web, web, 3000)


def test_the_frontend_reaches_a_backend_release_in_another_namespace(render: Render) -> None:
    manifests = render(
        "frontend",
        "--set",
        "networkPolicy.egress.backendRelease=todo-backend",
        "--set",
        "networkPolicy.egress.backendNamespace=todo",
    )
    web = release_pods(manifests)["Deployment/frontend"]
    elsewhere = release_pods(render("backend", release="todo-backend", namespace="todo"))
    default = release_pods(render("backend"))
    assert connects(manifests, web, elsewhere["Deployment/todo-backend"], 8000)
    assert not connects(manifests, web, default["Deployment/backend"], 8000)


def test_the_frontends_extra_rules_reach_a_backend_outside_the_cluster(render: Render) -> None:
    manifests = render(
        "frontend",
        "--set",
        "networkPolicy.egress.extraRules[0].to[0].ipBlock.cidr=198.51.100.0/24",
        "--set",
        "networkPolicy.egress.extraRules[0].ports[0].port=443",
    )
    web = release_pods(manifests)["Deployment/frontend"]
    assert connects(manifests, web, Address("198.51.100.20"), 443)
    assert not connects(manifests, web, Address("198.51.100.20"), 80)


# --- backend ------------------------------------------------------------------------------------


def test_with_the_in_chart_database_and_builtin_agent_the_backend_reaches_dns_and_it_only(
    render: Render, helm: str
) -> None:
    settings = (*QUICKSTART_BACKEND, *WITH_MIGRATION_JOB, "--set", "config.agentProvider=builtin")
    manifests = render("backend", *settings)
    pods = release_pods(manifests)
    api, database = pods["Deployment/backend"], pods["StatefulSet/backend-postgresql"]
    frontend = release_pods(render("frontend"))["Deployment/frontend"]
    for pod in (api, pods["Job/backend-migrate"]):
        assert connects(manifests, pod, database, 5432)
        assert connects(manifests, pod, KUBE_DNS, 53, "UDP")
        assert not connects(manifests, pod, PUBLIC, 443)
        assert not connects(manifests, pod, frontend, 3000)
    test = pods["Pod/backend-test-health"]
    assert connects(manifests, test, api, 8000)
    assert not connects(manifests, test, database, 5432)
    assert not connects(manifests, database, PUBLIC, 443)
    assert not connects(manifests, database, api, 8000)
    assert (
        "the API and the migration Job reach DNS and the in-cluster PostgreSQL, nothing outside "
        "the cluster (agentProvider builtin)" in notes(helm, "backend", *settings)
    )


@pytest.mark.parametrize(
    ("settings", "need"),
    [
        (
            (),
            "the external database (DATABASE_URL) and the LLM at api.openai.com "
            "(agentProvider auto)",
        ),
        (
            (*QUICKSTART_BACKEND, "--set", "config.agentProvider=openai"),
            "the LLM at api.openai.com (agentProvider openai)",
        ),
        (
            ("--set", "config.agentProvider=builtin"),
            "the external database (DATABASE_URL).",
        ),
    ],
    ids=["defaults", "in-chart-database-openai", "external-database-builtin"],
)
def test_without_allowed_cidrs_a_backend_that_needs_the_outside_reaches_public_addresses_only(
    render: Render, helm: str, settings: tuple[str, ...], need: str
) -> None:
    manifests = render("backend", *settings, *WITH_MIGRATION_JOB)
    pods = release_pods(manifests)
    for pod in (pods["Deployment/backend"], pods["Job/backend-migrate"]):
        for port in (443, 5432, 6543):
            assert connects(manifests, pod, PUBLIC, port), port
            assert connects(manifests, pod, PUBLIC_V6, port), port
        for address in (*PRIVATE, CLOUD_METADATA):
            assert not connects(manifests, pod, address, 443), address
    text = notes(helm, "backend", *settings)
    assert "every public address on any port but no private one" in text
    assert f"networkPolicy.egress.allowedCidrs is empty and they need {need}" in text
    assert "A database or LLM at a private address stays unreachable" in text


def test_allowed_cidrs_replace_the_public_addresses(render: Render, helm: str) -> None:
    settings = (
        "--set",
        "networkPolicy.egress.allowedCidrs[0].cidr=10.20.0.0/24",
        "--set",
        "networkPolicy.egress.allowedCidrs[0].ports={5432}",
        "--set",
        "networkPolicy.egress.allowedCidrs[1].cidr=0.0.0.0/0",
        "--set",
        "networkPolicy.egress.allowedCidrs[1].ports={443}",
    )
    manifests = render("backend", *settings, *WITH_MIGRATION_JOB)
    pods = release_pods(manifests)
    for pod in (pods["Deployment/backend"], pods["Job/backend-migrate"]):
        assert connects(manifests, pod, Address("10.20.0.5"), 5432)
        assert not connects(manifests, pod, Address("10.20.0.5"), 22)
        assert not connects(manifests, pod, Address("10.21.0.5"), 5432)
        assert connects(manifests, pod, PUBLIC, 443)
        assert not connects(manifests, pod, PUBLIC, 5432)
    text = notes(helm, "backend", *settings)
    assert "outside the cluster, only networkPolicy.egress.allowedCidrs:" in text
    assert "10.20.0.0/24 on TCP 5432 0.0.0.0/0 on TCP 443" in text


def test_the_backends_extra_rules_reach_an_llm_in_the_cluster(render: Render) -> None:
    manifests = render(
        "backend",
        "--set",
        "networkPolicy.egress.extraRules[0].to[0].namespaceSelector.matchLabels.kubernetes\\.io/metadata\\.name=ollama",
        "--set",
        "networkPolicy.egress.extraRules[0].to[0].podSelector.matchLabels.app=ollama",
        "--set",
        "networkPolicy.egress.extraRules[0].ports[0].port=11434",
    )
    api = release_pods(manifests)["Deployment/backend"]
    ollama = Pod("ollama", "ollama", {"app": "ollama"})
    assert connects(manifests, api, ollama, 11434)
    assert not connects(manifests, api, ollama, 22)


# --- turned off ---------------------------------------------------------------------------------


@pytest.mark.parametrize("chart", ["backend", "frontend"])
def test_egress_can_be_left_unrestricted(render: Render, helm: str, chart: str) -> None:
    manifests = render(chart, "--set", "networkPolicy.egress.enabled=false")
    for name, pod in release_pods(manifests).items():
        assert connects(manifests, pod, STRANGER, 8080), name
        assert connects(manifests, pod, Address("10.20.0.5"), 5432), name
    text = notes(helm, chart, "--set", "networkPolicy.egress.enabled=false")
    assert "Outgoing connections: not restricted" in text
