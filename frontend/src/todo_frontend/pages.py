"""Server-rendered pages: sign-in, sign-up, sign-out, the dashboard (plus its task-list
fragment, which the dashboard's script fetches to redraw the list after every change) and the
API tokens page, where a user makes and revokes the tokens of their MCP clients."""

import logging
from collections.abc import Awaitable
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse

from todo_common.request_middleware import request_id_of
from todo_frontend.backend import (
    ApiToken,
    AuthResult,
    BackendRejectedError,
    BackendUnavailableError,
    NewApiToken,
)
from todo_frontend.middleware import CHATKIT_CONTENT_SECURITY_POLICY
from todo_frontend.security import CSRF_FIELD, Session, new_csrf_token
from todo_frontend.services import services_of
from todo_frontend.task_list import (
    PRIORITIES,
    SORTS,
    STATUSES,
    TaskList,
    TaskQuery,
    is_time_zone,
    tags_of,
)

logger = logging.getLogger("todo_frontend.pages")
router = APIRouter(default_response_class=HTMLResponse)

SIGN_IN_NOTICES = {
    "expired": "Your session has ended. Please sign in again.",
    "signed-out": "You have signed out.",
}
BACKEND_DOWN_NOTICE = (
    "We can't reach the task service right now, so signing in will not work. "
    "Please try again in a moment."
)
FORM_EXPIRED = "This form expired. Please try again."
LABELS = {"statuses": STATUSES, "priorities": PRIORITIES, "sorts": SORTS}


def render(
    request: Request, template: str, context: dict[str, Any], status_code: int = 200
) -> Response:
    """Render a page with the session's CSRF token, or for a visitor the visitor's (setting
    its cookie on a first visit)."""
    services = services_of(request)
    token, is_new = services.csrf.token_for(request, services.sessions.read(request))
    response = services.templates.TemplateResponse(
        request, template, {**context, "csrf_token": token}, status_code=status_code
    )
    if is_new:
        services.csrf.set_cookie(request, response, token)
    return response


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {name: value for name, value in form.items() if isinstance(value, str)}


def _form_is_authentic(request: Request, form: dict[str, str]) -> bool:
    services = services_of(request)
    session = services.sessions.read(request)
    return services.csrf.is_valid(request, session, form.get(CSRF_FIELD))


def _signed_in(request: Request, auth: AuthResult) -> Response:
    response = RedirectResponse("/dashboard", status_code=303)
    user = auth.user
    session = Session(
        token=auth.token,
        user_id=user.id,
        name=user.name,
        email=user.email,
        csrf_token=new_csrf_token(),
    )
    services = services_of(request)
    services.sessions.write(request, response, session)
    services.csrf.clear(response)  # the visitor's token ends here
    return response


def _rejection_message(error: BackendRejectedError, *, signing_up: bool) -> str:
    if error.status_code == 401:
        return "That email and password don't match an account."
    if error.status_code == 409 and signing_up:
        return "An account with that email already exists. Sign in instead."
    if error.status_code == 429:
        wait = f" in {error.retry_after} seconds" if error.retry_after else " later"
        return f"Too many attempts. Please try again{wait}."
    return error.detail


@router.get("/")
async def home(request: Request) -> Response:
    signed_in = services_of(request).sessions.read(request) is not None
    return RedirectResponse("/dashboard" if signed_in else "/sign-in", status_code=303)


async def _auth_page(request: Request, template: str) -> Response:
    services = services_of(request)
    if services.sessions.read(request) is not None:
        return RedirectResponse("/dashboard", status_code=303)
    backend_ready = await services.backend.is_ready(request_id=request_id_of(request.scope))
    notice = SIGN_IN_NOTICES.get(request.query_params.get("reason", ""))
    return render(
        request,
        template,
        {
            "notice": notice,
            "error": None if backend_ready else BACKEND_DOWN_NOTICE,
            "values": {},
        },
    )


@router.get("/sign-in")
async def sign_in_page(request: Request) -> Response:
    return await _auth_page(request, "sign_in.html")


@router.get("/sign-up")
async def sign_up_page(request: Request) -> Response:
    return await _auth_page(request, "sign_up.html")


