"""The charts pass `helm lint --strict`, the Kubernetes API schemas (kubernetes-validate --strict,
which rejects unknown fields) and checkov, for every values file in their `ci/` folders."""

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import pytest
from chart_support import (
    CHARTS,
    HELM_DIR,
    ROOT,
    HelmTemplate,
    ci_case_id,
    ci_cases,
    ci_values_files,
)
from kubernetes_validate.utils import latest_version

pytestmark = pytest.mark.helm

# The versions the plan names as the floor (1.28), the Minikube default today (1.33) and the
# newest schema kubernetes-validate ships.
KUBERNETES_VERSIONS = ("1.28.0", "1.33.0", latest_version())
# Pinned so that a new checkov release with new checks cannot turn the build red overnight.
CHECKOV = "checkov==3.3.30"
KUBERNETES_VALIDATE = Path(sys.executable).with_name("kubernetes-validate")


@pytest.mark.parametrize("case", ci_cases(), ids=ci_case_id)
def test_helm_lint_strict_passes(helm: str, case: tuple[str, Path]) -> None:
    chart, values = case
    result = subprocess.run(
        [helm, "lint", "--strict", str(HELM_DIR / chart), "-f", str(values)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 chart(s) failed" in result.stdout


def test_each_chart_has_ci_values_for_defaults_quickstart_and_everything_on() -> None:
    for chart in CHARTS:
        names = {path.stem for path in ci_values_files(chart)}
        assert {"default-values", "quickstart-values", "full-values"} <= names, chart


def rendered_for(helm_template: HelmTemplate, chart: str, version: str) -> str:
    """Every ci/ values file of the chart rendered for that Kubernetes version, as one stream."""
    documents = []
    for values in ci_values_files(chart):
        result = helm_template(chart, "-f", str(values), "--kube-version", version)
        assert result.returncode == 0, result.stderr
        documents.append(result.stdout)
    return "\n---\n".join(documents)


def kubernetes_validate(manifests: str, version: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(KUBERNETES_VALIDATE), "--strict", "--quiet", "-k", version, "-"],
        input=manifests,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("chart", CHARTS)
def test_rendered_objects_match_the_kubernetes_schema(
    helm_template: HelmTemplate, chart: str, version: str
) -> None:
    result = kubernetes_validate(rendered_for(helm_template, chart, version), version)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_validator_rejects_an_unknown_field() -> None:
    """Proves the strict mode the tests above rely on is in force."""
    service = """\
apiVersion: v1
kind: Service
metadata: {name: x}
spec: {ports: [{port: 80}], colour: red}
"""
    result = kubernetes_validate(service, "1.28.0")
    assert result.returncode != 0
    assert "colour" in result.stdout + result.stderr


# --- checkov ------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def checkov(
    helm: str, unavailable: Callable[[str], NoReturn]
) -> Callable[..., list[dict[str, Any]]]:
    """checkov in its own environment (its pins conflict with the project's lock), cached by uv,
    with the real helm first on PATH: without helm the helm framework silently checks nothing."""
    uv = shutil.which("uv") or str(ROOT / ".tools/bin/uv")
    if not Path(uv).exists():
        unavailable("uv is needed to run checkov in an isolated environment")
    env = {**os.environ, "PATH": f"{Path(helm).parent}{os.pathsep}{os.environ.get('PATH', '')}"}

    def run(*args: str) -> list[dict[str, Any]]:
        result = subprocess.run(
            [
                uv,
                "tool",
                "run",
                "--from",
                CHECKOV,
                "checkov",
                *args,
                "--skip-download",
                "-o",
                "json",
            ],
            capture_output=True,
            text=True,
            timeout=600,
            env=env,
            check=False,
        )
        assert result.stdout.strip(), result.stderr
        reports = json.loads(result.stdout)
        return reports if isinstance(reports, list) else [reports]

    return run


def assert_clean(reports: list[dict[str, Any]]) -> int:
    """No failed check, every skip carries a reason; returns how many checks passed."""
    passed = 0
    for report in reports:
        results = report["results"]
        failed = [(check["check_id"], check["resource"]) for check in results["failed_checks"]]
        assert not failed, failed
        for check in results["skipped_checks"]:
            comment = check.get("check_result", {}).get("suppress_comment", "")
            assert comment and comment != "No comment provided", check["check_id"]
        passed += len(results["passed_checks"])
    return passed


def test_checkov_passes_both_charts_with_their_defaults(
    checkov: Callable[..., list[dict[str, Any]]],
) -> None:
    reports = checkov("-d", str(HELM_DIR), "--framework", "helm")
    assert [report["check_type"] for report in reports] == ["helm"]
    passed = assert_clean(reports)
    # checkov renders each chart with helm; no helm means no checks at all, and a pass.
    assert passed > 100, f"only {passed} checks ran"
    resources = {check["resource"] for check in reports[0]["results"]["passed_checks"]}
    for chart in CHARTS:
        assert any(f"release-name-{chart}" in resource for resource in resources), chart


def test_checkov_passes_every_ci_rendering(
    checkov: Callable[..., list[dict[str, Any]]], helm_template: HelmTemplate, tmp_path: Path
) -> None:
    """The helm framework only renders default values; the optional parts (PostgreSQL, the
    migration Job, Ingress, autoscaler) are checked on the ci/ renderings."""
    for chart, values in ci_cases():
        result = helm_template(chart, "-f", str(values))
        assert result.returncode == 0, result.stderr
        (tmp_path / f"{chart}-{values.stem}.yaml").write_text(result.stdout)
    reports = checkov("-d", str(tmp_path), "--framework", "kubernetes")
    passed = assert_clean(reports)
    assert passed > 500, f"only {passed} checks ran"
    resources = {check["resource"] for check in reports[0]["results"]["passed_checks"]}
    for kind in ("StatefulSet", "Job", "Ingress", "Deployment", "Pod"):
        assert any(resource.startswith(f"{kind}.") for resource in resources), kind
