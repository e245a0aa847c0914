"""The charts work with Helm 3.12, the oldest Helm they support (users have Helm 3; this machine's
main helm is 4): lint passes, the values schema still refuses wrong values, and every ci/
rendering is the same as Helm 4's. $HELM3 names the binary (.ci/run installs it into
.tools/helm3/)."""

import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

import pytest
from chart_support import HELM_DIR, ROOT, ci_case_id, ci_cases

pytestmark = pytest.mark.helm


@pytest.fixture(scope="module")
def helm3(unavailable: Callable[[str], NoReturn]) -> str:
    path = os.environ.get("HELM3") or str(ROOT / ".tools/helm3/helm")
    if not os.access(path, os.X_OK):
        unavailable(f"no Helm 3.12 at {path} (.ci/run installs it; or set HELM3)")
    version = subprocess.run(
        [path, "version", "--template", "{{.Version}}"], capture_output=True, text=True, check=True
    ).stdout
    assert version.startswith("v3.12."), version
    return path


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.parametrize("case", ci_cases(), ids=ci_case_id)
def test_helm_3_12_lints_and_renders_like_helm_4(
    helm3: str, helm: str, case: tuple[str, Path]
) -> None:
    chart, values = case
    linted = run(helm3, "lint", "--strict", str(HELM_DIR / chart), "-f", str(values))
    assert linted.returncode == 0, linted.stdout + linted.stderr

    arguments = ("template", chart, str(HELM_DIR / chart), "-f", str(values))
    old, new = run(helm3, *arguments), run(helm, *arguments)
    assert old.returncode == 0, old.stderr
    assert old.stdout == new.stdout


def test_helm_3_12_applies_the_values_schema(helm3: str) -> None:
    refused = run(
        helm3, "template", "backend", str(HELM_DIR / "backend"), "--set", "replicaCount=two"
    )
    assert refused.returncode != 0
    assert "replicaCount" in refused.stderr
    missing = run(
        helm3, "template", "backend", str(HELM_DIR / "backend"), "--set", "secrets.existingSecret="
    )
    assert "set secrets.existingSecret to a Secret" in missing.stderr
