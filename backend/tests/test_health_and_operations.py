"""Probes, API docs, request ids, structured logs, metrics and error handling."""

import io
import json
import logging
import sys
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.engine import make_url

from backend_testkit import SignUp, TcpProxy, make_settings
from todo_backend.main import create_app
from todo_common.build import VERSION


async def test_liveness_and_readiness_answer_ok(client: httpx.AsyncClient) -> None:
    live = await client.get("/api/health/live")
    ready = await client.get("/api/health")
    assert live.status_code == 200 and live.json() == {"status": "ok", "database": None}
    assert ready.status_code == 200
    assert ready.json() == {"status": "ok", "database": "ok", "version": VERSION, "build": "dev"}


async def test_readiness_names_the_build_the_deployment_set(tmp_path: Path) -> None:
    """The chart sets IMAGE_BUILD to the image's tag: a rollback shows the previous one."""
    settings = make_settings(f"sqlite:///{tmp_path}/todo.db", image_build="1.0.0-0123456789ab")
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            body = (await client.get("/api/health")).json()
    assert (body["version"], body["build"]) == (VERSION, "1.0.0-0123456789ab")


@pytest.mark.postgres
async def test_readiness_follows_the_database_without_a_restart(
    fresh_postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    real = make_url(fresh_postgres_url)
    proxy = TcpProxy(real.host or "127.0.0.1", real.port or 5432)
    await proxy.start()
    app = create_app(make_settings(fresh_postgres_url.replace(f":{real.port}/", f":{proxy.port}/")))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client,
    ):
        assert (await client.get("/api/health")).status_code == 200

        await proxy.cut()
        down = await client.get("/api/health")
        assert down.status_code == 503
        assert down.json() == {
            "status": "unavailable",
            "database": "unavailable",
            "version": VERSION,
            "build": "dev",
        }
        live = await client.get("/api/health/live")
        assert live.status_code == 200, "liveness must not depend on the database"

        await proxy.start()  # the database is back, on the same address
        up = await client.get("/api/health")
        assert up.status_code == 200
        assert up.json()["database"] == "ok"
    await proxy.cut()


async def test_docs_describe_every_route(client: httpx.AsyncClient) -> None:
    assert (await client.get("/docs")).status_code == 200
    schema = (await client.get("/openapi.json")).json()
    paths = schema["paths"]
    for path in (
        "/api/auth/sign-up",
        "/api/auth/sign-in",
        "/api/auth/me",
        "/api/{user_id}/tasks",
        "/api/{user_id}/tasks/{task_id}",
        "/api/{user_id}/tasks/{task_id}/complete",
        "/api/health",
        "/api/health/live",
    ):
        assert path in paths, path
    create = paths["/api/{user_id}/tasks"]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "TaskCreate"
    )
    assert {"201", "401", "403", "422"} <= set(create["responses"])
    assert "404" in paths["/api/{user_id}/tasks/{task_id}"]["delete"]["responses"]


async def test_every_response_has_a_request_id(client: httpx.AsyncClient) -> None:
    generated = await client.get("/api/health/live")
    assert len(generated.headers["x-request-id"]) == 32
    echoed = await client.get("/api/health/live", headers={"X-Request-ID": "trace-abc.123"})
    assert echoed.headers["x-request-id"] == "trace-abc.123"
    refused = await client.get("/api/health/live", headers={"X-Request-ID": "bad id\nwith newline"})
    assert refused.headers["x-request-id"] != "bad id\nwith newline"
    not_found = await client.get("/no/such/route")
    assert not_found.status_code == 404
    assert "x-request-id" in not_found.headers


async def test_one_structured_log_line_per_request_without_secrets(
    client: httpx.AsyncClient, sign_up: SignUp, capsys: pytest.CaptureFixture[str]
) -> None:
    account = await sign_up(password="hunter2-very-secret")
    await client.get("/api/auth/me", headers=account.headers, params={"probe": "1"})
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]
    requests = [line for line in lines if line["message"] == "request"]
    me = [line for line in requests if line["path"] == "/api/auth/me"]
    assert len(me) == 1
    entry = me[0]
    assert entry["method"] == "GET" and entry["status"] == 200
    assert entry["route"] == "/api/auth/me"
    assert entry["duration_ms"] >= 0 and len(entry["request_id"]) == 32
    everything = json.dumps(lines)
    assert "hunter2-very-secret" not in everything
    assert account.token not in everything


async def test_a_request_is_answered_when_its_log_line_cannot_be_written(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    gone = io.StringIO()  # stdout as a closed pipe leaves it: every write fails
    gone.close()
    monkeypatch.setattr(sys, "stdout", gone)
    response = await client.get("/api/health/live")
    assert response.status_code == 200 and response.json()["status"] == "ok"


async def test_metrics_count_requests_by_route_template(
    client: httpx.AsyncClient, sign_up: SignUp
) -> None:
    account = await sign_up()
    for _ in range(3):
        await client.get(f"/api/{account.id}/tasks", headers=account.headers)
    text = (await client.get("/metrics")).text
    assert 'http_requests_total{method="GET",route="/api/{user_id}/tasks",status="200"} 3.0' in text
    assert account.id not in text
    assert "http_request_duration_seconds_bucket" in text


async def test_oversized_bodies_get_413(client: httpx.AsyncClient, sign_up: SignUp) -> None:
    account = await sign_up()
    huge = {"title": "x", "description": "y" * 100_000}
    response = await client.post(f"/api/{account.id}/tasks", json=huge, headers=account.headers)
    assert response.status_code == 413
    assert response.json()["detail"] == "Request body is too large"

    async def chunked() -> object:
        for _ in range(100):
            yield b"x" * 1024

    streamed = await client.post(
        f"/api/{account.id}/tasks",
        content=chunked(),  # type: ignore[arg-type]
        headers={**account.headers, "content-type": "application/json"},
    )
    assert streamed.status_code == 413


async def test_unexpected_errors_are_json_500_without_internals(
    app: FastAPI, caplog: pytest.LogCaptureFixture
) -> None:
    async def explode() -> None:
        raise RuntimeError("database password is hunter2")

    app.add_api_route("/api/test-explode", explode)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        with caplog.at_level(logging.ERROR):
            response = await client.get("/api/test-explode")
    assert response.status_code == 500
    body = response.json()
    assert body["detail"] == "Something went wrong on our side; please try again"
    assert "hunter2" not in response.text and "Traceback" not in response.text
    assert body["request_id"] == response.headers["x-request-id"]
    assert any("hunter2" in (r.exc_text or "") or r.exc_info for r in caplog.records)


async def test_docs_can_be_turned_off(database_url: str) -> None:
    app = create_app(make_settings(database_url, docs_enabled=False))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client,
    ):
        for path in ("/docs", "/redoc", "/openapi.json"):
            assert (await client.get(path)).status_code == 404
        assert (await client.get("/api/health/live")).status_code == 200
