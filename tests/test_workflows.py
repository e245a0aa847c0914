"""The GitHub Actions workflows pass actionlint, with shellcheck on every `run:` script.

GitHub's runners are not reachable from here, so linting is what the workflows get locally.
actionlint is built from the Go module pinned in tools/actionlint/ into the cache the cluster's
binaries use (cluster/lib.sh), keyed the same way: its version and a digest of go.mod and go.sum.
A second run builds nothing."""

import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

import pytest

from testkit import SHELLCHECK

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = sorted((ROOT / ".github/workflows").glob("*.yml"))
MODULE_DIR = ROOT / "tools/actionlint"
MODULE = "github.com/rhysd/actionlint"


def cache_dir() -> Path:
    """cluster/lib.sh's CACHE_DIR."""
    if os.environ.get("TODO_CLUSTER_CACHE"):
        return Path(os.environ["TODO_CLUSTER_CACHE"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "todo-cluster"


def pinned_version() -> str:
    for line in (MODULE_DIR / "go.mod").read_text().splitlines():
        fields = line.split()
        if fields[:1] == [MODULE]:
            return fields[1]
    raise AssertionError(f"tools/actionlint/go.mod requires no {MODULE}")


def component_dir() -> Path:
    """Where this version is cached, as cluster/lib.sh's component_dir names it."""
    module_files = (MODULE_DIR / "go.mod").read_bytes() + (MODULE_DIR / "go.sum").read_bytes()
    digest = hashlib.sha256(module_files).hexdigest()[:12]
    return cache_dir() / f"actionlint-{pinned_version()}-{digest}"


@pytest.fixture(scope="module")
def actionlint(unavailable: Callable[[str], NoReturn]) -> Path:
    built = component_dir()
    if not (built / ".built").exists():
        go = shutil.which("go")
        if go is None:
            unavailable("building actionlint needs Go (https://go.dev/dl/); none is cached yet")
        built.parent.mkdir(parents=True, exist_ok=True)
        # Built aside and renamed into place, so a concurrent or interrupted run never sees half.
        partial = Path(tempfile.mkdtemp(dir=built.parent, prefix=f"{built.name}.partial-"))
        subprocess.run(
            [go, "build", "-C", str(MODULE_DIR), "-trimpath", "-ldflags", "-s -w",
             "-o", str(partial / "actionlint"), f"{MODULE}/cmd/actionlint"],
            env={**os.environ, "CGO_ENABLED": "0"},
            check=True,
            timeout=600,
        )  # fmt: skip
        partial.chmod(0o755)  # mkdtemp's 0700, opened up like the cluster binaries' directories
        (partial / ".built").touch()
        try:
            partial.rename(built)
        except OSError:  # another run finished first: use its copy
            shutil.rmtree(partial)
    return built / "actionlint"


def run_actionlint(actionlint: Path, *workflows: Path) -> subprocess.CompletedProcess[str]:
    """actionlint with shellcheck on PATH; without uv, without shellcheck."""
    uv = shutil.which("uv") or str(ROOT / ".tools/bin/uv")
    command = [str(actionlint), "-no-color", *map(str, workflows)]
    if Path(uv).exists():
        command = [uv, "run", "--no-project", "--quiet", "--with", SHELLCHECK, "--", *command]
    return subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)


def test_there_is_a_ci_workflow() -> None:
    assert ROOT / ".github/workflows/ci.yml" in WORKFLOWS


def test_the_workflows_pass_actionlint(actionlint: Path) -> None:
    result = run_actionlint(actionlint, *WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_fails_on_a_broken_workflow(actionlint: Path, tmp_path: Path) -> None:
    broken = tmp_path / ".github/workflows/ci.yml"
    broken.parent.mkdir(parents=True)
    text = (ROOT / ".github/workflows/ci.yml").read_text()
    broken.write_text(text.replace("runs-on:", "runs_on:", 1))

    result = run_actionlint(actionlint, broken)

    assert result.returncode == 1, result.stdout + result.stderr
    assert '"runs-on" section is missing in job' in result.stdout
