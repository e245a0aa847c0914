"""scripts/k8s.sh (`make deploy|rollback|status|undeploy`) without a cluster, which cannot run
here: minikube, kubectl and docker are stand-ins that record their calls (fake_cluster_tools.py),
so these tests cover the script's argument plumbing and its decisions. Rendering is real: the
real kubectl makes the Secret manifests and the real helm renders each `helm upgrade --install`
with the chart, values file and namespace the script passed. tests/test_shell_scripts.py
shellchecks the script.
"""

import base64
import hashlib
import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import pytest
from chart_support import ROOT

from todo_common.build import VERSION
from todo_common.secrets import LOCAL_MODE_SECRET

pytestmark = pytest.mark.helm

IMAGES = ("todo-backend", "todo-frontend")


def image_id(reference: str) -> str:
    """What the stand-in docker answers for `docker image inspect` (fake_cluster_tools.py)."""
    return hashlib.sha256(reference.encode()).hexdigest()


SCRIPT = ROOT / "scripts" / "k8s.sh"
FAKE_TOOLS = Path(__file__).with_name("fake_cluster_tools.py")
FAKED = ("minikube", "kubectl", "docker", "helm")


@dataclass
class Machine:
    """A machine with the stand-in tools first on PATH and no real docker/kubectl/helm behind."""

    root: Path
    helm: str
    kubectl: str

    @property
    def state_dir(self) -> Path:
        return self.root / "state"

    def remove_tool(self, name: str) -> None:
        (self.root / "bin" / name).unlink()

    def set_state(self, **values: Any) -> None:
        path = self.state_dir / "state.json"
        state = json.loads(path.read_text()) if path.exists() else {}
        path.write_text(json.dumps({**state, **values}))

    def state(self) -> dict[str, Any]:
        state: dict[str, Any] = json.loads((self.state_dir / "state.json").read_text())
        return state

    def calls(self, tool: str | None = None) -> list[dict[str, Any]]:
        path = self.state_dir / "calls.jsonl"
        lines = path.read_text().splitlines() if path.exists() else []
        calls = [json.loads(line) for line in lines]
        return [call for call in calls if tool is None or call["tool"] == tool]

    def forget_calls(self) -> None:
        (self.state_dir / "calls.jsonl").unlink(missing_ok=True)

    def secret(self, name: str) -> dict[str, str]:
        data = self.state()["secrets"][name]
        return {key: base64.b64decode(value).decode() for key, value in data.items()}

    def run(self, *args: str, env_file: str = "", **env: str) -> subprocess.CompletedProcess[str]:
        dotenv = self.root / "dotenv"
        dotenv.write_text(env_file)
        environment = {
            "PATH": f"{self.root / 'bin'}:{self.root / 'sysbin'}",
            "HOME": str(self.root),
            "FAKE_STATE_DIR": str(self.state_dir),
            "REAL_HELM": self.helm,
            "REAL_KUBECTL": self.kubectl,
            "ENV_FILE": str(dotenv),
            **env,
        }
        return subprocess.run(
            ["bash", str(SCRIPT), *args],
            capture_output=True,
            text=True,
            env=environment,
            timeout=120,
            check=False,
        )


@pytest.fixture
def machine(tmp_path: Path, helm: str, unavailable: Callable[[str], NoReturn]) -> Machine:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        unavailable("kubectl is not on PATH (.ci/run installs it into .tools/bin)")
    (tmp_path / "state").mkdir()
    bin_dir, sysbin = tmp_path / "bin", tmp_path / "sysbin"
    bin_dir.mkdir()
    sysbin.mkdir()
    for tool in FAKED:
        stub = bin_dir / tool
        stub.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{FAKE_TOOLS}" {tool} "$@"\n')
        stub.chmod(0o755)
    # The system's commands, minus any real docker/kubectl/helm/minikube installed there.
    for directory in (Path("/usr/bin"), Path("/bin")):
        for command in directory.iterdir():
            link = sysbin / command.name
            if command.name not in FAKED and not link.exists():
                link.symlink_to(command)
    return Machine(tmp_path, helm, kubectl)


def deployed(machine: Machine) -> subprocess.CompletedProcess[str]:
    result = machine.run("deploy")
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def upgrades(machine: Machine) -> list[list[str]]:
    return [call["args"] for call in machine.calls("helm") if call["args"][0] == "upgrade"]


def values_passed(machine: Machine) -> dict[str, dict[str, Any]]:
    return {call["args"][0]: call["values"] for call in machine.calls("helm-values")}