async def _submit_auth_form(request: Request, *, signing_up: bool) -> Response:
    services = services_of(request)
    template = "sign_up.html" if signing_up else "sign_in.html"
    form = await _form(request)
    values = {"email": form.get("email", "").strip(), "name": form.get("name", "").strip()}
    browser_zone = form.get("timezone", "").strip()

    def again(error: str, status_code: int) -> Response:
        return render(request, template, {"error": error, "values": values}, status_code)

    if not _form_is_authentic(request, form):
        return again(FORM_EXPIRED, 403)
    request_id = request_id_of(request.scope)
    password = form.get("password", "")
    address = request.client.host if request.client else None
    try:
        if signing_up:
            auth = await services.backend.sign_up(
                name=values["name"],
                email=values["email"],
                password=password,
                # The browser's zone, when it names one: otherwise the account starts on UTC.
                timezone=browser_zone if is_time_zone(browser_zone) else None,
                request_id=request_id,
                client_address=address,
            )
        else:
            auth = await services.backend.sign_in(
                email=values["email"],
                password=password,
                request_id=request_id,
                client_address=address,
            )
    except BackendUnavailableError as error:
        logger.warning("account form failed: backend unavailable", extra={"error": str(error)})
        return again(BACKEND_DOWN_NOTICE, 503)
    except BackendRejectedError as error:
        return again(_rejection_message(error, signing_up=signing_up), error.status_code)
    return _signed_in(request, auth)


@router.post("/sign-in")
async def sign_in(request: Request) -> Response:
    return await _submit_auth_form(request, signing_up=False)


@router.post("/sign-up")
async def sign_up(request: Request) -> Response:
    return await _submit_auth_form(request, signing_up=True)


@router.post("/sign-out")
async def sign_out(request: Request) -> Response:
    form = await _form(request)
    if not _form_is_authentic(request, form):
        return RedirectResponse("/dashboard", status_code=303)
    services = services_of(request)
    session = services.sessions.read(request)
    if session is not None:
        try:
            await services.backend.sign_out(
                token=session.token, request_id=request_id_of(request.scope)
            )
        except (BackendUnavailableError, BackendRejectedError) as error:
            # The cookie goes all the same; the token then lapses at its expiry.
            logger.warning("sign-out not confirmed by the backend", extra={"error": str(error)})
    response = RedirectResponse("/sign-in?reason=signed-out", status_code=303)
    services.sessions.clear(response)
    services.csrf.clear(response)
    return response


class SessionEndedError(Exception):
    """The backend refused the session's token."""


async def _task_list(request: Request, session: Session) -> TaskList:
    """The list the page's URL asks for, with the user's time zone and every tag they use."""
    query = TaskQuery.of(request.query_params)
    backend = services_of(request).backend
    token, request_id = session.token, request_id_of(request.scope)
    try:
        tasks = await backend.list_tasks(
            token=token,
            user_id=session.user_id,
            request_id=request_id,
            query=query.api_parameters(),
        )
        user = await backend.me(token=token, request_id=request_id)
        # Filters hide some tags; the chips offer all of them.
        every_task = (
            await backend.list_tasks(token=token, user_id=session.user_id, request_id=request_id)
            if query.narrows
            else tasks
        )
    except BackendUnavailableError as error:
        logger.warning("task list unavailable", extra={"error": str(error)})
        return TaskList.failed(query)
    except BackendRejectedError as error:
        if error.status_code in {401, 403}:
            raise SessionEndedError from error
        raise
    return TaskList.of(
        query,
        tasks,
        every_tag=tags_of(every_task),
        zone_name=user.timezone,
        now=datetime.now(UTC),
    )


def _session_ended(request: Request) -> Response:
    response = RedirectResponse("/sign-in?reason=expired", status_code=303)
    services_of(request).sessions.clear(response)
    return response


@router.get("/dashboard")
async def dashboard(request: Request) -> Response:
    session = services_of(request).sessions.read(request)
    if session is None:
        return RedirectResponse("/sign-in", status_code=303)
    try:
        task_list = await _task_list(request, session)
    except SessionEndedError:
        return _session_ended(request)
    settings = services_of(request).settings
    response = render(
        request,
        "dashboard.html",
        {
            "user": session,
            "task_list": task_list,
            "labels": LABELS,
            "chat_ui": settings.chat_ui,
            "chatkit_domain_key": settings.chatkit_domain_key,
        },
        status_code=503 if task_list.unavailable else 200,
    )
    if settings.chat_ui == "chatkit":
        response.headers["content-security-policy"] = CHATKIT_CONTENT_SECURITY_POLICY
    return response


@router.get("/dashboard/tasks")
async def task_list_fragment(request: Request) -> Response:
    session = services_of(request).sessions.read(request)
    if session is None:
        return JSONResponse({"detail": "You are not signed in."}, status_code=401)
    try:
        task_list = await _task_list(request, session)
    except SessionEndedError:
        response = JSONResponse({"detail": "Your session has ended."}, status_code=401)
        services_of(request).sessions.clear(response)
        return response
    return render(
        request,
        "_tasks.html",
        {"task_list": task_list, "labels": LABELS},
        status_code=503 if task_list.unavailable else 200,
    )


# ---- API tokens for MCP clients ----

