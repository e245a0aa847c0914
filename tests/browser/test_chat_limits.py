"""The chat spend limit as a user meets it in the widget: over today's limit, the assistant says
so in words, not as a generic failure."""

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.support.stack import Stack, running_stack

pytestmark = [pytest.mark.browser, pytest.mark.postgres]


@pytest.fixture(scope="module")
def stack(postgres_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A stack of its own, with the limits on and one chat turn a day."""
    # The sign-up limit stays off: on PostgreSQL it counts 127.0.0.1's sign-ups of every test run.
    limits = {"RATE_LIMITS": "on", "CHAT_TURNS_PER_DAY": "1", "SIGN_UP_PER_ADDRESS_PER_HOUR": "0"}
    with running_stack(postgres_url, tmp_path_factory.mktemp("limited"), limits) as services:
        yield services


def test_over_todays_chat_limit_the_widget_says_so(new_page, sign_up) -> None:
    over_the_limit = (
        "Failed to load resource: the server responded with a status of 429 (Too Many Requests)"
    )
    page = new_page(expected_errors=(over_the_limit,))
    sign_up(page, "Kit")
    page.get_by_role("button", name="Ask the assistant").click()
    chat = page.get_by_role("region", name="Assistant")
    message = chat.get_by_label("Message to the assistant")
    replies = chat.locator(".message.assistant, .message.error")

    message.fill("Add a task to buy milk")
    message.press("Enter")
    expect(replies.last).to_contain_text("Buy milk")
    expect(chat.get_by_role("button", name="Send")).to_be_enabled()

    message.fill("show my tasks")
    message.press("Enter")
    expect(replies).to_have_count(2)
    expect(replies.last).to_have_class("message error")
    expect(replies.last).to_have_text(
        "You have reached today's limit of chat messages; please try again tomorrow"
    )
