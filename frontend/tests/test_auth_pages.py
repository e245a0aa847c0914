"""Sign-up, sign-in and sign-out pages against the real backend process on PostgreSQL."""

from collections.abc import Callable
from html import unescape

import pytest

pytestmark = pytest.mark.postgres


def test_sign_up_sets_an_httponly_session_and_opens_the_dashboard(
    frontend_for, real_backend, csrf_token_in: Callable[[str], str], new_email
) -> None:
    with frontend_for(real_backend.url) as browser:
        page = browser.get("/sign-up")
        assert page.status_code == 200
        assert "Create an account" in page.text
        email = new_email("Ann")
        response = browser.post(
            "/sign-up",
            data={
                "csrf_token": csrf_token_in(page.text),
                "name": "Ann Lee",
                "email": email,
                "password": "correct horse",
            },
        )
        assert response.status_code == 303
        assert response.headers["location"] == "/dashboard"
        session_cookie = next(
            header
            for header in response.headers.get_list("set-cookie")
            if header.startswith("todo_session=")
        )
        assert "HttpOnly" in session_cookie
        assert "SameSite=lax" in session_cookie

        dashboard = browser.get("/dashboard")
        assert dashboard.status_code == 200
        assert "Ann Lee" in dashboard.text
        assert "No tasks yet" in dashboard.text
        # The backend's token (a JWT, "eyJ...") never appears where JavaScript could read it.
        assert "eyJ" not in dashboard.text
        assert browser.get("/api/auth/me").json()["email"] == email


def test_sign_in_with_a_wrong_password_says_so_and_keeps_the_email(
    frontend_for, real_backend, csrf_token_in, sign_up
) -> None:
    with frontend_for(real_backend.url) as browser:
        email = sign_up(browser, "Ben", password="correct horse")
        browser.cookies.delete("todo_session")
        page = browser.get("/sign-in")
        response = browser.post(
            "/sign-in",
            data={"csrf_token": csrf_token_in(page.text), "email": email, "password": "wrong!!!"},
        )
        assert response.status_code == 401
        assert "don't match an account" in unescape(response.text)
        assert f'value="{email}"' in response.text
        assert browser.get("/dashboard").status_code == 303

        response = browser.post(
            "/sign-in",
            data={
                "csrf_token": csrf_token_in(page.text),
                "email": email,
                "password": "correct horse",
            },
        )
        assert response.status_code == 303
        assert "Ben" in browser.get("/dashboard").text


def test_signing_up_twice_with_one_email_is_refused_plainly(
    frontend_for, real_backend, csrf_token_in, sign_up
) -> None:
    with frontend_for(real_backend.url) as browser:
        email = sign_up(browser, "Cat")
        browser.cookies.delete("todo_session")
        page = browser.get("/sign-up")
        response = browser.post(
            "/sign-up",
            data={
                "csrf_token": csrf_token_in(page.text),
                "name": "Cat",
                "email": email,
                "password": "another one",
            },
        )
        assert response.status_code == 409
        assert "already exists" in response.text


def test_a_short_password_shows_the_backends_reason(
    frontend_for, real_backend, csrf_token_in, new_email
) -> None:
    with frontend_for(real_backend.url) as browser:
        page = browser.get("/sign-up")
        response = browser.post(
            "/sign-up",
            data={
                "csrf_token": csrf_token_in(page.text),
                "name": "Dee",
                "email": new_email("Dee"),
                "password": "short",
            },
        )
        assert response.status_code == 422
        assert 'role="alert"' in response.text
        assert "Traceback" not in response.text


def test_a_form_without_the_csrf_token_creates_nothing(
    frontend_for, real_backend, csrf_token_in, new_email
) -> None:
    with frontend_for(real_backend.url) as browser:
        email = new_email("Eve")
        browser.get("/sign-up")
        forged = browser.post(
            "/sign-up",
            data={"csrf_token": "forged", "name": "Eve", "email": email, "password": "12345678"},
        )
        assert forged.status_code == 403
        assert "This form expired" in forged.text
        assert "todo_session" not in browser.cookies

        page = browser.get("/sign-in")
        attempt = browser.post(
            "/sign-in",
            data={"csrf_token": csrf_token_in(page.text), "email": email, "password": "12345678"},
        )
        assert attempt.status_code == 401  # the forged sign-up made no account


def test_sign_out_ends_the_session(frontend_for, real_backend, csrf_token_in, sign_up) -> None:
    with frontend_for(real_backend.url) as browser:
        sign_up(browser, "Fay")
        assert browser.get("/").headers["location"] == "/dashboard"
        dashboard = browser.get("/dashboard")
        response = browser.post("/sign-out", data={"csrf_token": csrf_token_in(dashboard.text)})
        assert response.status_code == 303
        assert response.headers["location"] == "/sign-in?reason=signed-out"
        assert "You have signed out." in browser.get("/sign-in?reason=signed-out").text
        assert browser.get("/dashboard").headers["location"] == "/sign-in"
        assert browser.get("/").headers["location"] == "/sign-in"
        assert browser.get("/api/auth/me").status_code == 401


