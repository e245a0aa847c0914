"""The assistant widget in a real browser against the real backend's built-in agent: each chat
action shows up in the task list without a reload, conversations survive a reload, and one
user sees nothing of another's."""

from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.postgres]


def _open_chat(page: Page) -> Locator:
    page.get_by_role("button", name="Ask the assistant").click()
    chat = page.get_by_role("region", name="Assistant")
    expect(chat).to_be_visible()
    return chat


def test_the_assistant_manages_tasks_and_the_list_follows_without_a_reload(
    new_page, sign_up, say, artifacts: Path
) -> None:
    page = new_page(viewport={"width": 1280, "height": 800})
    sign_up(page, "Rae")
    page.get_by_label("New task").fill("Pay bills")
    page.get_by_label("New task").press("Enter")
    expect(page.locator(".task-title")).to_have_text(["Pay bills"])
    page.evaluate("window.noReloadMarker = true")
    tasks = page.locator(".task")
    chat = _open_chat(page)
    tool_lines = chat.locator(".tool")

    # Record every text the reply bubble shows, to see it grow as the deltas arrive.
    page.evaluate(
        """() => {
            window.replyTexts = [];
            new MutationObserver(() => {
                const bubble = document.querySelector(".message.assistant:last-of-type");
                if (bubble) window.replyTexts.push(bubble.textContent);
            }).observe(document.getElementById("chat-log"), {
                childList: true, subtree: true, characterData: true,
            });
        }"""
    )
    reply = say(page, "Add a task to buy milk")
    expect(tool_lines.last).to_have_text("Added 'Buy milk'")
    expect(reply).to_contain_text("Buy milk")
    final = reply.inner_text()
    shown = page.evaluate("window.replyTexts")
    assert any(text and text != final and final.startswith(text) for text in shown), shown
    expect(tasks.locator(".task-title")).to_have_text(["Buy milk", "Pay bills"])

    say(page, "Mark the milk task as done")
    expect(tool_lines.last).to_have_text("Completed 'Buy milk'")
    expect(page.get_by_role("checkbox", name="Buy milk")).to_be_checked()
    expect(page.locator('[data-count="completed"]')).to_have_text("1")

    reply = say(page, "Show my tasks")
    expect(reply).to_contain_text("Buy milk")
    expect(reply).to_contain_text("Pay bills")
    page.screenshot(path=artifacts / "chat-open.png")

    say(page, "Delete the milk task")
    expect(tool_lines.last).to_have_text("Deleted 'Buy milk'")
    expect(tasks.locator(".task-title")).to_have_text(["Pay bills"])
    assert page.evaluate("window.noReloadMarker === true"), "the page reloaded"

    # After a reload the chat is still open on the same conversation.
    page.reload()
    chat = page.get_by_role("region", name="Assistant")
    expect(chat).to_be_visible()
    user_messages = chat.locator(".message.user")
    expect(user_messages).to_have_text(
        [
            "Add a task to buy milk",
            "Mark the milk task as done",
            "Show my tasks",
            "Delete the milk task",
        ]
    )
    expect(chat.locator(".message.assistant")).to_have_count(4)

    # A new conversation starts empty; the earlier one can be reopened from the history.
    chat.get_by_role("button", name="New chat").click()
    expect(user_messages).to_have_count(0)
    say(page, "What's pending?")
    expect(user_messages).to_have_text(["What's pending?"])
    chat.get_by_role("button", name="History").click()
    history = chat.get_by_role("navigation", name="Earlier conversations").get_by_role("button")
    expect(history).to_have_count(2)
    history.nth(1).click()  # newest first: the second is the first conversation
    expect(user_messages).to_have_count(4)
    expect(user_messages.first).to_have_text("Add a task to buy milk")

    chat.get_by_role("button", name="Close the assistant").click()
    expect(chat).to_be_hidden()
    expect(page.get_by_role("button", name="Ask the assistant")).to_be_focused()


def test_a_second_user_sees_none_of_the_first_users_tasks_or_conversations(
    new_page, sign_up, say
) -> None:
    first = new_page()
    sign_up(first, "Sam")
    _open_chat(first)
    say(first, "Add a task to buy milk")
    expect(first.locator(".task-title")).to_have_text(["Buy milk"])
    first_user_id = first.evaluate("document.body.dataset.userId")
    conversation_id = first.evaluate(
        f"localStorage.getItem('todo.chat.{first_user_id}.conversation')"
    )
    assert conversation_id

    second = new_page()
    sign_up(second, "Tia")
    expect(second.get_by_text("No tasks yet")).to_be_visible()
    chat = _open_chat(second)
    chat.get_by_role("button", name="History").click()
    expect(chat.get_by_text("No conversations yet.")).to_be_visible()

    # Even asked directly through the frontend's API, the first user's data stays out of reach.
    api = second.request  # shares the second browser's cookies
    for path in (f"{first_user_id}/tasks", f"{first_user_id}/conversations/{conversation_id}"):
        assert api.get(f"/api/{path}").status == 403, path
    second_user_id = second.evaluate("document.body.dataset.userId")
    assert api.get(f"/api/{second_user_id}/conversations/{conversation_id}").status == 404
    reply = say(second, "Show my tasks")
    expect(reply).not_to_contain_text("Buy milk")
