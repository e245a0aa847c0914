"""kubectl-ai (GoogleCloudPlatform/kubectl-ai), built from the source snapshot in the shared
vendor folder by the shared tool `kubectl-ai-offline`, cached beside the cluster's binaries (the
CACHE_DIR of cluster/lib.sh) by version, and run the way a user runs it: one query, `--quiet`,
against an OpenAI-compatible model server."""

import os
import re
import subprocess
from pathlib import Path

from tests.support.cluster import LOG_DIR, REPO_ROOT, run_logged

KUBECTL_AI_VERSION = "v0.0.28-d4435ab"
TERMINAL_COLOURS = re.compile(r"\x1b\[[0-9;]*m")


def shared_dir() -> Path:
    """The shared tools and vendor snapshots (.ci/run's SHARED_DIR, else ../shared)."""
    return Path(os.environ.get("SHARED_DIR", REPO_ROOT.parent / "shared"))


def build_tool() -> Path:
    return shared_dir() / "tools" / "kubectl-ai-offline"


def cluster_cache_dir() -> Path:
    """cluster/lib.sh's CACHE_DIR, asked from the script itself so the two never disagree."""
    output = subprocess.run(
        ["bash", "-c", 'source cluster/lib.sh && printf %s "$CACHE_DIR"'],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return Path(output)


def built_kubectl_ai() -> Path:
    """The binary, built on first use (about 5 minutes on 2 cores) and reused after that."""
    directory = cluster_cache_dir() / f"kubectl-ai-{KUBECTL_AI_VERSION}"
    run_logged(
        ["bash", str(build_tool()), str(directory)],
        LOG_DIR / "build-kubectl-ai.log",
        env=dict(os.environ),
        timeout=1800,
    )
    return directory / "kubectl-ai"


def ask(binary: Path, query: str, *, kubeconfig: Path, model_url: str, home: Path) -> str:
    """`kubectl-ai --quiet QUERY` with the kubeconfig and the model; what it printed (the
    commands it ran and the model's answer, rendered from Markdown) as plain lines."""
    command = [
        str(binary),
        "--kubeconfig",
        str(kubeconfig),
        "--llm-provider",
        "openai",
        "--model",
        "stand-in",
        "--quiet",
        "--skip-permissions",
        query,
    ]
    # HOME and TMPDIR of its own: kubectl-ai keeps its configuration and sessions in HOME and
    # its log in TMPDIR, kubectl its cache in HOME. A wide terminal keeps each table row of
    # kubectl's output on one line. One processor: in --quiet mode kubectl-ai's terminal UI
    # checks whether the agent has exited right after printing its last answer, racing the
    # agent loop that marks itself exited; when the UI wins, it waits forever (seen here under
    # load). On one processor the agent loop finishes before the UI goroutine runs.
    env = {**os.environ, "HOME": str(home), "TMPDIR": str(home), "GOMAXPROCS": "1"}
    env |= {"KUBECTL_AI_TERM_WIDTH": "400"}
    env |= {"OPENAI_API_KEY": "stand-in", "OPENAI_ENDPOINT": model_url}
    result = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=180, check=False
    )
    assert result.returncode == 0, f"kubectl-ai {query!r}: {result.stdout}{result.stderr}"
    lines = TERMINAL_COLOURS.sub("", result.stdout).splitlines()
    return "\n".join(line.strip() for line in lines)
