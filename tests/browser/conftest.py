"""End-to-end fixtures: the real backend and frontend processes (`todo-backend serve`,
`todo-frontend serve`) on a fresh PostgreSQL database, driven by Playwright with Debian's
Chromium."""

import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from testkit import run_service

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


@dataclass(frozen=True)
class Stack:
    frontend_url: str
    backend_url: str


@pytest.fixture(scope="session")
def stack(postgres_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    logs = tmp_path_factory.mktemp("services")
    backend_env = {
        "DATABASE_URL": postgres_url,
        "BETTER_AUTH_SECRET": secrets.token_hex(32),
        "AGENT_PROVIDER": "builtin",
        "LOCAL_MODE": "false",
        "LOG_LEVEL": "warning",
        "RATE_LIMITS": "off",  # every test signs up from 127.0.0.1
    }
    with run_service("todo-backend", backend_env, logs / "backend.log") as backend:
        frontend_env = {
            "BACKEND_URL": backend.url,
            "BETTER_AUTH_SECRET": secrets.token_hex(32),
            "LOCAL_MODE": "false",
            "LOG_LEVEL": "warning",
        }
        with run_service("todo-frontend", frontend_env, logs / "frontend.log") as frontend:
            yield Stack(frontend_url=frontend.url, backend_url=backend.url)


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

    def open_page(**context_options: Any) -> Page:
        context = browser.new_context(base_url=stack.frontend_url, **context_options)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
        page.on(
            "console",
            lambda message: (
                problems.append(f"console {message.type}: {message.text}")
                if message.type == "error"
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
