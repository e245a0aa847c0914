"""The dashboard in a real browser: the task form, inline edit, toggle, filters, delete, a phone
screen with the keyboard alone, and what a first visit downloads."""

import json
import re
import secrets
from pathlib import Path

import pytest
from playwright.sync_api import Page, Response, expect

pytestmark = [pytest.mark.browser, pytest.mark.postgres]

FIRST_VISIT_BUDGET_BYTES = 150 * 1024


def _mark_page(page: Page) -> None:
    """Leave a marker in the window: it survives only as long as there is no reload."""
    page.evaluate("window.noReloadMarker = true")


def _not_reloaded(page: Page) -> bool:
    return bool(page.evaluate("window.noReloadMarker === true"))


def _count(page: Page, name: str) -> str:
    return page.locator(f'[data-count="{name}"]').inner_text()


def test_manage_tasks_with_the_form(new_page, sign_up, artifacts: Path) -> None:
    page = new_page(viewport={"width": 1280, "height": 800})
    sign_up(page, "Ann")
    expect(page.get_by_text("No tasks yet")).to_be_visible()
    _mark_page(page)
    tasks = page.locator(".task")

    page.get_by_label("New task").fill("Buy milk")
    page.get_by_label("New task").press("Enter")
    expect(tasks).to_have_count(1)
    expect(page.get_by_role("status")).to_have_text("Added “Buy milk”.")
    page.get_by_label("New task").fill("Pay bills")
    page.get_by_label("Details (optional)").fill("Electricity and water")
    page.get_by_role("button", name="Add task").click()
    page.get_by_label("New task").fill("Call mom")
    page.get_by_role("button", name="Add task").click()
    expect(tasks.locator(".task-title")).to_have_text(["Call mom", "Pay bills", "Buy milk"])
    expect(page.get_by_text("Electricity and water")).to_be_visible()
    assert (_count(page, "all"), _count(page, "pending")) == ("3", "3")

    page.get_by_role("checkbox", name="Buy milk").check()
    expect(page.locator(".task.done .task-title")).to_have_text(["Buy milk"])
    expect(page.locator('[data-count="completed"]')).to_have_text("1")
    assert _count(page, "pending") == "2"

    page.screenshot(path=artifacts / "dashboard.png", full_page=True)

    page.get_by_role("link", name=re.compile("^Completed")).click()
    expect(tasks.locator(".task-title")).to_have_text(["Buy milk"])
    assert page.url.endswith("?status=completed")
    page.get_by_role("link", name=re.compile("^Pending")).click()
    expect(tasks.locator(".task-title")).to_have_text(["Call mom", "Pay bills"])
    page.get_by_role("link", name=re.compile("^All")).click()
    expect(tasks).to_have_count(3)

    page.get_by_role("button", name="Edit “Call mom”").click()
    editor = page.locator(".task-edit")
    expect(editor.get_by_label("Title")).to_be_focused()
    editor.get_by_label("Title").fill("Call mom tonight")
    editor.get_by_label("Details").fill("After 7 pm")
    editor.get_by_role("button", name="Save").click()
    expect(tasks.locator(".task-title").first).to_have_text("Call mom tonight")
    expect(page.get_by_text("After 7 pm")).to_be_visible()
    expect(editor).to_have_count(0)

    page.get_by_role("button", name="Edit “Pay bills”").click()
    page.keyboard.press("Escape")
    expect(editor).to_have_count(0)
    expect(page.get_by_role("button", name="Edit “Pay bills”")).to_be_focused()

    page.get_by_role("button", name="Delete “Pay bills”").click()
    expect(tasks.locator(".task-title")).to_have_text(["Call mom tonight", "Buy milk"])
    expect(page.get_by_role("status")).to_have_text("Deleted “Pay bills”.")
    page.get_by_role("button", name="Delete “Call mom tonight”").click()
    page.get_by_role("button", name="Delete “Buy milk”").click()
    expect(page.get_by_text("No tasks yet")).to_be_visible()
    assert _not_reloaded(page)

    page.reload()
    expect(page.get_by_text("No tasks yet")).to_be_visible()


def test_a_phone_and_the_keyboard_alone_are_enough(new_page, artifacts: Path) -> None:
    page = new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page.goto("/")
    expect(page).to_have_url(re.compile("/sign-in$"))
    page.get_by_role("link", name="Create an account").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/sign-up")
    expect(page.get_by_label("Name")).to_be_focused()  # autofocus
    page.keyboard.type("Pat")
    page.keyboard.press("Tab")
    page.keyboard.type(f"pat-{secrets.token_hex(4)}@example.com")
    page.keyboard.press("Tab")
    page.keyboard.type("correct horse")
    page.keyboard.press("Enter")
    page.wait_for_url("**/dashboard")

    # Nothing overflows sideways on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.get_by_label("New task").focus()
    page.keyboard.type("Water plants")
    page.keyboard.press("Enter")
    expect(page.locator(".task-title")).to_have_text(["Water plants"])
    expect(page.get_by_label("New task")).to_be_focused()

    page.get_by_role("checkbox", name="Water plants").focus()
    page.keyboard.press("Space")
    expect(page.locator(".task.done .task-title")).to_have_text(["Water plants"])
    expect(page.locator('[data-count="completed"]')).to_have_text("1")
    expect(page.get_by_role("checkbox", name="Water plants")).to_be_checked()
    # The list was redrawn; the keyboard is still where it was.
    expect(page.get_by_role("checkbox", name="Water plants")).to_be_focused()
    page.screenshot(path=artifacts / "dashboard-phone.png", full_page=True)

    launcher = page.get_by_role("button", name="Ask the assistant")
    launcher.focus()
    page.keyboard.press("Enter")
    chat = page.get_by_role("region", name="Assistant")
    expect(chat).to_be_visible()
    expect(page.get_by_label("Message to the assistant")).to_be_focused()
    box = chat.bounding_box()
    assert box is not None
    assert box["width"] == 390  # the chat takes the whole phone screen
    page.screenshot(path=artifacts / "chat-phone.png")
    page.keyboard.press("Escape")
    expect(chat).to_be_hidden()
    expect(launcher).to_be_focused()


def test_a_first_visit_downloads_little_and_only_from_the_frontend(
    new_page, sign_up, stack, artifacts: Path
) -> None:
    page = new_page()
    downloads: dict[str, int] = {}

    def record(response: Response) -> None:
        size = 0 if response.request.redirected_to else len(response.body())
        downloads[response.url] = downloads.get(response.url, 0) + size

    page.on("response", record)
    page.goto("/")  # redirected to the sign-in page
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    sign_up(page, "Quinn")  # the sign-up page, the form post, the dashboard
    expect(page.get_by_text("No tasks yet")).to_be_visible()
    page.wait_for_load_state("networkidle")

    assert all(url.startswith(stack.frontend_url) for url in downloads), downloads
    total = sum(downloads.values())
    assets = {url: size for url, size in downloads.items() if "/static/" in url}
    assert any(url.endswith(".css") for url in assets)
    assert any(url.endswith("dashboard.js") for url in assets)
    (artifacts / "first-visit.json").write_text(
        json.dumps({"total_bytes": total, "responses": downloads}, indent=2)
    )
    assert total < FIRST_VISIT_BUDGET_BYTES, f"{total} bytes: {downloads}"
