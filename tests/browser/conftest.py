"""End-to-end fixtures: the real backend and frontend processes (`todo-backend serve`,
`todo-frontend serve`) on a fresh PostgreSQL database, driven by Playwright with Debian's
Chromium."""

import re
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest
from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright

from tests.support.stack import Stack, running_stack

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

expect.set_options(timeout=15_000)


@pytest.fixture(scope="session")
def stack(postgres_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(postgres_url, tmp_path_factory.mktemp("services")) as services:
        yield services


# Module scope: Playwright's sync API keeps an event loop running in this thread while the
# browser is open, which async tests elsewhere must not find.
@pytest.fixture(scope="module")
def browser(unavailable: Callable[[str], NoReturn]) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


NewPage = Callable[..., Page]


@pytest.fixture
def new_page(browser: Browser, stack: Stack) -> Iterator[NewPage]:
    """`new_page()` opens a page in a fresh browser profile (its own cookies and storage).

    Any script error or console error (a CSP violation is one) fails the test."""
    contexts = []
    problems: list[str] = []

    def open_page(*, expected_errors: tuple[str, ...] = (), **context_options: Any) -> Page:
        """`expected_errors`: console errors the test provokes on purpose (a 429, say);
        `context_options` go to the browser context (`base_url` defaults to the frontend's)."""
        context = browser.new_context(**{"base_url": stack.frontend_url, **context_options})
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
        page.on(
            "console",
            lambda message: (
                problems.append(f"console {message.type}: {message.text}")
                if message.type == "error" and message.text not in expected_errors
                else None
            ),
        )
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert not problems, "\n".join(problems)


SignUp = Callable[[Page, str], str]


@pytest.fixture
def sign_up() -> SignUp:
    def create(page: Page, name: str) -> str:
        """Create an account through the sign-up page; returns its email."""
        email = f"{name.lower()}-{secrets.token_hex(4)}@example.com"
        page.goto("/sign-up")
        page.get_by_label("Name").fill(name)
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill("correct horse")
        page.get_by_role("button", name="Create account").click()
        page.wait_for_url("**/dashboard")
        return email

    return create


Say = Callable[[Page, str], Locator]


def _say(page: Page, message: str) -> Locator:
    """Send a message to the assistant and wait for the whole reply; returns the reply's bubble."""
    chat = page.get_by_role("region", name="Assistant")
    replies = chat.locator(".message.assistant")
    before = replies.count()
    chat.get_by_label("Message to the assistant").fill(message)
    chat.get_by_label("Message to the assistant").press("Enter")
    expect(replies).to_have_count(before + 1)
    reply = replies.nth(before)
    expect(reply).not_to_have_class(re.compile(r"\bpending\b"))
    expect(chat.get_by_role("button", name="Send")).to_be_enabled()
    return reply


@pytest.fixture
def say() -> Say:
    """`say(page, message)`: one turn with the dashboard's assistant, its reply once complete."""
    return _say
