"""What the chart tests share: where the charts are, and reading `helm template` output.

Imported by the test modules (tests/charts/conftest.py puts this directory on sys.path, since
pytest's importlib mode keeps test directories off it).
"""

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
HELM_DIR = ROOT / "helm"
CHARTS = ("backend", "frontend")

Manifest = dict[str, Any]
# The fixtures `helm_template` and `render` (conftest.py).
HelmTemplate = Callable[..., subprocess.CompletedProcess[str]]
Render = Callable[..., list[Manifest]]


def ci_values_files(chart: str) -> list[Path]:
    """The chart's `ci/` values files: every one is linted, rendered and validated."""
    return sorted((HELM_DIR / chart / "ci").glob("*.yaml"))


def ci_cases() -> list[tuple[str, Path]]:
    return [(chart, path) for chart in CHARTS for path in ci_values_files(chart)]


def ci_case_id(case: tuple[str, Path]) -> str:
    return f"{case[0]}-{case[1].stem}"


def parse_manifests(text: str) -> list[Manifest]:
    return [doc for doc in yaml.safe_load_all(text) if doc]


def find(manifests: list[Manifest], kind: str, name: str | None = None) -> Manifest:
    matches = [
        doc
        for doc in manifests
        if doc["kind"] == kind and (name is None or doc["metadata"]["name"] == name)
    ]
    assert len(matches) == 1, f"expected one {kind} {name or ''}, found {len(matches)}"
    return matches[0]


def kinds(manifests: list[Manifest]) -> list[str]:
    return sorted(doc["kind"] for doc in manifests)


def pod_specs(manifests: list[Manifest]) -> Iterator[tuple[str, Manifest]]:
    """Every pod spec in the objects (workloads, Jobs and bare Pods), with a label for messages."""
    for doc in manifests:
        name = f"{doc['kind']}/{doc['metadata']['name']}"
        if doc["kind"] in {"Deployment", "StatefulSet", "Job"}:
            yield name, doc["spec"]["template"]["spec"]
        elif doc["kind"] == "Pod":
            yield name, doc["spec"]


def container_env(container: Manifest) -> dict[str, Manifest]:
    return {item["name"]: item for item in container.get("env", [])}
