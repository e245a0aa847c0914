"""Fixtures of the chart tests: the real helm binary and the charts rendered with it."""

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

import pytest

# The test modules import chart_support from this directory (importlib mode adds none to sys.path).
sys.path.insert(0, str(Path(__file__).parent))

from chart_support import HELM_DIR, HelmTemplate, Manifest, Render, parse_manifests


@pytest.fixture(scope="session")
def helm(unavailable: Callable[[str], NoReturn]) -> str:
    path = shutil.which("helm")
    if path is None:
        unavailable("helm is not on PATH (.ci/run installs it into .tools/bin)")
    return path


@pytest.fixture(scope="session")
def helm_template(helm: str) -> HelmTemplate:
    """`helm template <release> helm/<chart> <args>`; the result is returned, not checked."""

    def run(
        chart: str, *args: str, release: str | None = None, namespace: str = "default"
    ) -> subprocess.CompletedProcess[str]:
        command = [helm, "template", release or chart, str(HELM_DIR / chart), "-n", namespace]
        return subprocess.run(
            [*command, *args], capture_output=True, text=True, timeout=60, check=False
        )

    return run


@pytest.fixture(scope="session")
def render(helm_template: HelmTemplate) -> Render:
    """The chart's objects as `helm template` renders them; a failed render fails the test."""

    def run(chart: str, *args: str, **kwargs: str) -> list[Manifest]:
        result = helm_template(chart, *args, **kwargs)
        assert result.returncode == 0, result.stderr
        return parse_manifests(result.stdout)

    return run
