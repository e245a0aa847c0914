"""schemathesis fuzzes the running backend on PostgreSQL from its own OpenAPI document, signed
in, with every `/api/{user_id}/...` path set to the signed-in user: no input may give a 500.

The configuration is backend/tests/schemathesis.toml (deterministic generation, only the
not_a_server_error check). The number of generated cases is printed and kept in the JSON report
under test-artifacts/."""

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from backend_testkit import TEST_SECRET
from testkit import BIN, Service, run_service

pytestmark = pytest.mark.postgres

CONFIG = Path(__file__).with_name("schemathesis.toml")
REPORT_DIR = Path(__file__).parents[2] / "test-artifacts"
MAX_EXAMPLES = 50  # per operation and phase: about 1,500 cases, some 30 s on two cores


@pytest.fixture
def backend(fresh_postgres_url: str, tmp_path: Path) -> Iterator[Service]:
    env = {
        "DATABASE_URL": fresh_postgres_url,
        "BETTER_AUTH_SECRET": TEST_SECRET,
        "AGENT_PROVIDER": "builtin",
        "LOG_LEVEL": "warning",
    }
    with run_service("todo-backend", env, tmp_path / "backend.log") as service:
        yield service


def sign_up(backend: Service) -> dict[str, str]:
    response = httpx.post(
        f"{backend.url}/api/auth/sign-up",
        json={"email": "fuzz@example.com", "password": "fuzz-password", "name": "Fuzz"},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    return {"FUZZ_TOKEN": body["token"], "FUZZ_USER_ID": body["user"]["id"]}


def test_no_generated_request_gives_a_server_error(backend: Service) -> None:
    REPORT_DIR.mkdir(exist_ok=True)
    report = REPORT_DIR / "schemathesis.json"
    command = [
        str(BIN / "st"),
        "--config-file",
        str(CONFIG),
        "run",
        f"{backend.url}/openapi.json",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--workers",
        "1",
        "--no-color",
        "--report",
        "json",
        "--report-json-path",
        str(report),
    ]
    run = subprocess.run(
        command,
        env={**os.environ, **sign_up(backend)},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    summary = json.loads(report.read_text())
    cases = summary["test_cases"]
    print(f"schemathesis: {cases['generated']} cases, {cases['with_failures']} with failures")
    assert summary["operations"]["tested"] == summary["operations"]["total"] >= 16
    assert cases["generated"] > 1000 and cases["with_failures"] == 0
    assert '"level": "error"' not in backend.output()  # nothing failed unseen, e.g. in a stream
