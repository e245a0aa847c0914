""".env.example lists every variable, as the README says: each setting of both services, what
`make run` reads (scripts/run-local.sh) and what `make deploy` reads from .env (scripts/k8s.sh's
ENV_KEYS); and a value it shows is the setting's default."""

import re
from pathlib import Path

import pytest
from pydantic import TypeAdapter
from pydantic_settings import BaseSettings

from testkit import settings_by_variable
from todo_backend.settings import Settings as BackendSettings
from todo_frontend.settings import Settings as FrontendSettings

REPO_ROOT = Path(__file__).resolve().parents[2]
ENV_EXAMPLE = (REPO_ROOT / ".env.example").read_text()
# `NAME=value`, or `# NAME=value` for the variables only the environment can set.
LISTED = dict(re.findall(r"^(?:# )?([A-Z][A-Z0-9_]*)=(.*)$", ENV_EXAMPLE, re.MULTILINE))
SETTINGS: dict[str, type[BaseSettings]] = {
    "backend": BackendSettings,
    "frontend": FrontendSettings,
}


def script_variables() -> set[str]:
    run_local = (REPO_ROOT / "scripts/run-local.sh").read_text()
    # UV is the Makefile's, not the user's.
    read_by_make_run = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*):-", run_local)) - {"UV"}
    k8s = (REPO_ROOT / "scripts/k8s.sh").read_text()
    env_keys = re.search(r"^ENV_KEYS=\(([^)]*)\)", k8s, re.MULTILINE)
    assert env_keys, "scripts/k8s.sh has no ENV_KEYS=(...)"
    return read_by_make_run | set(env_keys.group(1).split())


@pytest.mark.parametrize("service", SETTINGS)
def test_every_setting_is_in_env_example(service: str) -> None:
    missing = settings_by_variable(SETTINGS[service]).keys() - LISTED.keys()
    assert not missing, f"add to .env.example, with a comment: {', '.join(sorted(missing))}"


def test_every_variable_the_scripts_read_is_in_env_example() -> None:
    missing = script_variables() - LISTED.keys()
    assert not missing, f"add to .env.example, with a comment: {', '.join(sorted(missing))}"


@pytest.mark.parametrize("service", SETTINGS)
def test_the_values_shown_are_the_defaults(service: str) -> None:
    """An empty value means the default, so only the values written out are compared."""
    wrong = {}
    for variable, field in settings_by_variable(SETTINGS[service]).items():
        shown = LISTED.get(variable, "")
        if shown and TypeAdapter(field.annotation).validate_python(shown) != field.default:
            wrong[variable] = f"{shown} (the default is {field.default})"
    assert not wrong, f".env.example shows values that are not the defaults: {wrong}"
