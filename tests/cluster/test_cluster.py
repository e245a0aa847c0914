"""The cluster of cluster/ itself, as `make cluster-up` promises it: upstream Kubernetes at the
version cluster/modules/kubernetes/go.mod pins, and a second cluster-up that reuses it."""

import base64
import dataclasses
import json
import os
import re
import shutil
import ssl
import stat
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

import httpx
import pytest

from testkit import wait_until
from tests.support.cluster import CLUSTER_DAEMONS_DIR, LOG_DIR, REPO_ROOT, Cluster

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


# --- locked down: nothing of the cluster is open to the machine's other users --------------------

STATE_DIR = Path("/var/lib/todo-cluster")
PKI_DIR = STATE_DIR / "pki"
ETCD_RANGE = {"key": base64.b64encode(b"/registry/namespaces/default").decode()}


def etcd_read(url: str, context: ssl.SSLContext | None = None) -> int | str:
    """The status of a read of the default namespace's record from etcd, or the error that
    stopped it."""
    try:
        with httpx.Client(verify=context or True, timeout=10) as client:
            return client.post(f"{url}/v3/kv/range", json=ETCD_RANGE).status_code
    except httpx.HTTPError as error:
        return type(error).__name__


def test_etcd_answers_only_clients_with_a_certificate_of_its_ca(cluster: Cluster) -> None:
    assert etcd_read("http://127.0.0.1:2379") != 200
    anonymous = ssl.create_default_context(cafile=PKI_DIR / "etcd/ca.crt")
    assert etcd_read("https://127.0.0.1:2379", anonymous) != 200

    api_server = ssl.create_default_context(cafile=PKI_DIR / "etcd/ca.crt")
    api_server.load_cert_chain(
        PKI_DIR / "apiserver-etcd-client.crt", PKI_DIR / "apiserver-etcd-client.key"
    )
    assert etcd_read("https://127.0.0.1:2379", api_server) == 200


def test_the_registry_takes_no_anonymous_push_or_delete(cluster: Cluster) -> None:
    """Anyone on the machine could otherwise replace the images the cluster pulls (pause,
    CoreDNS, PostgreSQL); cluster-up's credentials file is root's alone."""
    registry = f"http://{cluster.registry}/v2"
    assert httpx.post(f"{registry}/todo-anonymous/blobs/uploads/").status_code == 401
    digest = "sha256:" + "0" * 64
    assert httpx.delete(f"{registry}/library/postgres/manifests/{digest}").status_code == 401

    credentials_file = STATE_DIR / "registry-credentials"
    assert stat.S_IMODE(credentials_file.stat().st_mode) == 0o600
    lines = credentials_file.read_text().splitlines()
    credentials = {key: value for key, _, value in (line.partition("=") for line in lines)}
    auth = (credentials["REGISTRY_USERNAME"], credentials["REGISTRY_PASSWORD"])
    assert httpx.get(f"{registry}/", auth=auth).status_code == 200


def test_keys_and_kubeconfigs_are_roots_alone(cluster: Cluster) -> None:
    secrets = [p for p in PKI_DIR.rglob("*") if p.suffix in (".key", ".conf")]
    assert PKI_DIR / "kube-proxy.conf" in secrets and PKI_DIR / "etcd/server.key" in secrets
    modes = {str(path): oct(stat.S_IMODE(path.stat().st_mode)) for path in secrets}
    assert {path: mode for path, mode in modes.items() if mode != "0o600"} == {}
    assert stat.S_IMODE(PKI_DIR.stat().st_mode) == 0o700


def test_a_claims_folder_is_its_pods_group_s_and_no_one_else_s(
    cluster: Cluster, tmp_path: Path
) -> None:
    """A non-root pod (PostgreSQL's uid 999 and fsGroup) writes its claim; on the machine the
    folder is open to root and that group only, inside a folder open to root only."""
    probe = dataclasses.replace(cluster, namespace="todo-volume-check")
    probe.kubectl("create", "namespace", probe.namespace)
    manifest = tmp_path / "probe.json"
    manifest.write_text(json.dumps(VOLUME_PROBE))
    try:
        probe.kubectl("apply", "-f", str(manifest))
        wait_until(
            lambda: (
                probe.kubectl_json("get", "pod", "probe")["status"]["phase"]
                in ("Succeeded", "Failed")
            ),
            seconds=180,
            what="the volume probe pod to finish",
            interval=1,
        )
        assert probe.kubectl("logs", "probe").strip() == "written by 999"
        volume = probe.kubectl_json("get", "pvc", "probe")["spec"]["volumeName"]
        folder = STATE_DIR / "volumes" / volume
        assert folder.stat().st_gid == 999
        assert stat.S_IMODE(folder.stat().st_mode) & 0o007 == 0, oct(folder.stat().st_mode)
        assert stat.S_IMODE(folder.parent.stat().st_mode) == 0o700
    finally:
        probe.kubectl("delete", "namespace", probe.namespace, "--wait=false")


