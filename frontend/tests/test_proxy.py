"""The /api proxy: the session's token attached, CSRF on writes, streaming passed through.

The first tests run against the real backend; the mechanics that need a backend misbehaving on
cue (a stream paused mid-way, a throttled or expired answer) use a tiny fake backend."""

import threading
from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio
import httpx
import pytest
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from fastapi.testclient import TestClient


@pytest.mark.postgres
def test_proxied_writes_need_the_csrf_header(frontend_for, real_backend, sign_up) -> None:
    with frontend_for(real_backend.url) as browser:
        sign_up(browser, "Ivy")
        user_id = browser.get("/api/auth/me").json()["id"]
        token = browser.get("/dashboard").text.split('name="csrf-token" content="')[1].split('"')[0]

        refused = browser.post(f"/api/{user_id}/tasks", json={"title": "Sneaky"})
        assert refused.status_code == 403
        assert "CSRF" in refused.json()["detail"]

        created = browser.post(
            f"/api/{user_id}/tasks", json={"title": "Buy milk"}, headers={"X-CSRF-Token": token}
        )
        assert created.status_code == 201
        assert created.json()["title"] == "Buy milk"

        listed = browser.get(f"/api/{user_id}/tasks?status=pending")
        assert listed.status_code == 200
        assert [task["title"] for task in listed.json()] == ["Buy milk"]
        assert browser.get(f"/api/{user_id}/tasks?status=completed").json() == []

        task_id = created.json()["id"]
        deleted = browser.delete(f"/api/{user_id}/tasks/{task_id}", headers={"X-CSRF-Token": token})
        assert deleted.status_code == 204
        assert browser.get(f"/api/{user_id}/tasks").json() == []


@pytest.mark.postgres
def test_one_user_cannot_reach_anothers_tasks_through_the_proxy(
    frontend_for, real_backend, sign_up
) -> None:
    with frontend_for(real_backend.url) as ann:
        sign_up(ann, "Ann")
        ann_id = ann.get("/api/auth/me").json()["id"]
    with frontend_for(real_backend.url) as bob:
        sign_up(bob, "Bob")
        assert bob.get(f"/api/{ann_id}/tasks").status_code == 403


@pytest.mark.postgres
def test_token_issuing_endpoints_are_not_proxied(frontend_for, real_backend, new_email) -> None:
    with frontend_for(real_backend.url) as browser:
        response = browser.post(
            "/api/auth/sign-up",
            json={"email": new_email("Max"), "password": "12345678", "name": "Max"},
        )
        assert response.status_code == 404
        assert "token" not in response.text


@pytest.mark.postgres
def test_the_api_needs_a_session(frontend_for, real_backend) -> None:
    with frontend_for(real_backend.url) as browser:
        response = browser.get("/api/auth/me")
        assert response.status_code == 401
        assert response.json() == {"detail": "You are not signed in."}


# ---- a fake backend for the mechanics ----

USER = {"id": "u1", "email": "ann@example.com", "name": "Ann"}


class FakeBackend:
    """Answers sign-in, records what reaches it, and behaves as each test arranges."""

    def __init__(self) -> None:
        self.seen: list[Request] = []
        self.bodies: list[bytes] = []
        self.app = FastAPI()
        self.app.post("/api/auth/sign-in")(self.sign_in)
        self.app.get("/api/health")(self.health)

    @staticmethod
    async def sign_in() -> dict[str, Any]:
        return {"token": "fake-token", "user": USER}

    @staticmethod
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    def route(self, method: str, path: str) -> Callable[[Any], Any]:
        def register(handler: Callable[..., Any]) -> Any:
            async def recorded(request: Request) -> Response:
                self.seen.append(request)
                self.bodies.append(await request.body())
                result: Response = await handler(request)
                return result

            self.app.add_api_route(path, recorded, methods=[method])
            return handler

        return register


def csrf_token_of(page: str) -> str:
    return page.split('name="csrf-token" content="')[1].split('"')[0]


def sign_in(browser: TestClient | httpx.Client) -> str:
    """Sign in through the form; returns the session's CSRF token, as any page then carries it
    (the 404 page, which needs nothing from this fake backend)."""
    token = csrf_token_of(browser.get("/sign-in").text)
    response = browser.post(
        "/sign-in", data={"csrf_token": token, "email": USER["email"], "password": "12345678"}
    )
    assert response.status_code == 303
    return csrf_token_of(browser.get("/no-such-page").text)