def test_sign_out_revokes_a_copied_session_cookie(
    frontend_for, real_backend, csrf_token_in, sign_up
) -> None:
    with frontend_for(real_backend.url) as browser:
        sign_up(browser, "Hal")
        copied = browser.cookies.get("todo_session")
        dashboard = browser.get("/dashboard")
        browser.post("/sign-out", data={"csrf_token": csrf_token_in(dashboard.text)})
        browser.cookies.set("todo_session", copied)
        assert browser.get("/api/auth/me").status_code == 401


def test_signed_in_visitors_skip_the_sign_in_page(frontend_for, real_backend, sign_up) -> None:
    with frontend_for(real_backend.url) as browser:
        sign_up(browser, "Gus")
        assert browser.get("/sign-in").headers["location"] == "/dashboard"
        assert browser.get("/sign-up").headers["location"] == "/dashboard"


def test_a_session_signed_with_another_secret_is_ignored(
    frontend_for, real_backend, sign_up
) -> None:
    with frontend_for(real_backend.url) as browser:
        sign_up(browser, "Hal")
        stolen = browser.cookies["todo_session"]
    with frontend_for(real_backend.url, BETTER_AUTH_SECRET="another-secret-" + "y" * 32) as other:
        other.cookies.set("todo_session", stolen)
        assert other.get("/dashboard").headers["location"] == "/sign-in"
        assert other.get("/api/auth/me").status_code == 401


def test_the_csrf_token_is_the_sessions_and_renewed_at_sign_in_and_sign_out(
    frontend_for, real_backend, csrf_token_in, sign_up
) -> None:
    with frontend_for(real_backend.url) as browser:
        before = csrf_token_in(browser.get("/sign-up").text)
        sign_up(browser, "Rio")
        signed_in = csrf_token_in(browser.get("/dashboard").text)
        assert signed_in != before
        tasks = f"/api/{browser.get('/api/auth/me').json()['id']}/tasks"
        stale = browser.post(tasks, json={"title": "Stale"}, headers={"X-CSRF-Token": before})
        assert stale.status_code == 403
        fresh = browser.post(tasks, json={"title": "Fresh"}, headers={"X-CSRF-Token": signed_in})
        assert fresh.status_code == 201

        browser.post("/sign-out", data={"csrf_token": signed_in})
        after = csrf_token_in(browser.get("/sign-in").text)
        assert after not in {before, signed_in}


def test_a_csrf_token_from_outside_the_session_is_refused(
    frontend_for, real_backend, csrf_token_in, sign_up
) -> None:
    """Another visitor's token with its own cookie, as an attacker could plant them both."""
    with frontend_for(real_backend.url) as attacker:
        planted_token = csrf_token_in(attacker.get("/sign-in").text)
        planted_cookie = attacker.cookies["todo_csrf"]
    with frontend_for(real_backend.url) as browser:
        sign_up(browser, "Sol")
        tasks = f"/api/{browser.get('/api/auth/me').json()['id']}/tasks"
        browser.cookies.delete("todo_csrf")
        browser.cookies.set("todo_csrf", planted_cookie)
        forged = browser.post(
            tasks, json={"title": "Forged"}, headers={"X-CSRF-Token": planted_token}
        )
        assert forged.status_code == 403
        assert browser.get(tasks).json() == []


@pytest.mark.parametrize(
    ("browser_zone", "account_zone"),
    [("Europe/Paris", "Europe/Paris"), ("", "UTC"), ("Mars/Olympus", "UTC")],
)
def test_sign_up_keeps_the_browsers_time_zone_when_it_names_one(
    frontend_for, real_backend, csrf_token_in, new_email, browser_zone: str, account_zone: str
) -> None:
    """The page's script fills in the zone; a browser that names none, or one unknown to the
    IANA database, still gets an account (on UTC, which the dashboard lets them change)."""
    with frontend_for(real_backend.url) as browser:
        form = {"name": "Zed", "email": new_email("Zed"), "password": "correct horse"}
        token = csrf_token_in(browser.get("/sign-up").text)
        response = browser.post(
            "/sign-up", data={"csrf_token": token, "timezone": browser_zone, **form}
        )
        assert response.status_code == 303, response.text
        assert browser.get("/api/auth/me").json()["timezone"] == account_zone
        dashboard = browser.get("/dashboard").text
        assert f'<option value="{account_zone}" selected>' in dashboard
