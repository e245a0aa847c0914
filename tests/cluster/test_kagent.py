"""The backend chart's kagent resources (`kagent.enabled`) checked by a real API server against
kagent's own CRDs: the CRDs of the vendored kagent snapshot (v0.10.0-rc1+58, commit 5229184)
are installed into the cluster, the chart's ModelConfig, RemoteMCPServer and Agent are applied
in a namespace of their own with strict field validation, and resources with a wrong field are
refused. kagent's controller does not build here, so nothing acts on the resources."""

import copy
import dataclasses
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest
import yaml

from tests.support.cluster import REPO_ROOT, Cluster
from tests.support.kubectl_ai import shared_dir

pytestmark = [pytest.mark.cluster, pytest.mark.timeout(600)]

NAMESPACE = "todo-kagent"
SNAPSHOT = "kagent-5229184.tar.gz"
CRD_FOLDER = "kagent/helm/kagent-crds/templates"
FIELD_MANAGER = "todo-kagent-test"

Resource = dict[str, Any]


@pytest.fixture(scope="module")
def kagent_crds(
    cluster: Cluster,
    unavailable: Callable[[str], NoReturn],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[list[Path]]:
    """kagent's CRD files from the snapshot, applied as its kagent-crds chart would, and
    Established; deleted again at the end."""
    snapshot = shared_dir() / "vendor" / SNAPSHOT
    if not snapshot.exists():
        unavailable(f"the kagent snapshot {snapshot} is missing (the shared vendor folder)")
    folder = tmp_path_factory.mktemp("kagent")
    subprocess.run(["tar", "-xzf", str(snapshot), "-C", str(folder), CRD_FOLDER], check=True)
    files = sorted((folder / CRD_FOLDER).glob("kagent.dev_*.yaml"))
    assert files, f"no CRD files in {CRD_FOLDER}"
    applying = [arg for path in files for arg in ("-f", str(path))]
    cluster.kubectl("apply", "--server-side", f"--field-manager={FIELD_MANAGER}", *applying)
    names = [f"crd/{yaml.safe_load(path.read_text())['metadata']['name']}" for path in files]
    cluster.kubectl("wait", "--for=condition=Established", "--timeout=60s", *names, timeout=90)
    yield files
    cluster.kubectl("delete", "--ignore-not-found", *applying)


@pytest.fixture(scope="module")
def kagent_namespace(cluster: Cluster, kagent_crds: list[Path]) -> Iterator[Cluster]:
    """The cluster, with a namespace of this module's own (deleted at the end)."""
    created = cluster.kubectl_result("create", "namespace", NAMESPACE)
    assert created.returncode == 0 or "AlreadyExists" in created.stderr, created.stderr
    yield dataclasses.replace(cluster, namespace=NAMESPACE)
    cluster.kubectl("delete", "namespace", NAMESPACE, "--timeout=120s", timeout=150)


@pytest.fixture(scope="module")
def rendered(kagent_namespace: Cluster) -> list[Resource]:
    """The kagent resources of `helm template` with kagent.enabled, in the chart's order."""
    manifest = kagent_namespace.helm(
        "template",
        "backend",
        str(REPO_ROOT / "helm/backend"),
        "--set",
        "kagent.enabled=true",
        "--set",
        "kagent.agent.userId=user-42",
        "--set",
        "kagent.model.baseUrl=http://ollama.ollama:11434/v1",
    )
    documents = [doc for doc in yaml.safe_load_all(manifest) if doc]
    return [doc for doc in documents if doc["apiVersion"].startswith("kagent.dev/")]


def apply(
    cluster: Cluster, resources: list[Resource], tmp_path: Path, *extra: str
) -> subprocess.CompletedProcess[str]:
    """`kubectl apply --server-side --validate=strict`: the API server checks every field."""
    path = tmp_path / "kagent.yaml"
    path.write_text(yaml.safe_dump_all(resources))
    result = cluster.kubectl_result(
        "apply",
        "--server-side",
        f"--field-manager={FIELD_MANAGER}",
        "--validate=strict",
        *extra,
        "-f",
        str(path),
    )
    return result


def contains(stored: Any, sent: Any) -> bool:
    """Whether everything sent is in what the API server stored (it adds defaults, and would
    have pruned what its schema does not know)."""
    if isinstance(sent, dict):
        return isinstance(stored, dict) and all(
            key in stored and contains(stored[key], value) for key, value in sent.items()
        )
    return bool(stored == sent)


def test_the_api_server_accepts_and_keeps_every_kagent_resource_of_the_chart(
    kagent_namespace: Cluster, rendered: list[Resource], tmp_path: Path
) -> None:
    assert sorted(doc["kind"] for doc in rendered) == ["Agent", "ModelConfig", "RemoteMCPServer"]
    applied = apply(kagent_namespace, rendered, tmp_path)
    assert applied.returncode == 0, applied.stderr
    for doc in rendered:
        kind, name = doc["kind"].lower(), doc["metadata"]["name"]
        assert f"{kind}.kagent.dev/{name} serverside-applied" in applied.stdout
        stored = kagent_namespace.kubectl_json("get", f"{kind}.v1alpha2.kagent.dev", name)
        assert stored["apiVersion"] == "kagent.dev/v1alpha2"
        assert contains(stored["spec"], doc["spec"]), (stored["spec"], doc["spec"])


def misspelled_field(rendered: list[Resource]) -> Resource:
    agent = copy.deepcopy(next(doc for doc in rendered if doc["kind"] == "Agent"))
    declarative = agent["spec"]["declarative"]
    declarative["systemMesage"] = declarative.pop("systemMessage")
    return agent


def unknown_protocol(rendered: list[Resource]) -> Resource:
    server = copy.deepcopy(next(doc for doc in rendered if doc["kind"] == "RemoteMCPServer"))
    server["spec"]["protocol"] = "WEBSOCKET"
    return server


def key_without_its_secret_key(rendered: list[Resource]) -> Resource:
    model = copy.deepcopy(next(doc for doc in rendered if doc["kind"] == "ModelConfig"))
    del model["spec"]["apiKeySecretKey"]
    return model


@pytest.mark.parametrize(
    ("broken", "refusal"),
    [
        (misspelled_field, ".spec.declarative.systemMesage: field not declared in schema"),
        (unknown_protocol, 'Unsupported value: "WEBSOCKET"'),
        (key_without_its_secret_key, "apiKeySecretKey must be set if apiKeySecret is set"),
    ],
    ids=["unknown field", "enum value", "validation rule"],
)
def test_a_kagent_resource_with_a_wrong_field_is_refused(
    kagent_namespace: Cluster,
    rendered: list[Resource],
    tmp_path: Path,
    broken: Callable[[list[Resource]], Resource],
    refusal: str,
) -> None:
    refused = apply(kagent_namespace, [broken(rendered)], tmp_path, "--dry-run=server")
    assert refused.returncode != 0, refused.stdout
    assert refusal in refused.stderr
