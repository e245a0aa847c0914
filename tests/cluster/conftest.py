"""Fixtures of the real-cluster tests: the cluster (started by cluster/up.sh, or the running one
reused) and both charts deployed into it from nothing by `make deploy`, on the Minikube path a
user takes by default (the `minikube` command is a stand-in; everything else is real)."""

import secrets
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest

from testkit import wait_until
from tests.support.cluster import (
    Cluster,
    copy_checkout,
    daemons_rss_mb,
    missing_cluster_tools,
    pod_ready,
)

NAMESPACE = "todo-e2e"


@pytest.fixture(scope="session")
def cluster(
    unavailable: Callable[[str], NoReturn], record_figure: Callable[[str, str, Any], None]
) -> Cluster:
    """The single-node cluster of cluster/; `unavailable` where this machine cannot run it."""
    missing = missing_cluster_tools()
    if missing:
        unavailable(f"the cluster needs {', '.join(missing)} (see README, 'A real cluster')")
    running = Cluster.start(NAMESPACE)
    record_figure("cluster", "idle RSS of its daemons (MB)", daemons_rss_mb())
    return running


@pytest.fixture(scope="module")
def deployed(cluster: Cluster, record_figure: Callable[[str, str, Any], None]) -> Iterator[Cluster]:
    """Both releases installed by `make deploy` (DEPLOY_TARGET=minikube, the default) into an
    empty namespace, every pod Ready."""
    cluster = cluster.on("minikube")
    cluster.make("undeploy", log="undeploy-before", PURGE="1")
    started = time.monotonic()
    output = cluster.make("deploy", log="deploy")
    assert f"app:      {cluster.frontend_url}" in output
    assert "loaded todo-backend:" in output and "into Minikube" in output
    for release in ("backend", "frontend"):
        wait_until(
            lambda release=release: all(pod_ready(p) for p in cluster.pods(release)),
            seconds=120,
            what=f"every {release} pod Ready",
            interval=1,
        )
    seconds = round(time.monotonic() - started)
    record_figure("cluster", "make deploy to every pod Ready (s)", seconds)
    yield cluster


@pytest.fixture(scope="session")
def changed_checkout(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A copy of the checkout with a code change in both services, as a developer makes one.
    One for the session: each path deploys the same change, so its images are built once."""
    checkout = copy_checkout(tmp_path_factory.mktemp("changed-checkout"))
    marker = f"\n# rolling-upgrade test {secrets.token_hex(4)}\n"
    for package in ("backend/src/todo_backend", "frontend/src/todo_frontend"):
        with (checkout / package / "__init__.py").open("a") as init:
            init.write(marker)
    yield checkout
