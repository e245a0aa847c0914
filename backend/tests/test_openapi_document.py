"""The OpenAPI document is part of the API: it must not change by accident.

It is compared with the copy stored next to this test. An intended API change updates the
copy, in a commit of its own:
`UPDATE_OPENAPI=1 uv run pytest backend/tests/test_openapi_document.py` writes the current
document there (and the test then fails once, to say so)."""

import json
import os
from pathlib import Path
from typing import Any

import httpx

from backend_testkit import make_settings
from todo_backend.main import create_app

STORED = Path(__file__).with_name("openapi.json")


def current_document(tmp_path: Path) -> dict[str, Any]:
    app = create_app(make_settings(f"sqlite:///{tmp_path}/todo.db"))
    # Through the route, as clients read it: serialised and parsed again.
    document: dict[str, Any] = json.loads(json.dumps(app.openapi()))
    return document


def test_openapi_document_matches_the_stored_copy(tmp_path: Path) -> None:
    document = current_document(tmp_path)
    if os.environ.get("UPDATE_OPENAPI") == "1":
        STORED.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
        raise AssertionError(f"{STORED.name} rewritten: review and commit it on its own")
    stored = json.loads(STORED.read_text())
    assert document == stored, (
        "The OpenAPI document changed. If the API change is intended, update the stored copy "
        "(UPDATE_OPENAPI=1) in a commit of its own."
    )


async def test_the_served_document_is_the_stored_one(tmp_path: Path) -> None:
    """`/openapi.json` over HTTP, as clients and the schemathesis fuzzing read it."""
    app = create_app(make_settings(f"sqlite:///{tmp_path}/todo.db"))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        response = await http.get("/openapi.json")
    assert response.status_code == 200
    assert response.json() == json.loads(STORED.read_text())
