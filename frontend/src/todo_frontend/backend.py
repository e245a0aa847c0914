"""The calls the frontend's own pages make to the backend (the proxy forwards everything else)."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal, TypeVar

import httpx
from pydantic import BaseModel, TypeAdapter, ValidationError

from todo_common.client_address import CLIENT_ADDRESS_HEADER, sign_client_address


class User(BaseModel):
    id: str
    email: str
    name: str
    timezone: str = "UTC"  # an IANA name; "UTC" from a backend older than time zones


class AuthResult(BaseModel):
    token: str
    user: User


Priority = Literal["low", "medium", "high"]


class Task(BaseModel):
    id: int
    title: str
    description: str | None = None
    completed: bool
    created_at: datetime
    updated_at: datetime
    # Defaults for a backend older than due dates, priorities and tags (a rolling upgrade).
    due_at: datetime | None = None
    priority: Priority = "medium"
    tags: list[str] = []


_TASKS = TypeAdapter(list[Task])


class ApiToken(BaseModel):
    """An API token for an MCP client, as the backend lists it (never the token itself)."""

    id: int
    name: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime


class NewApiToken(ApiToken):
    token: str


_API_TOKENS = TypeAdapter(list[ApiToken])
_AUTH_RESULT = TypeAdapter(AuthResult)
_USER = TypeAdapter(User)
_NEW_API_TOKEN = TypeAdapter(NewApiToken)
Answer = TypeVar("Answer")


class BackendUnavailableError(Exception):
    """The backend could not be reached, timed out or answered with a server error."""


class BackendRejectedError(Exception):
    """The backend answered with a 4xx: `detail` is its human message."""

    def __init__(self, status_code: int, detail: str, retry_after: str | None = None) -> None:
        super().__init__(f"{status_code}: {detail}")
        self.status_code = status_code
        self.detail = detail
        self.retry_after = retry_after


def _answer(answer: TypeAdapter[Answer], response: httpx.Response, what: str) -> Answer:
    """The backend's answer read as `answer`; anything else from it is a fault of the backend,
    as good as it being unavailable."""
    try:
        return answer.validate_json(response.content)
    except ValidationError as error:
        raise BackendUnavailableError(f"backend sent an unexpected {what}") from error


def _detail(response: httpx.Response) -> str:
    try:
        body: Any = response.json()
    except ValueError:
        return response.reason_phrase
    detail = body.get("detail") if isinstance(body, dict) else None
    return detail if isinstance(detail, str) else response.reason_phrase


class Backend:
    def __init__(self, client: httpx.AsyncClient, proxy_secret: str) -> None:
        self._client = client
        self._proxy_secret = proxy_secret

    async def _call(
        self,
        method: str,
        path: str,
        *,
        request_id: str,
        token: str | None = None,
        json: dict[str, str | int] | None = None,
        params: Sequence[tuple[str, str]] = (),
        wait_seconds: float | None = None,
        client_address: str | None = None,
    ) -> httpx.Response:
        headers = {"x-request-id": request_id, "accept": "application/json"}
        if token:
            headers["authorization"] = f"Bearer {token}"
        if client_address and self._proxy_secret:
            # The backend limits sign-ups and sign-ins per visitor, not per frontend replica:
            # signed, so that only this frontend can name the address (an X-Forwarded-For would
            # be anyone's to write).
            headers[CLIENT_ADDRESS_HEADER] = sign_client_address(self._proxy_secret, client_address)
        try:
            response = await self._client.request(
                method,
                path,
                json=json,
                params=list(params),
                headers=headers,
                timeout=httpx.USE_CLIENT_DEFAULT if wait_seconds is None else wait_seconds,
            )
        except httpx.HTTPError as error:
            raise BackendUnavailableError(str(error) or type(error).__name__) from error
        if response.status_code >= 500:
            raise BackendUnavailableError(f"backend answered {response.status_code}")
        if response.status_code >= 400:
            raise BackendRejectedError(
                response.status_code, _detail(response), response.headers.get("retry-after")
            )
        return response

    async def sign_in(
        self, *, email: str, password: str, request_id: str, client_address: str | None
    ) -> AuthResult:
        response = await self._call(
            "POST",
            "/api/auth/sign-in",
            json={"email": email, "password": password},
            request_id=request_id,
            client_address=client_address,
        )
        return _answer(_AUTH_RESULT, response, "sign-in answer")

    async def sign_up(
        self,
        *,
        name: str,
        email: str,
        password: str,
        timezone: str | None,
        request_id: str,
        client_address: str | None,
    ) -> AuthResult:
        account: dict[str, str | int] = {"name": name, "email": email, "password": password}
        if timezone:
            account["timezone"] = timezone
        response = await self._call(
            "POST",
            "/api/auth/sign-up",
            json=account,
            request_id=request_id,
            client_address=client_address,
        )
        return _answer(_AUTH_RESULT, response, "sign-in answer")

    async def sign_out(self, *, token: str, request_id: str) -> None:
        """Revoke the token at the backend, so a copied session cookie stops working too."""
        await self._call("POST", "/api/auth/sign-out", token=token, request_id=request_id)

    async def me(self, *, token: str, request_id: str) -> User:
        response = await self._call("GET", "/api/auth/me", token=token, request_id=request_id)
        return _answer(_USER, response, "user")

    async def list_tasks(
        self,
        *,
        token: str,
        user_id: str,
        request_id: str,
        query: Sequence[tuple[str, str]] = (),
    ) -> list[Task]:
        """The user's tasks; `query`: the list's filter and sort parameters, as the API names
        them."""
        response = await self._call(
            "GET", f"/api/{user_id}/tasks", token=token, request_id=request_id, params=query
        )
        return _answer(_TASKS, response, "task list")

    async def list_api_tokens(self, *, token: str, user_id: str, request_id: str) -> list[ApiToken]:
        response = await self._call(
            "GET", f"/api/{user_id}/tokens", token=token, request_id=request_id
        )
        return _answer(_API_TOKENS, response, "token list")

    async def create_api_token(
        self, *, token: str, user_id: str, name: str, expires_in_days: int, request_id: str
    ) -> NewApiToken:
        response = await self._call(
            "POST",
            f"/api/{user_id}/tokens",
            json={"name": name, "expires_in_days": expires_in_days},
            token=token,
            request_id=request_id,
        )
        return _answer(_NEW_API_TOKEN, response, "new token")

    async def revoke_api_token(
        self, *, token: str, user_id: str, token_id: int, request_id: str
    ) -> None:
        await self._call(
            "DELETE", f"/api/{user_id}/tokens/{token_id}", token=token, request_id=request_id
        )

    async def is_ready(self, *, request_id: str) -> bool:
        """A quick readiness check, so a page can say up front that signing in will fail."""
        try:
            await self._call("GET", "/api/health", request_id=request_id, wait_seconds=2.0)
        except (BackendUnavailableError, BackendRejectedError):
            return False
        return True