VOLUME_PROBE = {
    "apiVersion": "v1",
    "kind": "List",
    "items": [
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": "probe"},
            "spec": {
                "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": "16Mi"}},
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "probe"},
            "spec": {
                "restartPolicy": "Never",
                "securityContext": {"runAsUser": 999, "runAsGroup": 999, "fsGroup": 999},
                "containers": [
                    {
                        "name": "probe",
                        "image": "postgres:17",
                        "command": [
                            "sh",
                            "-c",
                            'echo "written by $(id -u)" >/data/file && cat /data/file',
                        ],
                        "volumeMounts": [{"name": "data", "mountPath": "/data"}],
                    }
                ],
                "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "probe"}}],
            },
        },
    ],
}


def listening_addresses() -> dict[str, set[str]]:
    """The TCP addresses (host:port) each daemon of the cluster listens on, by its name."""
    daemons = {p.read_text().strip(): p.stem for p in CLUSTER_DAEMONS_DIR.glob("*.pid")}
    sockets = subprocess.run(["ss", "-ltnpH"], capture_output=True, text=True, check=True).stdout
    listening: dict[str, set[str]] = {name: set() for name in daemons.values()}
    for line in sockets.splitlines():
        for pid in re.findall(r"pid=(\d+)", line):
            if pid in daemons:
                listening[daemons[pid]].add(line.split()[3])
    return listening


def test_the_api_server_and_the_kubelet_listen_on_the_node_address_not_everywhere(
    cluster: Cluster,
) -> None:
    listening = listening_addresses()
    assert f"{cluster.node_ip}:6443" in listening["kube-apiserver"]
    assert f"{cluster.node_ip}:10250" in listening["kubelet"]
    elsewhere = {
        name: sorted(
            a for a in addresses if a.rsplit(":", 1)[0] not in ("127.0.0.1", cluster.node_ip)
        )
        for name, addresses in listening.items()
    }
    assert {name: addresses for name, addresses in elsewhere.items() if addresses} == {}


# Run in namespaces of its own (mounts, pids, network), so that down.sh sees only what the
# sandbox made: another cluster's process, network namespace and iptables chain, and this
# cluster's daemon (a pid file) and kube-proxy chain, as up.sh records them.
DOWN_SANDBOX = r"""
set -euo pipefail
for dir in /var/lib /run /sys/fs/cgroup; do mount -t tmpfs sandbox "$dir"; done
mkdir -p /var/lib/todo-cluster /run/todo-cluster
bash -c 'sleep 600; true' /var/lib/todo-cluster/another-cluster & other=$!
ip netns add cni-test-other
iptables -t nat -N KUBE-OTHER
iptables -t nat -A PREROUTING -j KUBE-OTHER
echo "iptables nat KUBE-OTHER" >/var/lib/todo-cluster/iptables-before
bash -c 'sleep 600; true' /var/lib/todo-cluster/etcd & ours=$!
echo "$ours" >/run/todo-cluster/etcd.pid
iptables -t nat -N KUBE-SERVICES
iptables -t nat -A PREROUTING -j KUBE-SERVICES
"$1/cluster/down.sh" >/dev/null
alive() { [ -d "/proc/$1" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status"; }
alive "$other" && echo "process other"
alive "$ours" && echo "process ours"
ip netns list | awk '{print "netns", $1}'
iptables-save -t nat | awk '/^:KUBE-/ {print "chain", substr($1, 2)}'
"""


def test_cluster_down_removes_only_what_this_cluster_made(
    tmp_path: Path, unavailable: Callable[[str], NoReturn]
) -> None:
    """down.sh stops the daemons whose pids up.sh recorded and the chains made after up.sh's
    record; another cluster's process (even one naming the state folder), network namespace
    and chains stay."""
    if os.geteuid() != 0 or not shutil.which("unshare"):
        unavailable("the cluster-down sandbox needs root and unshare")
    copied = ("cluster/lib.sh", "cluster/down.sh", "cluster/modules/kubernetes/go.mod")
    for name in (*copied, "scripts/output.sh"):  # lib.sh sources the one copy of step/note/die
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO_ROOT / name, tmp_path / name)
    script = tmp_path / "sandbox.sh"
    script.write_text(DOWN_SANDBOX)
    sandbox = ["unshare", "--mount", "--pid", "--fork", "--mount-proc", "--net"]
    result = subprocess.run(
        [*sandbox, "bash", str(script), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert set(result.stdout.splitlines()) == {
        "process other",
        "netns cni-test-other",
        "chain KUBE-OTHER",
    }
