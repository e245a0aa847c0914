"""The dashboard as the server renders it, the static assets and the security headers."""

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from todo_common.build import VERSION


def _add(browser: TestClient, title: str, *, done: bool = False, **fields: Any) -> None:
    page = browser.get("/dashboard").text
    token = re.search(r'name="csrf-token" content="([^"]+)"', page)
    assert token
    user_id = browser.get("/api/auth/me").json()["id"]
    headers = {"X-CSRF-Token": token.group(1)}
    body = {"title": title, **fields}
    task = browser.post(f"/api/{user_id}/tasks", json=body, headers=headers).json()
    if done:
        browser.patch(f"/api/{user_id}/tasks/{task['id']}/complete", headers=headers)


def _titles(html: str) -> list[str]:
    return re.findall(r'<p class="task-title" id="task-\d+-title">([^<]*)</p>', html)


def _counts(html: str) -> dict[str, int]:
    return {
        name: int(count) for name, count in re.findall(r'data-count="(\w+)">(\d+)</span>', html)
    }


@pytest.mark.postgres
def test_the_dashboard_lists_tasks_with_counts_and_filters(
    frontend_for, real_backend, sign_up
) -> None:
    with frontend_for(real_backend.url) as browser:
        sign_up(browser, "Kim")
        _add(browser, "Buy milk")
        _add(browser, "Pay bills", done=True)
        _add(browser, "Call mom")

        page = browser.get("/dashboard").text
        assert _titles(page) == ["Call mom", "Pay bills", "Buy milk"]  # newest first
        assert _counts(page) == {"all": 3, "pending": 2, "completed": 1}
        assert 'data-filter="all" aria-current="page"' in page

        pending = browser.get("/dashboard?status=pending").text
        assert _titles(pending) == ["Call mom", "Buy milk"]
        assert 'data-filter="pending" aria-current="page"' in pending
        assert _titles(browser.get("/dashboard?status=completed").text) == ["Pay bills"]
        assert _titles(browser.get("/dashboard?status=bogus").text) == _titles(page)

        # The fragment the page's script swaps in after each change: the list alone.
        fragment = browser.get("/dashboard/tasks?status=completed")
        assert fragment.status_code == 200
        assert "<html" not in fragment.text
        assert _titles(fragment.text) == ["Pay bills"]
        assert _counts(fragment.text) == {"all": 3, "pending": 2, "completed": 1}


def _pressed_chips(html: str) -> list[str]:
    return re.findall(r'data-chip="(\w+)" data-value="([^"]+)" aria-pressed="true"', html)


@pytest.mark.postgres
def test_the_pages_query_reaches_the_backends_list(frontend_for, real_backend, sign_up) -> None:
    with frontend_for(real_backend.url) as browser:
        sign_up(browser, "Nia")
        _add(browser, "Buy milk", priority="low", tags=["home", "errands"])
        _add(browser, "Pay rent", priority="high", tags=["home"], due_at="2020-01-01T09:00:00Z")
        _add(browser, "Ship the release", priority="high", tags=["work"], done=True)

        page = browser.get("/dashboard?priority=high&tag=home").text
        assert _titles(page) == ["Pay rent"]
        assert _counts(page) == {"all": 1, "pending": 1, "completed": 0}
        assert _pressed_chips(page) == [("priority", "high"), ("tag", "home")]
        # Every tag in use has a chip, including those the filters hide.
        assert re.findall(r'data-chip="tag" data-value="([^"]+)"', page) == [
            "errands",
            "home",
            "work",
        ]
        assert "Clear filters" in page
        assert 'href="/dashboard?status=completed&amp;priority=high&amp;tag=home"' in page
        assert '<span class="badge overdue">Overdue</span>' in page

        by_priority = browser.get("/dashboard/tasks?sort=-priority&q=the").text
        assert _titles(by_priority) == ["Ship the release"]
        sorted_page = browser.get("/dashboard?sort=-priority").text
        assert _titles(sorted_page) == ["Ship the release", "Pay rent", "Buy milk"]
        assert '<option value="-priority" selected>' in sorted_page
        nothing = browser.get("/dashboard?q=passport").text
        assert "No tasks match these filters." in nothing


@pytest.mark.postgres
def test_empty_filters_say_so(frontend_for, real_backend, sign_up) -> None:
    with frontend_for(real_backend.url) as browser:
        sign_up(browser, "Lou")
        assert "No tasks yet" in browser.get("/dashboard").text
        _add(browser, "Water plants", done=True)
        assert "Nothing pending" in browser.get("/dashboard?status=pending").text


@pytest.mark.postgres
def test_task_text_is_escaped(frontend_for, real_backend, sign_up) -> None:
    with frontend_for(real_backend.url) as browser:
        sign_up(browser, "Mo")
        _add(browser, '<script>alert("x")</script>')
        page = browser.get("/dashboard").text
        assert '<script>alert("x")</script>' not in page
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page


def test_pages_carry_a_csp_without_inline_script(frontend_for, unreachable_url) -> None:
    with frontend_for(unreachable_url) as browser:
        response = browser.get("/sign-in")
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp
        assert "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["cache-control"] == "no-store"
        assert re.search(r"<script(?![^>]*\bsrc=)", response.text) is None


def test_static_assets_are_served_locally_and_revalidated(frontend_for, unreachable_url) -> None:
    with frontend_for(unreachable_url) as browser:
        for path in ("/static/css/app.css", "/static/js/dashboard.js", "/static/favicon.svg"):
            asset = browser.get(path)
            assert asset.status_code == 200, path
            assert asset.headers["cache-control"] == "no-cache"
            again = browser.get(path, headers={"If-None-Match": asset.headers["etag"]})
            assert again.status_code == 304


def test_an_unknown_page_is_a_friendly_404(frontend_for, unreachable_url) -> None:
    with frontend_for(unreachable_url) as browser:
        page = browser.get("/no-such-page")
        assert page.status_code == 404
        assert "Page not found" in page.text
        assert page.headers["content-type"].startswith("text/html")
        assert browser.get("/api/health/nope").status_code == 401  # the proxy: not signed in


def test_health_says_which_code_answers(frontend_for, unreachable_url) -> None:
    """`dev` from a checkout; the chart's image tag (IMAGE_BUILD) in a deployment."""
    with frontend_for(unreachable_url) as browser:
        assert browser.get("/api/health").json() == {
            "status": "ok",
            "version": VERSION,
            "build": "dev",
        }
    with frontend_for(unreachable_url, image_build="1.0.0-0123456789ab") as browser:
        assert browser.get("/api/health").json()["build"] == "1.0.0-0123456789ab"


def test_requests_get_an_id_for_the_logs(frontend_for, unreachable_url) -> None:
    with frontend_for(unreachable_url) as browser:
        assert (
            browser.get("/api/health", headers={"X-Request-ID": "abc-1"}).headers["x-request-id"]
            == "abc-1"
        )
        generated = browser.get("/api/health", headers={"X-Request-ID": "bad id!"})
        assert re.fullmatch(r"[0-9a-f]{32}", generated.headers["x-request-id"])
