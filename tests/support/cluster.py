"""The real Kubernetes of cluster/ (make cluster-up) and the project's own deployment commands
run against it, as a user runs them: `make deploy|rollback|status` on the Minikube path (the
default; a stand-in `minikube` command loads the images into the node, see minikube-standin/) or
with DEPLOY_TARGET=current and IMAGE_REGISTRY, as against any cluster. Used by tests/cluster."""

import dataclasses
import json
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from testkit import wait_until

REPO_ROOT = Path(__file__).resolve().parents[2]
LOG_DIR = REPO_ROOT / "test-artifacts" / "cluster"
CLUSTER_DAEMONS_DIR = Path("/run/todo-cluster")
# The stand-in for the `minikube` command: the only part of the Minikube path that cannot run here.
MINIKUBE_STANDIN_DIR = Path(__file__).with_name("minikube-standin")
FRONTEND_NODE_PORT = 30000
BACKEND_NODE_PORT = 30001
# Commands of Debian's packages the cluster runs on (cluster/up.sh checks the same; htpasswd is
# in apache2-utils).
CLUSTER_COMMANDS = ("containerd", "runc", "docker-registry", "catatonit", "htpasswd", "jq")


def missing_cluster_tools() -> list[str]:
    """What this machine lacks to run the cluster; empty when it can."""
    missing = [command for command in CLUSTER_COMMANDS if not shutil.which(command)]
    if not Path("/usr/lib/cni/bridge").exists():
        missing.append("containernetworking-plugins")
    if not (shutil.which("docker") or Path("/usr/bin/docker").exists()):
        missing.append("docker")
    missing += [tool for tool in ("helm", "kubectl") if not shutil.which(tool)]
    if os.geteuid() != 0:
        missing.append("root")
    return missing


def run_logged(command: list[str], log: Path, *, env: dict[str, str], timeout: float) -> str:
    """Run a command with its output in `log`; return the output, or fail with its end."""
    log.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    result = subprocess.run(
        command,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
        check=False,
    )
    log.write_text(result.stdout)
    seconds = time.monotonic() - started
    if result.returncode != 0:
        raise CommandError(command, result.returncode, result.stdout, seconds)
    return result.stdout


class CommandError(AssertionError):
    def __init__(self, command: list[str], code: int, output: str, seconds: float) -> None:
        summary = f"{' '.join(command)} exited {code} after {seconds:.0f} s"
        super().__init__(f"{summary}:\n{output[-4000:]}")
        self.output = output


