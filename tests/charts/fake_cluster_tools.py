"""Stand-ins for minikube, kubectl, docker and helm, for testing scripts/k8s.sh's argument plumbing
without a cluster (none can run here). Each call is appended to calls.jsonl in $FAKE_STATE_DIR;
state.json holds what a cluster would keep (Minikube running, Secrets, releases).

Rendering is never faked: `kubectl create ... --dry-run=client` runs the real kubectl, and
`helm upgrade --install` runs the real `helm template` with the same chart, values and namespace,
failing as the real install would fail on a value the chart refuses; what it renders becomes the
release's stored manifest.

    python fake_cluster_tools.py <minikube|kubectl|docker|helm> ARGS...
"""

import fcntl
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

STATE_DIR = Path(os.environ["FAKE_STATE_DIR"])
REAL_HELM = os.environ["REAL_HELM"]
REAL_KUBECTL = os.environ["REAL_KUBECTL"]
STDIN = ""


def load_state() -> dict[str, Any]:
    path = STATE_DIR / "state.json"
    state: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    state.setdefault("minikube_running", False)
    state.setdefault("secrets", {})
    state.setdefault("releases", {})
    return state


def save_state(state: dict[str, Any]) -> None:
    (STATE_DIR / "state.json").write_text(json.dumps(state, indent=2))


def record(tool: str, args: list[str], **extra: Any) -> None:
    with (STATE_DIR / "calls.jsonl").open("a") as calls:
        calls.write(json.dumps({"tool": tool, "args": args, **extra}) + "\n")


def option(args: list[str], name: str, default: str = "") -> str:
    return args[args.index(name) + 1] if name in args else default


def minikube(args: list[str], state: dict[str, Any]) -> int:
    if args[0] == "status":
        return 0 if state["minikube_running"] else 7
    if args[0] == "start":
        state["minikube_running"] = True
    elif args[0] == "docker-env":
        print('export DOCKER_HOST="tcp://192.168.49.2:2376"')
        print('export MINIKUBE_ACTIVE_DOCKERD="minikube"')
    elif args[0] == "ip":
        print("192.168.49.2")
    elif args[0] == "version":
        print("v1.36.0")
    return 0


def docker(args: list[str], state: dict[str, Any]) -> int:
    if args[0] == "version":
        print("27.5.1")
    elif args[:2] == ["image", "inspect"]:
        print("sha256:" + hashlib.sha256(args[-1].encode()).hexdigest())
    return 0


def kubectl(args: list[str], state: dict[str, Any]) -> int:
    if args[0] == "version":
        print(json.dumps({"clientVersion": {"gitVersion": "v1.33.9"}}, indent=2))
        return 0
    if args[:2] == ["get", "statefulset"]:  # exists when a release's manifest has it
        wanted = f"kind: StatefulSet\nmetadata:\n  name: {args[2]}\n"
        return 0 if any(wanted in manifest for manifest in state["releases"].values()) else 1
    if args[:2] == ["get", "--raw"]:  # the health endpoint, through the API server's proxy
        print(json.dumps({"status": "ok", "version": "1.0.0", "build": "1.0.0-fakebuild"}))
        return 0
    if args[0] == "create" and "--dry-run=client" in args:
        return subprocess.run([REAL_KUBECTL, *args], check=False).returncode
    if args[:2] == ["get", "secret"]:
        data = state["secrets"].get(args[2])
        if data is None:
            print(f'Error from server (NotFound): secrets "{args[2]}" not found', file=sys.stderr)
            return 1
        key = option(args, "-o").removeprefix("jsonpath={.data.").removesuffix("}")
        print(data.get(key, ""), end="")
    elif args[0] == "apply":
        manifest = yaml.safe_load(STDIN)
        if manifest["kind"] == "Secret":
            state["secrets"][manifest["metadata"]["name"]] = manifest.get("data", {})
    elif args[0] == "delete" and args[1] == "secret":
        for name in args[2:]:
            state["secrets"].pop(name, None)
    return 0


def helm(args: list[str], state: dict[str, Any]) -> int:
    fake_version = state.get("helm_version")
    if args[0] == "version" and fake_version:
        print(fake_version, end="")
        return 0
    if args[0] in {"version", "template"}:
        return subprocess.run([REAL_HELM, *args], check=False).returncode
    if args[0] == "list":
        wanted = option(args, "--filter").strip("^$")
        if wanted in state["releases"]:
            print(wanted)
    elif args[:2] == ["get", "manifest"]:
        print(state["releases"][args[2]], end="")
    elif args[0] == "upgrade":
        release, chart = args[2], args[3]
        files = [args[i + 1] for i, arg in enumerate(args) if arg == "-f"]
        command = [REAL_HELM, "template", release, chart, "-n", option(args, "-n")]
        for file in files:
            command += ["-f", file]
        rendered = subprocess.run(
            [*command, "--no-hooks", "--skip-tests"], capture_output=True, text=True, check=False
        )
        if rendered.returncode != 0:
            print(rendered.stderr, file=sys.stderr)
            return rendered.returncode
        state["releases"][release] = rendered.stdout.rstrip("\n")
        script_values, *user_files = files
        record(
            "helm-values",
            [release],
            values=json.loads(Path(script_values).read_text()),
            user_files=user_files,
        )
    elif args[0] in {"status", "history"}:
        return 0 if args[1] in state["releases"] else 1
    elif args[0] == "uninstall":
        state["releases"].pop(args[1], None)
    return 0


TOOLS = {"minikube": minikube, "docker": docker, "kubectl": kubectl, "helm": helm}


def main() -> int:
    global STDIN
    tool, args = sys.argv[1], sys.argv[2:]
    # Both ends of `kubectl create ... | kubectl apply -f -` run at once: read the pipe first,
    # then take the lock, so neither waits on the other.
    if tool == "kubectl" and args[0] == "apply":
        STDIN = sys.stdin.read()
    environment = {
        name: os.environ[name] for name in ("DOCKER_HOST", "DOCKER_BUILDKIT") if name in os.environ
    }
    with (STATE_DIR / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        record(tool, args, env=environment)
        state = load_state()
        exit_code = TOOLS[tool](args, state)
        save_state(state)
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
