"""The cluster of cluster/ itself, as `make cluster-up` promises it: upstream Kubernetes at the
version cluster/modules/kubernetes/go.mod pins, and a second cluster-up that reuses it."""

import json
import re

import pytest

from tests.support.cluster import LOG_DIR, REPO_ROOT, Cluster

pytestmark = pytest.mark.cluster


def pinned_kubernetes_version() -> str:
    go_mod = (REPO_ROOT / "cluster/modules/kubernetes/go.mod").read_text()
    match = re.search(r"^\s*k8s\.io/kubernetes (v\S+)", go_mod, re.MULTILINE)
    assert match, "go.mod pins no k8s.io/kubernetes"
    return match.group(1)


def test_the_api_server_and_the_node_run_the_pinned_release(cluster: Cluster) -> None:
    version = json.loads(cluster.kubectl("version", "-o", "json"))["serverVersion"]
    assert version["gitVersion"] == pinned_kubernetes_version()
    (node,) = cluster.kubectl_json("get", "nodes")["items"]
    assert node["status"]["nodeInfo"]["kubeletVersion"] == pinned_kubernetes_version()
    assert node["status"]["nodeInfo"]["containerRuntimeVersion"].startswith("containerd://")


def test_a_second_cluster_up_reuses_the_running_cluster(cluster: Cluster) -> None:
    node_before = cluster.kubectl_json("get", "node", "todo-node")["metadata"]["uid"]
    again = Cluster.start(cluster.namespace)
    assert "the cluster is running already" in (LOG_DIR / "cluster-up.log").read_text()
    assert again == cluster
    assert cluster.kubectl_json("get", "node", "todo-node")["metadata"]["uid"] == node_before