@dataclass(frozen=True)
class Cluster:
    """A running cluster: its kubeconfig, its registry and its node's address; `target` is how
    `make deploy` reaches it: `minikube` (the user's default path) or `current` (a registry)."""

    kubeconfig: Path
    registry: str
    node_ip: str
    namespace: str
    target: str = "current"

    @classmethod
    def start(cls, namespace: str) -> "Cluster":
        """`cluster/up.sh` (which reuses a running cluster) and the exports it prints."""
        output = run_logged(
            [str(REPO_ROOT / "cluster" / "up.sh")],
            LOG_DIR / "cluster-up.log",
            env=dict(os.environ),
            timeout=3600,
        )
        exports = dict(re.findall(r"^export (\w+)=(\S+)$", output, re.MULTILINE))
        kubeconfig = Path(exports["KUBECONFIG"])
        nodes = json.loads(
            subprocess.run(
                ["kubectl", "--kubeconfig", str(kubeconfig), "get", "nodes", "-o", "json"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        )
        (node,) = nodes["items"]
        addresses = {a["type"]: a["address"] for a in node["status"]["addresses"]}
        return cls(kubeconfig, exports["IMAGE_REGISTRY"], addresses["InternalIP"], namespace)

    def on(self, target: str) -> "Cluster":
        """The same cluster, deployed to through `target` (minikube or current)."""
        return dataclasses.replace(self, target=target)

    def env(self, **extra: str) -> dict[str, str]:
        """The environment of a person who pasted cluster-up's two lines and chose a namespace
        (on the Minikube path: who has a `minikube` command instead of a registry)."""
        environment = {
            **os.environ,
            "KUBECONFIG": str(self.kubeconfig),
            "DEPLOY_TARGET": self.target,
            "NAMESPACE": self.namespace,
        }
        if self.target == "minikube":
            environment["PATH"] = f"{MINIKUBE_STANDIN_DIR}{os.pathsep}{environment['PATH']}"
            environment.pop("IMAGE_REGISTRY", None)
        else:
            environment["IMAGE_REGISTRY"] = self.registry
        return {**environment, **extra}

    def kubectl_result(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["kubectl", "-n", self.namespace, *args],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def kubectl(self, *args: str, timeout: float = 120) -> str:
        result = self.kubectl_result(*args, timeout=timeout)
        assert result.returncode == 0, f"kubectl {' '.join(args)}: {result.stderr}"
        return result.stdout

    def kubectl_json(self, *args: str) -> Any:
        return json.loads(self.kubectl(*args, "-o", "json"))

    def make(self, target: str, *, checkout: Path = REPO_ROOT, log: str, **env: str) -> str:
        """`make TARGET` in a checkout, as a user runs it; its output goes to test-artifacts."""
        return run_logged(
            ["make", "--no-print-directory", "-C", str(checkout), target],
            LOG_DIR / f"{log}.log",
            env=self.env(**env),
            timeout=1200,
        )

    def helm(self, *args: str, timeout: float = 300) -> str:
        result = subprocess.run(
            ["helm", *args, "-n", self.namespace],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        assert result.returncode == 0, f"helm {' '.join(args)}: {result.stdout}{result.stderr}"
        return result.stdout

    def helm_history(self, release: str) -> list[dict[str, Any]]:
        history: list[dict[str, Any]] = json.loads(self.helm("history", release, "-o", "json"))
        return history

    def image_of_revision(self, release: str, revision: int) -> str:
        """The image a release's revision runs, from the values `make deploy` gave it."""
        values = json.loads(
            self.helm("get", "values", release, "--revision", str(revision), "-o", "json")
        )
        return f"{values['image']['repository']}:{values['image']['tag']}"

    def all_pods(self, instance: str, component: str = "") -> list[dict[str, Any]]:
        """The release's pods (only one component's: api, database, web), those being deleted
        included."""
        selector = f"app.kubernetes.io/instance={instance}"
        if component:
            selector += f",app.kubernetes.io/component={component}"
        pods: list[dict[str, Any]] = self.kubectl_json("get", "pods", "-l", selector)["items"]
        return pods

    def pods(self, instance: str, component: str = "") -> list[dict[str, Any]]:
        """The release's pods (or one component's) that are not being deleted."""
        pods = self.all_pods(instance, component)
        return [pod for pod in pods if "deletionTimestamp" not in pod["metadata"]]

    def builds_answering(self) -> dict[str, str]:
        """The `build` each service's health endpoint reports through its NodePort, once the
        answers come from the deployed images: for a moment after a rollout, a NodePort may
        still send a request to an old pod that is draining."""
        deployed = {
            name: self.deployment_image(name).rpartition(":")[2] for name in ("backend", "frontend")
        }
        answers: dict[str, str] = {}

        def answering_deployed() -> bool:
            answers.update(
                (name, httpx.get(f"{url}/api/health", timeout=10).json()["build"])
                for name, url in (("backend", self.backend_url), ("frontend", self.frontend_url))
            )
            return answers == deployed

        wait_until(
            answering_deployed, seconds=30, what=f"the NodePorts to answer {deployed}", interval=0.5
        )
        return answers

    def deployment_image(self, name: str) -> str:
        deployment = self.kubectl_json("get", "deployment", name)
        image: str = deployment["spec"]["template"]["spec"]["containers"][0]["image"]
        return image

    @property
    def frontend_url(self) -> str:
        return f"http://{self.node_ip}:{FRONTEND_NODE_PORT}"

    @property
    def backend_url(self) -> str:
        return f"http://{self.node_ip}:{BACKEND_NODE_PORT}"


def pod_ready(pod: dict[str, Any]) -> bool:
    conditions = pod.get("status", {}).get("conditions", [])
    return any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)


def daemons_rss_mb() -> float:
    """Resident memory of the cluster's processes (the daemons cluster/up.sh started)."""
    total_kb = 0
    for pidfile in CLUSTER_DAEMONS_DIR.glob("*.pid"):
        status = Path(f"/proc/{pidfile.read_text().strip()}/status")
        if status.exists():
            match = re.search(r"^VmRSS:\s+(\d+) kB", status.read_text(), re.MULTILINE)
            total_kb += int(match.group(1)) if match else 0
    return round(total_kb / 1024, 1)


def copy_checkout(destination: Path) -> Path:
    """The working tree's files (tracked, and new ones not ignored) in another folder: a place
    to make a code change and deploy it without touching the checkout under test."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO_ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, listed):
        source = REPO_ROOT / name.decode()
        if source.is_file():
            target = destination / name.decode()
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return destination