def test_first_deploy_starts_minikube_builds_there_creates_secrets_and_installs_both(
    machine: Machine,
) -> None:
    machine.set_state(helm_version="v4.1.4")  # `helm version` only: rendering stays real
    result = deployed(machine)

    starts = [call["args"] for call in machine.calls("minikube") if call["args"][0] == "start"]
    assert starts == [["start", "--cpus=2", "--memory=3072"]]

    builds = [call for call in machine.calls("docker") if call["args"][0] == "build"]
    version = ["--build-arg", f"VERSION={VERSION}"]
    assert [call["args"][1:] for call in builds] == [
        [*version, "-f", "Dockerfile.backend", "-t", f"todo-backend:{VERSION}", "."],
        [*version, "-f", "Dockerfile.frontend", "-t", f"todo-frontend:{VERSION}", "."],
    ]
    for call in builds:  # with the local Docker, then loaded into Minikube
        assert call["env"] == {"DOCKER_BUILDKIT": "1"}
    # Each image under a tag that never moves: the version and its image ID.
    tags = {name: f"{VERSION}-{image_id(f'{name}:{VERSION}')[:12]}" for name in IMAGES}
    loads = [call["args"] for call in machine.calls("minikube") if call["args"][0] == "image"]
    assert loads == [["image", "load", f"{name}:{tag}"] for name, tag in tags.items()]
    for release, name in zip(("backend", "frontend"), IMAGES, strict=True):
        image = values_passed(machine)[release]["image"]
        assert image == {"repository": name, "tag": tags[name]}
    assert "tools: docker 27.5.1; kubectl v1.33.9; helm v4.1.4; minikube v1.36.0;" in result.stdout

    backend_secret = machine.secret("backend-secrets")
    assert sorted(backend_secret) == ["auth-secret", "postgres-password", "proxy-secret"]
    assert len(backend_secret["auth-secret"]) == 64
    frontend_secret = machine.secret("frontend-secrets")
    assert sorted(frontend_secret) == ["auth-secret", "proxy-secret"]
    assert frontend_secret["auth-secret"] != backend_secret["auth-secret"]
    # One key both services share: the frontend signs visitors' addresses, the backend checks.
    assert len(backend_secret["proxy-secret"]) == 64
    assert frontend_secret["proxy-secret"] == backend_secret["proxy-secret"]
    applies = [call["args"] for call in machine.calls("kubectl") if call["args"][0] == "apply"]
    assert all("--server-side" in args for args in applies)

    assert [args[:4] for args in upgrades(machine)] == [
        ["upgrade", "--install", "backend", "helm/backend"],
        ["upgrade", "--install", "frontend", "helm/frontend"],
    ]
    for args in upgrades(machine):
        assert {"--wait", "--rollback-on-failure"} <= set(args)
        assert args[args.index("--timeout") + 1] == "5m"
        assert args[args.index("-n") + 1] == "default"
    backend_values = values_passed(machine)["backend"]
    assert backend_values["postgresql"] == {
        "enabled": True,
        "auth": {"existingSecret": "backend-secrets"},
    }
    assert backend_values["podAnnotations"]["todo-chatbot/image-id"].startswith("sha256:")
    assert "PostgreSQL" in machine.state()["releases"]["backend"]  # real helm rendered it

    assert "http://192.168.49.2:30000" in result.stdout
    assert "minikube service frontend -n default --url" in result.stdout


def test_your_values_files_win_for_that_deploy_only(machine: Machine) -> None:
    """BACKEND_VALUES/FRONTEND_VALUES go to their chart after the script's values; the next
    deploy without them goes back to the chart's defaults."""
    frontend_values = machine.root / "my-frontend.yaml"
    frontend_values.write_text("replicaCount: 3\nconfig:\n  chatUi: chatkit\n")
    result = machine.run("deploy", FRONTEND_VALUES=str(frontend_values))
    assert result.returncode == 0, result.stdout + result.stderr
    files = {call["args"][0]: call["user_files"] for call in machine.calls("helm-values")}
    assert files == {"backend": [], "frontend": [str(frontend_values)]}
    rendered = machine.state()["releases"]["frontend"]
    assert "replicas: 3" in rendered and 'CHAT_UI: "chatkit"' in rendered

    machine.forget_calls()
    assert machine.run("deploy").returncode == 0
    assert [args[2] for args in upgrades(machine)] == ["frontend"]
    assert "replicas: 3" not in machine.state()["releases"]["frontend"]


def test_a_values_file_that_is_not_there_is_named(machine: Machine) -> None:
    result = machine.run("deploy", BACKEND_VALUES="no-such-file.yaml")
    assert result.returncode == 1
    assert "BACKEND_VALUES: no readable file" in result.stderr
    assert "no-such-file.yaml" in result.stderr
    assert machine.calls("docker") == [] and upgrades(machine) == []


