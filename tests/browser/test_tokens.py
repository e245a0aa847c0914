"""The API tokens page in a real browser: create a token, copy it once, see it listed, use it
on the backend's /mcp, sign out and back in (it still works), revoke it (it stops at once);
every control reachable by its label, on a phone too."""

import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from testkit import INITIALIZE, MCP_ACCEPT

pytestmark = [pytest.mark.browser, pytest.mark.postgres]


def mcp_status(backend_url: str, token: str) -> int:
    """The status of an MCP initialize request to the backend made with `token`."""
    headers = {"Authorization": f"Bearer {token}", **MCP_ACCEPT}
    return httpx.post(f"{backend_url}/mcp/", json=INITIALIZE, headers=headers).status_code


def create_token(page: Page, name: str, expiry: str) -> str:
    page.get_by_label("Name").fill(name)
    page.get_by_label("Expires after").select_option(label=expiry)
    page.get_by_role("button", name="Create token").click()
    expect(page.get_by_role("heading", name="Copy your new token now")).to_be_visible()
    return page.get_by_label(f"Token “{name}”").input_value()


def test_create_copy_use_and_revoke_a_token(new_page, sign_up, stack, artifacts: Path) -> None:
    page = new_page(permissions=["clipboard-read", "clipboard-write"])
    email = sign_up(page, "Tia")
    page.get_by_role("link", name="API tokens").click()
    page.wait_for_url("**/tokens")
    expect(page.get_by_role("heading", name="API tokens", exact=True)).to_be_visible()
    expect(page.get_by_text("No API tokens yet.")).to_be_visible()

    token = create_token(page, "kagent", "90 days")
    assert token.startswith("todo_mcp_")
    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_text("Copied to the clipboard.")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == token
    row = page.get_by_role("row", name=re.compile("^kagent"))
    expect(row.get_by_role("cell").nth(1)).to_have_text("Never")
    page.screenshot(path=artifacts / "tokens.png", full_page=True)

    assert mcp_status(stack.backend_url, token) == 200
    page.goto("/tokens")
    expect(page.get_by_label("Token “kagent”")).to_have_count(0)  # shown once
    expect(page.get_by_text(token)).to_have_count(0)
    expect(row.get_by_role("cell").nth(1)).to_have_text(
        re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d UTC$")
    )

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/sign-in?reason=signed-out")
    assert mcp_status(stack.backend_url, token) == 200  # sign-out leaves API tokens alone
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("correct horse")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/dashboard")
    page.goto("/tokens")

    page.get_by_role("button", name="Revoke “kagent”").click()
    expect(page.get_by_role("status")).to_have_text(
        "Token revoked: MCP clients that use it can no longer connect."
    )
    expect(page.get_by_text("No API tokens yet.")).to_be_visible()
    assert mcp_status(stack.backend_url, token) == 401


def test_errors_are_announced_and_a_phone_fits_the_page(new_page, sign_up) -> None:
    refused = (
        "Failed to load resource: the server responded with a status of 422 (Unprocessable Entity)"
    )
    page = new_page(
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        expected_errors=(refused,),
    )
    sign_up(page, "Pia")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.goto("/tokens")
    for name in ("first", "second"):
        create_token(page, name, "7 days")
    # The browser trims nothing: a name of spaces reaches the backend, which refuses it.
    page.get_by_label("Name").fill("   ")
    page.get_by_role("button", name="Create token").click()
    expect(page.get_by_role("alert")).to_have_text("name: String should have at least 1 character")
    form = page.get_by_role("button", name="Create token").locator("xpath=..")
    expect(form).to_have_attribute("aria-describedby", "form-error")
    expect(page.get_by_role("row")).to_have_count(3)  # the header and two tokens
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
