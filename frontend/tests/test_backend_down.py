"""With the backend down or misbehaving, the frontend stays up, says so plainly, shows no trace."""

from html import unescape
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient

DOWN = "We can't reach the task service right now"


def test_health_answers_without_the_backend(frontend_for, unreachable_url) -> None:
    with frontend_for(unreachable_url) as browser:
        response = browser.get("/api/health")
        assert response.status_code == 200
        assert response.json()["status"] == "ok"
        assert browser.get("/api/health/live").status_code == 200


def test_the_sign_in_page_warns_up_front_and_sign_in_fails_plainly(
    frontend_for, unreachable_url, csrf_token_in
) -> None:
    with frontend_for(unreachable_url) as browser:
        page = browser.get("/sign-in")
        assert page.status_code == 200
        assert DOWN in unescape(page.text)
        response = browser.post(
            "/sign-in",
            data={
                "csrf_token": csrf_token_in(page.text),
                "email": "ann@example.com",
                "password": "12345678",
            },
        )
        assert response.status_code == 503
        assert DOWN in unescape(response.text)
        assert "Traceback" not in response.text


USER = {"id": "u1", "email": "a@example.com", "name": "Ann", "timezone": "UTC"}


def _backend(tasks_answer: JSONResponse) -> FastAPI:
    backend = FastAPI()

    @backend.post("/api/auth/sign-in")
    async def sign_in() -> dict[str, Any]:
        return {"token": "t", "user": USER}

    @backend.get("/api/auth/me")
    async def me() -> dict[str, str]:
        return USER

    @backend.get("/api/u1/tasks")
    async def tasks() -> JSONResponse:
        return tasks_answer

    return backend


def _sign_in(browser: TestClient, csrf_token_in: Any) -> None:
    page = browser.get("/sign-in")
    response = browser.post(
        "/sign-in",
        data={"csrf_token": csrf_token_in(page.text), "email": "a@example.com", "password": "x"},
    )
    assert response.status_code == 303


def test_the_dashboard_says_so_when_the_backend_goes_away(
    frontend_app, serve_app, csrf_token_in
) -> None:
    backend = _backend(JSONResponse([]))
    with serve_app(backend) as backend_url:
        app = frontend_app(backend_url)
        with TestClient(app, follow_redirects=False) as browser:
            _sign_in(browser, csrf_token_in)
            assert browser.get("/dashboard").status_code == 200
    # The backend has stopped; the same signed-in browser comes back.
    with TestClient(app, follow_redirects=False, cookies=browser.cookies) as browser:
        page = browser.get("/dashboard")
        assert page.status_code == 503
        assert DOWN in unescape(page.text)
        assert "Ann" in page.text  # the page itself still works: header, add form, chat
        assert 'id="add-task"' in page.text
        fragment = browser.get("/dashboard/tasks")
        assert fragment.status_code == 503
        assert DOWN in unescape(fragment.text)
        api = browser.get("/api/u1/tasks")
        assert api.status_code == 503
        assert api.json() == {
            "detail": "The task service is unavailable right now. Please try again in a moment."
        }


def test_a_backend_error_shows_the_outage_message(frontend_for, serve_app, csrf_token_in) -> None:
    failing = _backend(JSONResponse({"detail": "database down"}, status_code=503))
    with serve_app(failing) as backend_url, frontend_for(backend_url) as browser:
        _sign_in(browser, csrf_token_in)
        page = browser.get("/dashboard")
        assert page.status_code == 503
        assert DOWN in unescape(page.text)


def test_an_unexpected_answer_shows_an_apology_not_a_trace(
    frontend_for, serve_app, csrf_token_in
) -> None:
    odd = _backend(JSONResponse({"detail": "no such route"}, status_code=404))
    with serve_app(odd) as backend_url, frontend_for(backend_url) as browser:
        _sign_in(browser, csrf_token_in)
        page = browser.get("/dashboard")
        assert page.status_code == 500
        assert "Something went wrong" in page.text
        assert "Traceback" not in page.text
        assert "BackendRejectedError" not in page.text
        assert "content-security-policy" in page.headers