def test_a_second_deploy_changes_nothing(machine: Machine) -> None:
    deployed(machine)
    first_state = machine.state()
    machine.forget_calls()

    result = deployed(machine)

    assert machine.state() == first_state  # same Secrets, same stored manifests
    assert not [call for call in machine.calls("minikube") if call["args"][0] == "start"]
    assert upgrades(machine) == []
    assert "backend is up to date" in result.stdout
    assert "frontend is up to date" in result.stdout


def test_a_deploy_over_secrets_from_before_proxy_secret_adds_it_to_both(machine: Machine) -> None:
    """Secrets that an earlier version made, without `proxy-secret`: the deploy keeps what they
    hold and gives both the same new key."""
    deployed(machine)
    state = machine.state()
    for name in ("backend-secrets", "frontend-secrets"):
        del state["secrets"][name]["proxy-secret"]
    machine.set_state(secrets=state["secrets"])
    before = machine.secret("backend-secrets")

    deployed(machine)

    backend, frontend = machine.secret("backend-secrets"), machine.secret("frontend-secrets")
    assert backend["auth-secret"] == before["auth-secret"]
    assert len(backend["proxy-secret"]) == 64
    assert frontend["proxy-secret"] == backend["proxy-secret"]


def test_a_changed_setting_upgrades_only_the_release_it_touches(machine: Machine) -> None:
    deployed(machine)
    machine.forget_calls()
    result = machine.run("deploy", OPENAI_MODEL="gpt-4.1-mini")
    assert result.returncode == 0, result.stderr
    assert [args[2] for args in upgrades(machine)] == ["backend"]
    assert values_passed(machine)["backend"]["config"]["openaiModel"] == "gpt-4.1-mini"


def test_settings_come_from_the_environment_first_then_the_env_file(machine: Machine) -> None:
    from_file = "0123456789abcdef" * 3  # 48 characters, 16 different
    env_file = "\n".join(
        [
            "# an .env as copied from .env.example",
            f'BETTER_AUTH_SECRET="{from_file}"',
            "DATABASE_URL=postgresql://file:pw@db.example.com/todo",
            "OPENAI_API_KEY=sk-from-file",
            "LOG_LEVEL=debug",
        ]
    )
    result = machine.run(
        "deploy",
        env_file=env_file,
        DATABASE_URL="postgresql://env:pw@neon.example.com/todo?sslmode=require",
    )
    assert result.returncode == 0, result.stdout + result.stderr

    secret = machine.secret("backend-secrets")
    assert secret == {
        "auth-secret": from_file,
        "database-url": "postgresql://env:pw@neon.example.com/todo?sslmode=require",
        "openai-api-key": "sk-from-file",
        "proxy-secret": secret["proxy-secret"],
    }
    backend_values = values_passed(machine)["backend"]
    assert backend_values["postgresql"]["enabled"] is False
    assert backend_values["config"]["logLevel"] == "debug"
    assert machine.secret("frontend-secrets")["auth-secret"] != from_file


def test_a_sqlite_database_url_from_local_runs_means_postgresql_in_the_cluster(
    machine: Machine,
) -> None:
    result = machine.run("deploy", env_file="DATABASE_URL=sqlite:///./todo.db\n")
    assert result.returncode == 0, result.stderr
    assert "using PostgreSQL in the cluster" in result.stdout
    assert "database-url" not in machine.secret("backend-secrets")
    assert values_passed(machine)["backend"]["postgresql"]["enabled"] is True


def test_a_value_the_chart_refuses_stops_the_deploy_with_helms_reason(machine: Machine) -> None:
    result = machine.run("deploy", OPENAI_BASE_URL="llm.local:11434/v1")
    assert result.returncode != 0
    assert "openaiBaseUrl" in result.stderr  # from the values schema, via the real helm
    assert "helm upgrade of backend failed" in result.stderr
    assert "backend" not in machine.state()["releases"]


@pytest.mark.parametrize(
    "secret",
    ["change-me", "short-secret", "secret", "a" * 40, "abcd" * 10, LOCAL_MODE_SECRET],
)
def test_a_weak_auth_secret_is_refused_before_anything_is_applied(
    machine: Machine, secret: str
) -> None:
    result = machine.run("deploy", BETTER_AUTH_SECRET=secret)
    assert result.returncode != 0
    assert "BETTER_AUTH_SECRET must be at least 32 random characters" in result.stderr
    assert upgrades(machine) == []
    assert "backend-secrets" not in machine.state()["secrets"]


