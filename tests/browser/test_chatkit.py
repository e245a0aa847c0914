"""CHAT_UI=chatkit in a real browser, with a stand-in for ChatKit's web component.

OpenAI's CDN cannot be reached here, so its URLs are answered by the browser context with a
small stand-in: a script defining `<openai-chatkit>` that draws a frame from the CDN's host and
sends one ChatKit request through the `api` options our page gives it. What this checks is our
side: the page's CSP lets the CDN's script and frame in, our script hands the component
`/chatkit` with a fetch that passes the proxy (session cookie, CSRF header), the backend's
streamed turn comes back, and the task list redraws when the component says the turn ended.
The real component's own behaviour is not tested (README "Using a ChatKit frontend")."""

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, Route, expect

from testkit import CHATKIT_CREATE_THREAD, frontend_test_env, run_service

pytestmark = [pytest.mark.browser, pytest.mark.postgres]

CDN = "https://cdn.platform.openai.com"
DOMAIN_KEY = "dk_browser_test"
STAND_IN_COMPONENT = """
class StandInChatKit extends HTMLElement {
  setOptions(options) { this.options = options; }
  async connectedCallback() {
    const frame = document.createElement("iframe");
    frame.title = "ChatKit frame";
    frame.src = "CDN/deployments/chatkit/frame.html";
    this.append(frame);
    this.dataset.domainKey = this.options.api.domainKey;
    const response = await this.options.api.fetch(this.options.api.url, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(REQUEST),
    });
    const events = (await response.text()).trim().split("\\n\\n")
      .map((block) => JSON.parse(block.slice("data: ".length)));
    const reply = events.findLast(
      (event) => event.type === "thread.item.done" && event.item.type === "assistant_message");
    const line = document.createElement("p");
    line.className = "stand-in-reply";
    line.textContent = reply.item.content[0].text;
    this.append(line);
    this.dispatchEvent(new CustomEvent("chatkit.response.end"));
  }
}
customElements.define("openai-chatkit", StandInChatKit);
""".replace("CDN", CDN).replace("REQUEST", json.dumps(CHATKIT_CREATE_THREAD))


@pytest.fixture(scope="module")
def chatkit_frontend(stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A second frontend on the same backend, with CHAT_UI=chatkit."""
    env = {
        **frontend_test_env(stack.backend_url),
        "CHAT_UI": "chatkit",
        "CHATKIT_DOMAIN_KEY": DOMAIN_KEY,
    }
    log = tmp_path_factory.mktemp("chatkit") / "frontend.log"
    with run_service("todo-frontend", env, log) as frontend:
        yield frontend.url


def _stand_in_cdn(route: Route) -> None:
    if route.request.url.endswith(".js"):
        route.fulfill(content_type="text/javascript", body=STAND_IN_COMPONENT)
    else:
        route.fulfill(content_type="text/html", body="<!doctype html><p>stand-in frame</p>")


def test_the_chatkit_dashboard_reaches_the_backend_through_the_proxy(
    new_page: Callable[..., Page],
    chatkit_frontend: str,
    sign_up: Callable[[Page, str], str],
    artifacts: Path,
) -> None:
    page = new_page(base_url=chatkit_frontend, viewport={"width": 1280, "height": 800})
    cdn_requests: list[str] = []
    page.context.route(f"{CDN}/**", _stand_in_cdn)
    page.context.on(
        "request", lambda r: cdn_requests.append(r.url) if r.url.startswith(CDN) else None
    )
    sign_up(page, "Kit")
    page.evaluate("window.noReloadMarker = true")
    component = page.locator("openai-chatkit")
    expect(component.locator(".stand-in-reply")).to_have_text(
        re.compile(r"^Added task \d+: 'Buy milk'\.$")
    )
    expect(component).to_have_attribute("data-domain-key", DOMAIN_KEY)
    expect(page.get_by_text("this chat needs internet access")).to_have_count(0)
    expect(page.frame_locator("iframe[title='ChatKit frame']").locator("p")).to_have_text(
        "stand-in frame"
    )
    # The list redrew when the component said the turn ended, without a reload.
    expect(page.locator(".task-title")).to_have_text(["Buy milk"])
    assert page.evaluate("window.noReloadMarker") is True
    assert f"{CDN}/deployments/chatkit/chatkit.js" in cdn_requests
    page.screenshot(path=str(artifacts / "chatkit-dashboard.png"))
