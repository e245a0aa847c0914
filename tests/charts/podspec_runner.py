"""Runs the pod specs of rendered charts as Docker containers, the way a kubelet would start them.

This is not Kubernetes: no scheduler, no kube-proxy, no controllers. It takes what `helm template`
rendered and turns each pod spec into `docker run` the way a kubelet interprets it:

- image, `command` (replaces the entrypoint) and `args` (replace the image's CMD);
- env in order, with `secretKeyRef`/`configMapKeyRef` resolved from the rendered Secrets and
  ConfigMaps (an optional key that is missing leaves the variable unset, a missing required key
  fails like CreateContainerConfigError) and `$(VAR)` expanded from the variables before it;
- the security context: user and group, fsGroup as a supplementary group, runAsNonRoot refused
  for root, read-only root filesystem, dropped capabilities, no privilege escalation;
- volumes: emptyDir as a tmpfs of its sizeLimit, a StatefulSet's volumeClaimTemplates as a named
  Docker volume that outlives the pod (as a PersistentVolumeClaim does);
- resource limits as `--cpus`/`--memory`;
- init containers run one after the other to a successful exit before the main container;
- every Service that selects the pod's labels as a network alias on one user-defined network
  (so `backend:8000` resolves as cluster DNS would), and a NodePort Service's node port published
  on the host from the workload's first replica (Docker cannot publish one host port from two
  containers; the other replicas are reached by their pod IP, as a kubelet probes them);
- probes run against the pod IP (httpGet, tcpSocket) or in the container (exec).
"""

import base64
import json
import re
import secrets
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from chart_support import Manifest


class DockerCli(Protocol):
    """The `docker` fixture (tests/conftest.py): `docker(*args)` runs the client -> stdout."""

    @property
    def binary(self) -> str: ...

    def __call__(self, *args: str, timeout: float = ..., check: bool = ...) -> str: ...


_QUANTITY = re.compile(r"^([0-9.]+)([A-Za-z]*)$")
_BINARY_UNITS = {"": 1, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "k": 10**3, "M": 10**6, "G": 10**9}
_VARIABLE_REFERENCE = re.compile(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)")


class PodSpecError(AssertionError):
    """The pod spec cannot run as a kubelet would run it (what Kubernetes would report)."""


def quantity_bytes(value: str | int) -> int:
    match = _QUANTITY.match(str(value))
    if not match:
        raise PodSpecError(f"unsupported quantity {value!r}")
    return int(float(match.group(1)) * _BINARY_UNITS[match.group(2)])


def quantity_cpus(value: str | int) -> str:
    text = str(value)
    return str(int(text[:-1]) / 1000) if text.endswith("m") else text


def expand_references(value: str, defined: dict[str, str]) -> str:
    """Kubernetes' `$(VAR)` expansion: earlier variables only; `$$` escapes; unknown stays."""

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        return defined.get(match.group(1), match.group(0))

    return _VARIABLE_REFERENCE.sub(replace, value)


@dataclass
class Pod:
    """One pod of a workload: its container, labels and the spec it came from."""

    name: str
    container: str
    labels: dict[str, str]
    spec: Manifest
    ip: str = ""

    @property
    def main(self) -> Manifest:
        container: Manifest = self.spec["containers"][0]
        return container


