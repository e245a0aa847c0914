"""What a browser does with the frontend, over plain HTTP: forms with the page's CSRF token, the
session in an HttpOnly cookie, and the dashboard's script calling /api/* with the X-CSRF-Token
header. Used wherever the tests reach a running frontend: containers, compose, the cluster."""

import html
import re
import secrets
from typing import Any

import httpx

PASSWORD = "correct horse battery staple"


class Browser:
    """One person's browser session against the frontend at `base_url`."""

    def __init__(self, base_url: str, cookies: httpx.Cookies | None = None) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=60, cookies=cookies)
        self.csrf_token = ""
        self.user_id = ""

    def page(self, path: str) -> httpx.Response:
        """GET a page and keep its CSRF token."""
        response = self.http.get(path)
        match = re.search(r'<meta name="csrf-token" content="([^"]+)">', response.text)
        if match:
            self.csrf_token = match.group(1)
        return response

    def _submit(self, path: str, form: dict[str, str]) -> httpx.Response:
        assert self.page(path).status_code == 200, path
        return self.http.post(path, data={"csrf_token": self.csrf_token, **form})

    def sign_up(self, name: str, email: str, password: str = PASSWORD) -> httpx.Response:
        return self._submit("/sign-up", {"name": name, "email": email, "password": password})

    def sign_in(self, email: str, password: str = PASSWORD) -> httpx.Response:
        return self._submit("/sign-in", {"email": email, "password": password})

    @staticmethod
    def form_error(response: httpx.Response) -> str | None:
        """The error an account form shows, as the user reads it."""
        match = re.search(r'id="form-error">([^<]*)<', response.text)
        return html.unescape(match.group(1)) if match else None

    def open_dashboard(self) -> str:
        """The dashboard's HTML; remembers the user id it carries."""
        response = self.page("/dashboard")
        assert response.status_code == 200, response.text
        match = re.search(r'data-user-id="([^"]+)"', response.text)
        assert match, "the dashboard names no user"
        self.user_id = match.group(1)
        return response.text

    def task_list(self) -> str:
        """The dashboard's task list as its script redraws it."""
        response = self.http.get("/dashboard/tasks")
        assert response.status_code == 200, response.text
        return response.text

    def api(self, method: str, path: str, json: Any = None) -> httpx.Response:
        """`method /api/{path}` through the frontend's proxy."""
        return self.http.request(
            method, f"/api/{path}", json=json, headers={"X-CSRF-Token": self.csrf_token}
        )

    def chat(self, message: str, conversation_id: int | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"message": message}
        if conversation_id is not None:
            body["conversation_id"] = conversation_id
        response = self.api("POST", f"{self.user_id}/chat", json=body)
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer

    def tasks(self) -> list[dict[str, Any]]:
        response = self.api("GET", f"{self.user_id}/tasks")
        assert response.status_code == 200, response.text
        tasks: list[dict[str, Any]] = response.json()
        return tasks

    def close(self) -> None:
        self.http.close()


def signed_up(base_url: str, name: str) -> Browser:
    """A new account (unique email) signed up through the form, on its dashboard."""
    browser = Browser(base_url)
    response = browser.sign_up(name, f"{name.lower()}-{secrets.token_hex(4)}@example.com")
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/dashboard"
    browser.open_dashboard()
    return browser


def tool_names(answer: dict[str, Any]) -> list[str]:
    """The tools a chat turn called, in order."""
    return [call["name"] for call in answer["tool_calls"]]
