"""Server-rendered pages: sign-in, sign-up, sign-out and the dashboard (plus its task-list
fragment, which the dashboard's script fetches to redraw the list after every change)."""

import logging
from dataclasses import dataclass
from typing import Any, Literal

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse

from todo_frontend.backend import (
    AuthResult,
    BackendRejectedError,
    BackendUnavailableError,
    Task,
)
from todo_frontend.middleware import CHATKIT_CONTENT_SECURITY_POLICY, request_id_of
from todo_frontend.security import CSRF_FIELD, Session
from todo_frontend.services import services_of

logger = logging.getLogger("todo_frontend.pages")
router = APIRouter(default_response_class=HTMLResponse)

Filter = Literal["all", "pending", "completed"]
FILTERS: tuple[Filter, ...] = ("all", "pending", "completed")
SIGN_IN_NOTICES = {
    "expired": "Your session has ended. Please sign in again.",
    "signed-out": "You have signed out.",
}
BACKEND_DOWN_NOTICE = (
    "We can't reach the task service right now, so signing in will not work. "
    "Please try again in a moment."
)
FORM_EXPIRED = "This form expired. Please try again."


def render(
    request: Request, template: str, context: dict[str, Any], status_code: int = 200
) -> Response:
    """Render a page with this browser's CSRF token (setting its cookie on first visit)."""
    services = services_of(request)
    token, is_new = services.csrf.token_for(request)
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
    return services_of(request).csrf.is_valid(request, form.get(CSRF_FIELD))


def _signed_in(request: Request, auth: AuthResult) -> Response:
    response = RedirectResponse("/dashboard", status_code=303)
    user = auth.user
    session = Session(token=auth.token, user_id=user.id, name=user.name, email=user.email)
    services_of(request).sessions.write(request, response, session)
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
    return response


@dataclass(frozen=True)
class TaskList:
    """What the task-list fragment shows: one filter's tasks, the counts, or an error."""

    status: Filter
    tasks: list[Task]
    counts: dict[Filter, int]
    unavailable: bool = False

    @classmethod
    def of(cls, tasks: list[Task], status: Filter) -> "TaskList":
        pending = [task for task in tasks if not task.completed]
        completed = [task for task in tasks if task.completed]
        by_filter: dict[Filter, list[Task]] = {
            "all": tasks,
            "pending": pending,
            "completed": completed,
        }
        counts = {name: len(shown) for name, shown in by_filter.items()}
        return cls(status=status, tasks=by_filter[status], counts=counts)

    @classmethod
    def failed(cls, status: Filter) -> "TaskList":
        return cls(status=status, tasks=[], counts={}, unavailable=True)


def _filter_of(request: Request) -> Filter:
    requested = request.query_params.get("status", "all")
    return next((name for name in FILTERS if name == requested), "all")


class SessionEndedError(Exception):
    """The backend refused the session's token."""


async def _task_list(request: Request, session: Session) -> TaskList:
    status = _filter_of(request)
    try:
        tasks = await services_of(request).backend.list_tasks(
            token=session.token, user_id=session.user_id, request_id=request_id_of(request.scope)
        )
    except BackendUnavailableError as error:
        logger.warning("task list unavailable", extra={"error": str(error)})
        return TaskList.failed(status)
    except BackendRejectedError as error:
        if error.status_code in {401, 403}:
            raise SessionEndedError from error
        raise
    return TaskList.of(tasks, status)


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
        {"task_list": task_list},
        status_code=503 if task_list.unavailable else 200,
    )