@dataclass
class PodSpecRun:
    """The rendered objects of one or more charts, run as containers on one Docker network."""

    docker: DockerCli
    manifests: list[Manifest]
    prefix: str = field(default_factory=lambda: f"todo-podspec-{secrets.token_hex(3)}")
    pods: list[Pod] = field(default_factory=list)
    _volumes: list[str] = field(default_factory=list)
    _created: int = 0

    @property
    def network(self) -> str:
        return f"{self.prefix}-net"

    def start_network(self) -> None:
        self.docker("network", "create", self.network)

    def close(self) -> None:
        for pod in self.pods:
            self.docker("rm", "-f", "-v", pod.container, check=False, timeout=120)
        for volume in self._volumes:
            self.docker("volume", "rm", "-f", volume, check=False)
        self.docker("network", "rm", self.network, check=False)
        self.pods.clear()

    # --- reading the rendered objects -----------------------------------------------------------

    def find(self, kind: str, name: str) -> Manifest:
        for doc in self.manifests:
            if doc["kind"] == kind and doc["metadata"]["name"] == name:
                return doc
        raise PodSpecError(f"{kind} {name!r} is not among the rendered objects")

    def of_kind(self, kind: str) -> Iterator[Manifest]:
        return (doc for doc in self.manifests if doc["kind"] == kind)

    def _key(self, kind: str, reference: Manifest) -> str | None:
        source = self.find(kind, reference["name"])
        key = reference["key"]
        if kind == "Secret":
            if key in source.get("stringData", {}):
                return str(source["stringData"][key])
            if key in source.get("data", {}):
                return base64.b64decode(source["data"][key]).decode()
        elif key in source.get("data", {}):
            return str(source["data"][key])
        if reference.get("optional"):
            return None
        raise PodSpecError(f"CreateContainerConfigError: {kind} {reference['name']} has no {key}")

    def environment(self, container: Manifest) -> dict[str, str]:
        """The container's variables in the order a kubelet builds them."""
        env: dict[str, str] = {}
        for item in container.get("env", []):
            if "value" in item:
                env[item["name"]] = expand_references(str(item["value"]), env)
                continue
            source = item["valueFrom"]
            if "secretKeyRef" in source:
                value = self._key("Secret", source["secretKeyRef"])
            elif "configMapKeyRef" in source:
                value = self._key("ConfigMap", source["configMapKeyRef"])
            else:
                raise PodSpecError(f"env source {sorted(source)} is not supported here")
            if value is not None:
                env[item["name"]] = value
        return env

    def services_selecting(self, labels: dict[str, str]) -> list[Manifest]:
        return [
            service
            for service in self.of_kind("Service")
            if all(labels.get(k) == v for k, v in service["spec"]["selector"].items())
        ]

    # --- running pods ---------------------------------------------------------------------------

    def _run_arguments(
        self, pod: Pod, container: Manifest, *, name: str, replica: int, claims: dict[str, str]
    ) -> list[str]:
        """`docker run` for one container of the pod. Only the main container carries the
        Services' aliases and node ports (an init container has no traffic to receive)."""
        spec = pod.spec
        is_main = container is pod.main
        context = {**spec.get("securityContext", {}), **container.get("securityContext", {})}
        arguments = ["run", "-d", "--name", name, "--hostname", pod.name]
        arguments += ["--network", self.network, "--pull", "never"]
        for service in self.services_selecting(pod.labels) if is_main else []:
            arguments += ["--network-alias", service["metadata"]["name"]]
            node_ports = [p for p in service["spec"]["ports"] if p.get("nodePort")]
            if service["spec"]["type"] == "NodePort" and replica == 0:
                for port in node_ports:
                    target = self._container_port(container, port["targetPort"])
                    arguments += ["-p", f"127.0.0.1:{port['nodePort']}:{target}"]
        for variable, value in self.environment(container).items():
            arguments += ["-e", f"{variable}={value}"]

        user, group = context.get("runAsUser"), context.get("runAsGroup")
        if context.get("runAsNonRoot") and not user:
            user = self._image_user(container["image"])
        if context.get("runAsNonRoot") and (user is None or int(user) == 0):
            raise PodSpecError("runAsNonRoot is set but the container would run as root")
        if user is not None:
            arguments += ["--user", f"{user}:{group}" if group is not None else str(user)]
        pod_context = spec.get("securityContext", {})
        groups = [pod_context.get("fsGroup"), *pod_context.get("supplementalGroups", [])]
        for extra in groups:
            if extra is not None:
                arguments += ["--group-add", str(extra)]
        if context.get("readOnlyRootFilesystem"):
            arguments.append("--read-only")
        for capability in context.get("capabilities", {}).get("drop", []):
            arguments += ["--cap-drop", capability]
        for capability in context.get("capabilities", {}).get("add", []):
            arguments += ["--cap-add", capability]
        if context.get("allowPrivilegeEscalation") is False:
            arguments += ["--security-opt", "no-new-privileges"]
        if context.get("privileged"):
            arguments.append("--privileged")

        volumes = {volume["name"]: volume for volume in spec.get("volumes", [])}
        for mount in container.get("volumeMounts", []):
            arguments += ["--mount", self._mount(mount, volumes, claims)]

        limits = container.get("resources", {}).get("limits", {})
        if "cpu" in limits:
            arguments += ["--cpus", quantity_cpus(limits["cpu"])]
        if "memory" in limits:
            arguments += ["--memory", str(quantity_bytes(limits["memory"]))]

        command, args = container.get("command", []), container.get("args", [])
        if command:
            arguments += ["--entrypoint", command[0], container["image"], *command[1:], *args]
        else:
            arguments += [container["image"], *args]
        return arguments

    def _mount(self, mount: Manifest, volumes: dict[str, Manifest], claims: dict[str, str]) -> str:
        target = mount["mountPath"]
        read_only = ",readonly" if mount.get("readOnly") else ""
        if mount["name"] in claims:
            return f"type=volume,source={claims[mount['name']]},destination={target}{read_only}"
        volume = volumes.get(mount["name"])
        if volume is None or "emptyDir" not in volume:
            raise PodSpecError(f"volume {mount['name']!r} is not an emptyDir or a claim")
        size = volume["emptyDir"].get("sizeLimit")
        size_option = f",tmpfs-size={quantity_bytes(size)}" if size else ""
        return f"type=tmpfs,destination={target},tmpfs-mode=0777{size_option}"

    def _image_user(self, image: str) -> int | None:
        user = self.docker("image", "inspect", "--format", "{{.Config.User}}", image)
        uid = user.split(":")[0]
        return int(uid) if uid.isdigit() else None

    @staticmethod
    def _container_port(container: Manifest, port: int | str) -> int:
        if isinstance(port, int):
            return port
        for declared in container.get("ports", []):
            if declared.get("name") == port:
                return int(declared["containerPort"])
        raise PodSpecError(f"no container port named {port!r}")

    def _start(self, pod: Pod, *, replica: int, claims: dict[str, str]) -> Pod:
        """Init containers one after the other, each to a successful exit; then the main one."""
        if len(pod.spec["containers"]) != 1:
            raise PodSpecError("only pods with one (main) container are supported here")
        for init in pod.spec.get("initContainers", []):
            name = f"{pod.container}-init-{init['name']}"
            try:
                self.docker(
                    *self._run_arguments(pod, init, name=name, replica=replica, claims=claims)
                )
                exit_code = int(self.docker("wait", name, timeout=600))
                log = self._log(name)
            finally:
                self.docker("rm", "-f", "-v", name, check=False)
            if exit_code != 0:
                raise PodSpecError(f"{pod.name}: init container {init['name']} failed:\n{log}")
        arguments = self._run_arguments(
            pod, pod.main, name=pod.container, replica=replica, claims=claims
        )
        # Tracked before it runs: a container that `docker run` created but could not start is
        # still removed by close().
        self.pods.append(pod)
        self.docker(*arguments, timeout=300)
        details = json.loads(self.docker("inspect", pod.container))[0]
        pod.ip = details["NetworkSettings"]["Networks"][self.network]["IPAddress"]
        return pod

    def _next_name(self, base: str) -> str:
        self._created += 1
        return f"{base}-{self._created}"

    def run_deployment(self, name: str, replica: int = 0) -> Pod:
        """Start one pod of the Deployment (a new name each time, as a ReplicaSet does)."""
        template = self.find("Deployment", name)["spec"]["template"]
        pod_name = self._next_name(name)
        pod = Pod(
            pod_name, f"{self.prefix}-{pod_name}", template["metadata"]["labels"], template["spec"]
        )
        return self._start(pod, replica=replica, claims={})

    def run_statefulset(self, name: str, ordinal: int = 0) -> Pod:
        """Start pod <name>-<ordinal> with its claims' volumes (created once, kept on restarts)."""
        statefulset = self.find("StatefulSet", name)
        template = statefulset["spec"]["template"]
        pod_name = f"{name}-{ordinal}"
        claims = {}
        for claim in statefulset["spec"].get("volumeClaimTemplates", []):
            volume = f"{self.prefix}-{claim['metadata']['name']}-{pod_name}"
            if volume not in self._volumes:
                self.docker("volume", "create", volume)
                self._volumes.append(volume)
            claims[claim["metadata"]["name"]] = volume
        pod = Pod(
            pod_name, f"{self.prefix}-{pod_name}", template["metadata"]["labels"], template["spec"]
        )
        return self._start(pod, replica=ordinal, claims=claims)

    def run_to_completion(self, kind: str, name: str, timeout: float = 180) -> tuple[int, str]:
        """Run a Job's pod, or a bare Pod (a `helm test` hook), until it exits; return its exit
        code and output."""
        manifest = self.find(kind, name)
        if kind == "Job":
            labels, spec = (
                manifest["spec"]["template"]["metadata"]["labels"],
                manifest["spec"]["template"]["spec"],
            )
        else:
            labels, spec = manifest["metadata"]["labels"], manifest["spec"]
        pod = Pod(name, f"{self.prefix}-{self._next_name(name)}", labels, spec)
        self._start(pod, replica=0, claims={})
        exit_code = self.docker("wait", pod.container, timeout=timeout)
        return int(exit_code), self.logs(pod)

    def delete(self, pod: Pod) -> None:
        """`kubectl delete pod`: SIGTERM, the grace period, then the container is gone."""
        grace = int(pod.spec.get("terminationGracePeriodSeconds", 30))
        self.docker("stop", "-t", str(grace), pod.container, timeout=grace + 60)
        self.docker("rm", "-v", pod.container, timeout=120)
        self.pods.remove(pod)

    def logs(self, pod: Pod) -> str:
        return self._log(pod.container)

    def _log(self, container: str) -> str:
        result = subprocess.run(
            [self.docker.binary, "logs", container],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        return result.stdout + result.stderr

    # --- probes ---------------------------------------------------------------------------------

    def probe(self, pod: Pod, probe: Manifest) -> bool:
        """One probe attempt, as the kubelet makes it."""
        timeout = float(probe.get("timeoutSeconds", 1))
        if "httpGet" in probe:
            get = probe["httpGet"]
            port = self._container_port(pod.main, get["port"])
            url = f"http://{pod.ip}:{port}{get.get('path', '/')}"
            try:
                with urllib.request.urlopen(url, timeout=timeout) as response:
                    status: int = response.status
                    return 200 <= status < 400
            except (urllib.error.URLError, OSError):
                return False
        if "tcpSocket" in probe:
            port = self._container_port(pod.main, probe["tcpSocket"]["port"])
            try:
                with socket.create_connection((pod.ip, port), timeout=timeout):
                    return True
            except OSError:
                return False
        if "exec" in probe:
            result = subprocess.run(
                [self.docker.binary, "exec", pod.container, *probe["exec"]["command"]],
                capture_output=True,
                timeout=timeout + 10,
                check=False,
            )
            return result.returncode == 0
        raise PodSpecError(f"probe {sorted(probe)} is not supported here")

    def _running(self, pod: Pod) -> bool:
        state = self.docker("inspect", "--format", "{{.State.Status}}", pod.container)
        return state == "running"

    def wait_ready(self, pod: Pod) -> float:
        """The startup probe within its budget (period x failureThreshold), then the readiness
        probe; polled every half second rather than every period, to keep the tests quick.
        Returns the seconds from the container's start (State.StartedAt) to ready."""
        container = pod.main
        for kind in ("startupProbe", "readinessProbe"):
            probe = container.get(kind)
            if probe is None:
                continue
            budget = float(probe.get("periodSeconds", 10)) * int(probe.get("failureThreshold", 3))
            deadline = time.monotonic() + budget + float(probe.get("initialDelaySeconds", 0))
            while not self.probe(pod, probe):
                if not self._running(pod):
                    raise PodSpecError(
                        f"{pod.name} exited; its log ends:\n{self.logs(pod)[-3000:]}"
                    )
                if time.monotonic() > deadline:
                    log = self.logs(pod)[-3000:]
                    raise PodSpecError(f"{pod.name}: {kind} failed for {budget:.0f} s; log:\n{log}")
                time.sleep(0.5)
        started = self.docker("inspect", "--format", "{{.State.StartedAt}}", pod.container)
        return time.time() - datetime.fromisoformat(started).timestamp()
