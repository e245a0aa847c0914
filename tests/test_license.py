"""The project's licence is stated once in LICENSE and agrees everywhere a package names it."""

import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
PYPROJECTS = [
    "pyproject.toml",
    "backend/pyproject.toml",
    "frontend/pyproject.toml",
    "common/pyproject.toml",
]
CHARTS = ["helm/backend/Chart.yaml", "helm/frontend/Chart.yaml"]


def test_license_file_is_mit_with_the_authors_copyright() -> None:
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License\n")
    assert "Copyright (c) 2026 The Todo Chatbot authors" in text
    assert 'THE SOFTWARE IS PROVIDED "AS IS"' in text


@pytest.mark.parametrize("path", PYPROJECTS)
def test_every_python_package_declares_mit(path: str) -> None:
    project = tomllib.loads((ROOT / path).read_text())["project"]
    assert project.get("license") == "MIT", f'{path}: [project] license must be "MIT"'


@pytest.mark.parametrize("path", CHARTS)
def test_every_chart_declares_mit(path: str) -> None:
    # Chart.yaml has no licence field; Artifact Hub's annotation is the convention.
    chart = yaml.safe_load((ROOT / path).read_text())
    license_annotation = chart.get("annotations", {}).get("artifacthub.io/license")
    assert license_annotation == "MIT", f"{path}: annotations.artifacthub.io/license must be MIT"