def test_streamed_events_reach_the_browser_as_they_are_produced(frontend_app, serve_app) -> None:
    backend = FakeBackend()
    first_event_seen = threading.Event()

    @backend.route("POST", "/api/u1/chat/stream")
    async def stream(request: Request) -> Response:
        async def events() -> AsyncIterator[bytes]:
            yield b'event: conversation\ndata: {"conversation_id": 7}\n\n'
            # The rest waits until the browser side has seen the first event, which it can
            # only do if the proxy relays chunks instead of buffering the whole answer.
            await anyio.to_thread.run_sync(first_event_seen.wait, 10)
            yield b'event: delta\ndata: {"text": "Hel"}\n\n'
            yield b'event: done\ndata: {"conversation_id": 7, "response": "Hello"}\n\n'

        return StreamingResponse(events(), media_type="text/event-stream")

    with (
        serve_app(backend.app) as backend_url,
        serve_app(frontend_app(backend_url)) as frontend_url,
        httpx.Client(base_url=frontend_url, follow_redirects=False) as browser,
    ):
        token = sign_in(browser)
        with browser.stream(
            "POST",
            "/api/u1/chat/stream",
            json={"message": "hi"},
            headers={"X-CSRF-Token": token, "Accept": "text/event-stream"},
            timeout=15,
        ) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            lines = response.iter_lines()
            assert next(lines) == "event: conversation"
            assert next(lines) == 'data: {"conversation_id": 7}'
            first_event_seen.set()
            rest = list(lines)
        assert 'data: {"conversation_id": 7, "response": "Hello"}' in rest
        assert backend.seen[0].headers["authorization"] == "Bearer fake-token"


def test_requests_are_forwarded_with_token_query_and_request_id(frontend_for, serve_app) -> None:
    backend = FakeBackend()

    @backend.route("PUT", "/api/u1/tasks/3")
    async def update(request: Request) -> Response:
        return JSONResponse({"detail": "Slow down"}, status_code=429, headers={"Retry-After": "9"})

    with serve_app(backend.app) as backend_url, frontend_for(backend_url) as browser:
        token = sign_in(browser)
        response = browser.put(
            "/api/u1/tasks/3?status=pending",
            json={"title": "Call mom"},
            headers={"X-CSRF-Token": token, "X-Request-ID": "trace-123"},
        )
    assert response.status_code == 429
    assert response.headers["retry-after"] == "9"
    assert response.json() == {"detail": "Slow down"}
    assert response.headers["x-request-id"] == "trace-123"
    forwarded = backend.seen[0]
    assert forwarded.headers["authorization"] == "Bearer fake-token"
    assert forwarded.headers["x-request-id"] == "trace-123"
    assert forwarded.query_params["status"] == "pending"
    assert backend.bodies[0] == b'{"title":"Call mom"}'
    # The browser's cookies are the frontend's business, not the backend's.
    assert "cookie" not in forwarded.headers


def test_the_idempotency_key_and_the_replay_mark_pass_through(frontend_for, serve_app) -> None:
    backend = FakeBackend()

    @backend.route("POST", "/api/u1/tasks")
    async def create(request: Request) -> Response:
        return JSONResponse({"id": 1}, status_code=201, headers={"Idempotent-Replayed": "true"})

    with serve_app(backend.app) as backend_url, frontend_for(backend_url) as browser:
        token = sign_in(browser)
        response = browser.post(
            "/api/u1/tasks",
            json={"title": "Once"},
            headers={"X-CSRF-Token": token, "Idempotency-Key": "retry-7"},
        )
    assert response.status_code == 201
    assert response.headers["idempotent-replayed"] == "true"
    assert backend.seen[0].headers["idempotency-key"] == "retry-7"


def test_an_expired_token_ends_the_session(frontend_for, serve_app) -> None:
    backend = FakeBackend()

    @backend.route("GET", "/api/u1/tasks")
    async def tasks(request: Request) -> Response:
        return JSONResponse({"detail": "Token expired"}, status_code=401)

    with serve_app(backend.app) as backend_url, frontend_for(backend_url) as browser:
        sign_in(browser)
        response = browser.get("/api/u1/tasks")
        assert response.status_code == 401
        assert "todo_session" not in browser.cookies
        # The page itself sends the person back to sign in, saying why.
        sign_in(browser)
        page = browser.get("/dashboard")
        assert page.status_code == 303
        assert page.headers["location"] == "/sign-in?reason=expired"
        assert "Your session has ended" in browser.get(page.headers["location"]).text


def test_an_oversized_body_is_refused_before_the_backend(frontend_for, serve_app) -> None:
    backend = FakeBackend()
    with serve_app(backend.app) as backend_url, frontend_for(backend_url) as browser:
        token = sign_in(browser)
        response = browser.post(
            "/api/u1/chat",
            content=b'{"message": "' + b"x" * 70_000 + b'"}',
            headers={"X-CSRF-Token": token, "Content-Type": "application/json"},
        )
    assert response.status_code == 413
    assert backend.seen == []


@pytest.mark.parametrize("path", ["/api/x%3Fy=1", "/api/x%23", "/api/x%00", "/api/x%7F"])
def test_a_path_the_backend_cannot_be_asked_for_is_a_plain_400(
    frontend_for, serve_app, path: str
) -> None:
    backend = FakeBackend()
    with serve_app(backend.app) as backend_url, frontend_for(backend_url) as browser:
        sign_in(browser)
        response = browser.get(path)
    assert response.status_code == 400
    assert response.json() == {
        "detail": "The path may not contain '?', '#' or control characters, even percent-encoded."
    }
    assert backend.seen == []
