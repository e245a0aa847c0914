"""The API tokens page as the server renders it: CSRF-checked forms that create a token (shown
once), list and revoke them, against the real backend."""

import re

import pytest

pytestmark = pytest.mark.postgres


def _names(html: str) -> list[str]:
    return re.findall(r'<th scope="row">([^<]*)</th>', html)


def test_create_show_once_list_and_revoke(
    frontend_for, real_backend, sign_up, csrf_token_in
) -> None:
    with frontend_for(real_backend.url) as browser:
        sign_up(browser, "Ida")
        assert 'href="/tokens"' in browser.get("/dashboard").text
        page = browser.get("/tokens")
        assert page.status_code == 200
        assert "No API tokens yet." in page.text
        csrf = csrf_token_in(page.text)

        forged = browser.post("/tokens", data={"name": "forged", "expires_in_days": "30"})
        assert forged.status_code == 403
        assert "This form expired. Please try again." in forged.text

        too_long = browser.post(
            "/tokens", data={"csrf_token": csrf, "name": "x" * 65, "expires_in_days": "30"}
        )
        assert too_long.status_code == 422
        assert "name: String should have at most 64 characters" in too_long.text

        created = browser.post(
            "/tokens", data={"csrf_token": csrf, "name": "<kagent>", "expires_in_days": "90"}
        )
        assert created.status_code == 200
        assert created.headers["cache-control"] == "no-store"
        token = re.search(
            r'id="new-token" type="text" readonly value="(todo_mcp_[^"]+)"', created.text
        )
        assert token, created.text
        assert _names(created.text) == ["&lt;kagent&gt;"]

        listed = browser.get("/tokens").text
        assert _names(listed) == ["&lt;kagent&gt;"]
        assert token.group(1) not in listed  # shown once
        assert "Never" in listed  # not used yet

        token_id = re.search(r'action="/tokens/(\d+)/revoke"', listed)
        assert token_id
        refused = browser.post(f"/tokens/{token_id.group(1)}/revoke", data={})
        assert refused.status_code == 403
        assert _names(refused.text) == ["&lt;kagent&gt;"]
        revoked = browser.post(f"/tokens/{token_id.group(1)}/revoke", data={"csrf_token": csrf})
        assert (revoked.status_code, revoked.headers["location"]) == (303, "/tokens?reason=revoked")
        after = browser.get("/tokens?reason=revoked").text
        assert "Token revoked: MCP clients that use it can no longer connect." in after
        assert "No API tokens yet." in after


def test_signed_out_visitors_are_sent_to_sign_in(frontend_for, unreachable_url) -> None:
    with frontend_for(unreachable_url) as browser:
        for response in (browser.get("/tokens"), browser.post("/tokens", data={})):
            assert (response.status_code, response.headers["location"]) == (303, "/sign-in")
