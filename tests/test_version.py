"""The project's version is stated once, in the root pyproject.toml; every other copy follows it:
the packages, the charts' appVersion, the images' default labels, compose and the changelog."""

import re
import tomllib
from pathlib import Path

import pytest
import yaml

from todo_common.build import VERSION

ROOT = Path(__file__).resolve().parents[1]


def stated_version() -> str:
    version: str = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    return version


def test_the_running_code_reports_the_stated_version() -> None:
    assert stated_version() == VERSION


@pytest.mark.parametrize("package", ["backend", "frontend", "common"])
def test_every_package_carries_it(package: str) -> None:
    project = tomllib.loads((ROOT / package / "pyproject.toml").read_text())["project"]
    assert project["version"] == stated_version()


@pytest.mark.parametrize("chart", ["backend", "frontend"])
def test_each_charts_app_version_follows_it(chart: str) -> None:
    metadata = yaml.safe_load((ROOT / "helm" / chart / "Chart.yaml").read_text())
    assert metadata["appVersion"] == stated_version()


@pytest.mark.parametrize("dockerfile", ["Dockerfile.backend", "Dockerfile.frontend"])
def test_an_image_built_by_hand_is_labelled_with_it(dockerfile: str) -> None:
    (default,) = re.findall(r"^ARG VERSION=(\S+)$", (ROOT / dockerfile).read_text(), re.M)
    assert default == stated_version()


def test_compose_runs_the_images_of_this_version() -> None:
    services = yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]
    for name in ("backend", "frontend"):
        assert services[name]["image"] == f"todo-{name}:{stated_version()}"


def test_the_changelog_starts_at_it() -> None:
    releases = re.findall(r"^## (\S+)", (ROOT / "CHANGELOG.md").read_text(), re.M)
    assert releases[0] == stated_version()
