"""Every shell script of the project passes shellcheck (from PyPI, in its own environment cached
by uv): the scripts behind make, the cluster's, CI's entry point and the test stand-ins."""

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

import pytest

from testkit import SHELLCHECK

ROOT = Path(__file__).resolve().parent.parent


def shell_scripts() -> list[str]:
    """Tracked files that are shell scripts: a `.sh` name or a bash/sh shebang."""
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.split(b"\0")
    scripts = []
    for name in filter(None, (entry.decode() for entry in listed)):
        path = ROOT / name
        if not path.is_file():
            continue
        with path.open("rb") as file:
            first_line = file.readline(100)
        if name.endswith(".sh") or first_line.startswith((b"#!/usr/bin/env bash", b"#!/bin/sh")):
            scripts.append(name)
    return sorted(scripts)


def test_the_project_has_the_scripts_it_runs() -> None:
    assert {"scripts/k8s.sh", "scripts/run-local.sh", "cluster/up.sh", ".ci/run"} <= set(
        shell_scripts()
    )


@pytest.mark.parametrize("script", shell_scripts())
def test_the_script_is_shellcheck_clean(
    script: str, unavailable: Callable[[str], NoReturn]
) -> None:
    uv = shutil.which("uv") or str(ROOT / ".tools/bin/uv")
    if not Path(uv).exists():
        unavailable("uv is needed to run shellcheck in an isolated environment")
    result = subprocess.run(
        [uv, "tool", "run", "--from", SHELLCHECK, "shellcheck", "-x", "--severity=style", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env=os.environ.copy(),
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