TOKEN_LIFETIMES_DAYS = (7, 30, 90, 180, 365)
DEFAULT_TOKEN_LIFETIME_DAYS = 30
TOKEN_NOTICES = {"revoked": "Token revoked: MCP clients that use it can no longer connect."}
TOKENS_UNAVAILABLE = "We can't reach the task service right now. Please try again in a moment."


async def _tokens_page(
    request: Request,
    session: Session,
    *,
    created: NewApiToken | None = None,
    error: str | None = None,
    name: str = "",
    status_code: int = 200,
) -> Response:
    """The tokens page; `SessionEndedError` when the backend refuses the session's token."""
    tokens: list[ApiToken] | None
    try:
        tokens = await services_of(request).backend.list_api_tokens(
            token=session.token, user_id=session.user_id, request_id=request_id_of(request.scope)
        )
    except BackendUnavailableError as unavailable:
        logger.warning("token list unavailable", extra={"error": str(unavailable)})
        tokens, error, status_code = None, error or TOKENS_UNAVAILABLE, 503
    except BackendRejectedError as rejected:
        if rejected.status_code in {401, 403}:
            raise SessionEndedError from rejected
        raise
    return render(
        request,
        "tokens.html",
        {
            "user": session,
            "tokens": tokens,
            "created": created,
            "error": error,
            "notice": TOKEN_NOTICES.get(request.query_params.get("reason", "")),
            "name": name,
            "lifetimes": TOKEN_LIFETIMES_DAYS,
            "default_lifetime": DEFAULT_TOKEN_LIFETIME_DAYS,
            "now": datetime.now(UTC),
        },
        status_code,
    )


@router.get("/tokens")
async def api_tokens_page(request: Request) -> Response:
    session = services_of(request).sessions.read(request)
    if session is None:
        return RedirectResponse("/sign-in", status_code=303)
    try:
        return await _tokens_page(request, session)
    except SessionEndedError:
        return _session_ended(request)


@router.post("/tokens")
async def create_api_token(request: Request) -> Response:
    """Make a token and show it, this once, on the page that answers the form."""
    session = services_of(request).sessions.read(request)
    if session is None:
        return RedirectResponse("/sign-in", status_code=303)
    form = await _form(request)
    try:
        return await _create_api_token(request, session, form)
    except SessionEndedError:
        return _session_ended(request)


async def _create_api_token(request: Request, session: Session, form: dict[str, str]) -> Response:
    name = form.get("name", "").strip()

    def again(error: str, status_code: int) -> Awaitable[Response]:
        return _tokens_page(request, session, error=error, name=name, status_code=status_code)

    if not _form_is_authentic(request, form):
        return await again(FORM_EXPIRED, 403)
    days = form.get("expires_in_days", "")
    if not days.isdigit():
        return await again("Choose when the token expires.", 422)
    try:
        created = await services_of(request).backend.create_api_token(
            token=session.token,
            user_id=session.user_id,
            name=name,
            expires_in_days=int(days),
            request_id=request_id_of(request.scope),
        )
    except BackendUnavailableError as error:
        logger.warning("token not created: backend unavailable", extra={"error": str(error)})
        return await again(TOKENS_UNAVAILABLE, 503)
    except BackendRejectedError as error:
        if error.status_code in {401, 403}:
            raise SessionEndedError from error
        return await again(error.detail, error.status_code)
    return await _tokens_page(request, session, created=created)


@router.post("/tokens/{token_id}/revoke")
async def revoke_api_token(request: Request, token_id: int) -> Response:
    session = services_of(request).sessions.read(request)
    if session is None:
        return RedirectResponse("/sign-in", status_code=303)
    form = await _form(request)
    try:
        return await _revoke_api_token(request, session, form, token_id)
    except SessionEndedError:
        return _session_ended(request)


async def _revoke_api_token(
    request: Request, session: Session, form: dict[str, str], token_id: int
) -> Response:
    if not _form_is_authentic(request, form):
        return await _tokens_page(request, session, error=FORM_EXPIRED, status_code=403)
    try:
        await services_of(request).backend.revoke_api_token(
            token=session.token,
            user_id=session.user_id,
            token_id=token_id,
            request_id=request_id_of(request.scope),
        )
    except BackendUnavailableError as error:
        logger.warning("token not revoked: backend unavailable", extra={"error": str(error)})
        return await _tokens_page(request, session, error=TOKENS_UNAVAILABLE, status_code=503)
    except BackendRejectedError as error:
        if error.status_code in {401, 403}:
            raise SessionEndedError from error
        if error.status_code != 404:  # 404: already revoked, which is what the user asked for
            raise
    return RedirectResponse("/tokens?reason=revoked", status_code=303)
