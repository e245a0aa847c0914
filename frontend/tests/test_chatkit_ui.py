"""CHAT_UI=chatkit: the dashboard embeds OpenAI's ChatKit web component instead of our widget,
under a CSP widened for its CDN only; /chatkit is forwarded to the backend as the signed-in
user. By default neither the component nor the wider policy is anywhere."""

import json
import re

import pytest

from testkit import CHATKIT_CREATE_THREAD

CDN = "https://cdn.platform.openai.com"


def _csrf_meta(page: str) -> str:
    match = re.search(r'name="csrf-token" content="([^"]+)"', page)
    assert match
    return match.group(1)


@pytest.mark.postgres
def test_chatkit_mode_embeds_the_component_with_a_csp_widened_for_its_cdn(
    frontend_for, real_backend, sign_up
) -> None:
    with frontend_for(real_backend.url, chat_ui="chatkit", chatkit_domain_key="dk_test") as browser:
        sign_up(browser, "Kit")
        page = browser.get("/dashboard")
        assert page.status_code == 200
        assert f'<script src="{CDN}/deployments/chatkit/chatkit.js" async></script>' in page.text
        assert 'id="chatkit"' in page.text and 'data-domain-key="dk_test"' in page.text
        assert 'id="chat-launcher"' not in page.text
        assert "this chat needs internet access" in page.text
        csp = page.headers["content-security-policy"]
        assert f"script-src 'self' {CDN};" in csp
        assert f"frame-src {CDN};" in csp
        assert "connect-src 'self';" in csp and "unsafe-inline" not in csp
        assert re.search(r"<script(?![^>]*\bsrc=)", page.text) is None
        # Only the page with the component gets the wider policy.
        assert CDN not in browser.get("/api/health").headers["content-security-policy"]


@pytest.mark.postgres
def test_by_default_the_dashboard_has_our_widget_and_nothing_from_a_cdn(
    frontend_for, real_backend, sign_up
) -> None:
    with frontend_for(real_backend.url) as browser:
        sign_up(browser, "Wid")
        page = browser.get("/dashboard")
        assert 'id="chat-launcher"' in page.text
        assert 'id="chatkit"' not in page.text
        assert "openai.com" not in page.text
        csp = page.headers["content-security-policy"]
        assert "openai.com" not in csp and "frame-src" not in csp


@pytest.mark.postgres
def test_chatkit_requests_reach_the_backend_as_the_signed_in_user(
    frontend_for, real_backend, sign_up
) -> None:
    with frontend_for(real_backend.url, chat_ui="chatkit") as browser:
        sign_up(browser, "Cat")
        token = _csrf_meta(browser.get("/dashboard").text)
        body = json.dumps(CHATKIT_CREATE_THREAD)

        refused = browser.post("/chatkit", content=body)
        assert refused.status_code == 403
        assert "CSRF" in refused.json()["detail"]

        streamed = browser.post("/chatkit", content=body, headers={"X-CSRF-Token": token})
        assert streamed.status_code == 200
        assert streamed.headers["content-type"].startswith("text/event-stream")
        events = [
            json.loads(line.removeprefix("data: ")) for line in streamed.text.split("\n\n")[:-1]
        ]
        assert events[0]["type"] == "thread.created"
        assert events[-1]["item"]["content"][0]["text"].startswith("Added task")

        user_id = browser.get("/api/auth/me").json()["id"]
        assert [t["title"] for t in browser.get(f"/api/{user_id}/tasks").json()] == ["Buy milk"]
        conversations = browser.get(f"/api/{user_id}/conversations").json()
        assert [f"thr_{c['id']}" for c in conversations] == [events[0]["thread"]["id"]]

    with frontend_for(real_backend.url, chat_ui="chatkit") as stranger:
        response = stranger.post("/chatkit", content=body, headers={"X-CSRF-Token": token})
        assert response.status_code == 401


def test_chatkit_errors_are_json_like_the_apis(frontend_for, unreachable_url) -> None:
    with frontend_for(unreachable_url, chat_ui="chatkit") as browser:
        wrong_method = browser.get("/chatkit")
        assert wrong_method.status_code == 405
        assert wrong_method.json() == {"detail": "Method Not Allowed"}
        assert browser.post("/chatkit", content="{}").json() == {"detail": "You are not signed in."}
