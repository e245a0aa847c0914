"""The README's picture of the app, taken from the real services in a real browser: a signed-up
user's dashboard with a few tasks and a conversation with the assistant.

Every browser run takes it into test-artifacts/; `make screenshot` sets SCREENSHOT_PATH to
docs/screenshot.png to refresh the README's copy, so the picture shows what the code draws."""

import os
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.postgres]


def _add_task(
    page: Page,
    title: str,
    details: str = "",
    *,
    due: str = "",
    priority: str = "Medium",
    tags: str = "",
) -> None:
    page.get_by_label("New task").fill(title)
    page.get_by_label("Details (optional)").fill(details)
    form = page.locator("#add-task")
    form.get_by_label("Due").fill(due)
    form.get_by_label("Priority").select_option(label=priority)
    form.get_by_label("Tags").fill(tags)
    page.get_by_role("button", name="Add task").click()
    expect(page.locator(".task-title").first).to_have_text(title)


def test_the_readme_screenshot_shows_tasks_and_a_chat_with_the_assistant(
    new_page, sign_up, say, artifacts: Path
) -> None:
    destination = Path(os.environ.get("SCREENSHOT_PATH") or artifacts / "screenshot.png")
    page = new_page(viewport={"width": 1280, "height": 800})
    sign_up(page, "Ada")
    in_three_days = (date.today() + timedelta(days=3)).isoformat()
    _add_task(
        page,
        "Renew the passport",
        "Photos are in the top drawer",
        due=f"{in_three_days}T17:00",
        priority="High",
        tags="travel",
    )
    _add_task(page, "Pay the electricity bill", tags="home bills")
    _add_task(page, "Book a dentist appointment", priority="Low", tags="health")
    page.get_by_role("checkbox", name="Pay the electricity bill").check()
    expect(page.locator(".task.done .task-title")).to_have_text(["Pay the electricity bill"])

    page.get_by_role("button", name="Ask the assistant").click()
    chat = page.get_by_role("region", name="Assistant")
    reply = say(page, "Add a task to buy milk")
    expect(reply).to_contain_text("Buy milk")
    expect(page.locator(".task-title")).to_have_text(
        ["Buy milk", "Book a dentist appointment", "Pay the electricity bill", "Renew the passport"]
    )
    reply = say(page, "What's pending?")
    expect(reply).to_contain_text("Renew the passport")
    expect(reply).not_to_contain_text("Pay the electricity bill")
    # The picture shows the conversation, not the message box's focus ring.
    chat.get_by_label("Message to the assistant").blur()

    destination.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=destination)
    assert destination.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
