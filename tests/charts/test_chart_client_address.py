"""The address the abuse limits count by is the client's, as the charts deploy the services:
NodePort Services keep the client's source address, no private network is a trusted proxy by
default, and both services read the key that signs visitors' addresses from their Secrets."""

from typing import Any

import pytest
from chart_support import Manifest, Render, find

PRIVATE_NETWORKS = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")


def env_of(deployment: Manifest) -> dict[str, Any]:
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return {variable["name"]: variable for variable in container["env"]}


def trusted_proxies(chart: str, manifests: list[Manifest]) -> str:
    variable = env_of(find(manifests, "Deployment", chart))["TRUSTED_PROXIES"]
    if "value" in variable:
        return str(variable["value"])
    return str(find(manifests, "ConfigMap", f"{chart}-config")["data"]["TRUSTED_PROXIES"])


@pytest.mark.parametrize("chart", ["backend", "frontend"])
def test_node_ports_keep_the_clients_address_and_trust_no_private_network(
    render: Render, chart: str
) -> None:
    manifests = render(chart)
    service = find(manifests, "Service", chart)
    assert service["spec"]["type"] == "NodePort"
    assert service["spec"]["externalTrafficPolicy"] == "Local"
    trusted = trusted_proxies(chart, manifests)
    assert not any(network in trusted for network in PRIVATE_NETWORKS), trusted

    spread = render(chart, "--set", "service.externalTrafficPolicy=Cluster")
    assert find(spread, "Service", chart)["spec"]["externalTrafficPolicy"] == "Cluster"
    internal = render(chart, "--set", "service.type=ClusterIP")
    assert "externalTrafficPolicy" not in find(internal, "Service", chart)["spec"]


@pytest.mark.parametrize("chart", ["backend", "frontend"])
def test_both_services_read_the_shared_proxy_secret(render: Render, chart: str) -> None:
    variable = env_of(find(render(chart), "Deployment", chart))["PROXY_SECRET"]
    reference = variable["valueFrom"]["secretKeyRef"]
    assert reference["name"] == f"{chart}-secrets"
    assert reference["key"] == "proxy-secret"

    key = "p" + "0123456789abcdef" * 2
    created = render(
        chart,
        "--set",
        "secrets.create=true",
        "--set",
        "secrets.authSecret=" + "a1b2c3d4e5f6a7b8c9d0" * 2,
        "--set",
        f"secrets.proxySecret={key}",
        *(["--set", "secrets.databaseUrl=postgresql://u:p@db/todo"] if chart == "backend" else []),
    )
    assert find(created, "Secret")["stringData"]["proxy-secret"] == key