def test_helm_3_gets_atomic_and_helm_older_than_3_12_is_refused(machine: Machine) -> None:
    machine.set_state(helm_version="v3.12.0+gc9f554d")
    deployed(machine)
    for args in upgrades(machine):
        assert "--atomic" in args and "--rollback-on-failure" not in args

    machine.set_state(helm_version="v3.11.3+g3a31588")
    result = machine.run("deploy")
    assert result.returncode != 0
    assert "helm v3.11.3+g3a31588 is too old: 3.12 or newer is needed" in result.stderr


def test_each_missing_tool_is_named(machine: Machine) -> None:
    for tool in FAKED:
        machine.remove_tool(tool)
    result = machine.run("deploy")
    assert result.returncode != 0
    for tool in FAKED:
        assert f"error: {tool} is not installed: https://" in result.stderr, tool
    assert machine.calls() == []


def test_a_current_context_deploy_needs_a_registry_and_never_touches_minikube(
    machine: Machine,
) -> None:
    """DEPLOY_TARGET=current (tests/cluster deploys that way to a real cluster): without
    IMAGE_REGISTRY it says what to set before anything runs; minikube is never called."""
    result = machine.run("deploy", DEPLOY_TARGET="current")
    assert result.returncode == 1
    assert "DEPLOY_TARGET=current needs IMAGE_REGISTRY" in result.stderr
    unknown = machine.run("deploy", DEPLOY_TARGET="cloud")
    assert unknown.returncode == 1 and "DEPLOY_TARGET is minikube or current" in unknown.stderr
    assert machine.calls("minikube") == [] and upgrades(machine) == []


def test_rollback_one_chart_or_both(machine: Machine) -> None:
    deployed(machine)
    machine.forget_calls()
    assert machine.run("rollback", "backend", "1").returncode == 0
    assert machine.run("rollback").returncode == 0
    rollbacks = [call["args"] for call in machine.calls("helm") if call["args"][0] == "rollback"]
    assert rollbacks == [
        ["rollback", "backend", "1", "-n", "default", "--wait", "--timeout", "5m"],
        ["rollback", "backend", "-n", "default", "--wait", "--timeout", "5m"],
        ["rollback", "frontend", "-n", "default", "--wait", "--timeout", "5m"],
    ]
    wrong = machine.run("rollback", "database")
    assert wrong.returncode != 0
    assert "backend, frontend or all" in wrong.stderr


def test_status_shows_releases_history_and_urls(machine: Machine) -> None:
    deployed(machine)
    machine.forget_calls()
    result = machine.run("status")
    assert result.returncode == 0, result.stderr
    helm_calls = [call["args"][:2] for call in machine.calls("helm")]
    assert ["history", "backend"] in helm_calls and ["history", "frontend"] in helm_calls
    assert "http://192.168.49.2:30001/docs" in result.stdout
    for release in ("backend", "frontend"):
        assert f"{release}: version 1.0.0, build 1.0.0-fakebuild" in result.stdout


def test_backup_and_restore_say_what_they_need(machine: Machine, tmp_path: Path) -> None:
    """Without BACKUP restore refuses; a file that is no dump is refused before anything runs;
    with an external database both say so and touch nothing."""
    deployed(machine)
    machine.forget_calls()
    refused = machine.run("restore")
    assert refused.returncode == 1 and "make restore BACKUP=" in refused.stderr
    not_a_dump = tmp_path / "notes.txt"
    not_a_dump.write_text("hello")
    refused = machine.run("restore", BACKUP=str(not_a_dump))
    assert refused.returncode == 1 and "is not a pg_dump custom-format file" in refused.stderr
    assert machine.calls("kubectl") == []

    external = machine.run("deploy", DATABASE_URL="postgresql://u:p@db.example.com/todo")
    assert external.returncode == 0, external.stderr
    machine.forget_calls()
    for command in ("backup", "restore"):
        dump = tmp_path / "todo.dump"
        dump.write_bytes(b"PGDMP\x01")
        result = machine.run(command, BACKUP=str(dump))
        assert result.returncode == 0, result.stderr
        assert "no in-cluster PostgreSQL" in result.stdout
    assert [call["args"][0] for call in machine.calls("kubectl")] == ["version", "get"] * 2


def test_undeploy_keeps_the_data_unless_purged(machine: Machine) -> None:
    deployed(machine)
    result = machine.run("undeploy")
    assert result.returncode == 0, result.stderr
    assert machine.state()["releases"] == {}
    assert "backend-secrets" in machine.state()["secrets"]
    assert "PURGE=1 deletes them" in result.stdout

    assert machine.run("undeploy", PURGE="1").returncode == 0
    deletes = [call["args"][:3] for call in machine.calls("kubectl") if call["args"][0] == "delete"]
    assert ["delete", "pvc", "data-backend-postgresql-0"] in deletes
    assert machine.state()["secrets"] == {}
