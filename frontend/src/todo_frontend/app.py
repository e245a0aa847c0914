"""The frontend application: pages, static assets, health and the /api proxy."""

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from http.cookiejar import CookieJar, DefaultCookiePolicy

import httpx
from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from todo_common.body_limit import BodyLimit
from todo_common.build import VERSION
from todo_common.memory import release_freed_memory
from todo_common.serving import CLIENT_KEEP_ALIVE_SECONDS
from todo_common.slash_redirect import redirect_slashes_relatively
from todo_frontend import pages, proxy
from todo_frontend.middleware import FrontendRequestMiddleware
from todo_frontend.services import PACKAGE_DIR, Services, services_of
from todo_frontend.settings import Settings

logger = logging.getLogger("todo_frontend")


class RevalidatedStaticFiles(StaticFiles):
    """Assets are cached but checked (by ETag) on every use, so a new release shows at once."""

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["cache-control"] = "no-cache"
        return response


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/chatkit"


health = APIRouter()


@health.get("/api/health")
async def readiness(request: Request) -> dict[str, str]:
    """Readiness of the frontend itself: it serves pages (and says so) without the backend.
    Says which code answers: the version and the image's build."""
    build = services_of(request).settings.image_build
    return {"status": "ok", "version": VERSION, "build": build}


@health.get("/api/health/live")
async def liveness() -> dict[str, str]:
    return {"status": "ok"}


PAGE_ERRORS = {
    404: ("Page not found", "There is nothing at this address."),
    405: ("Not allowed", "This page can't be used that way."),
}


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    services = Services.create(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with httpx.AsyncClient(
            base_url=settings.backend_url,
            timeout=httpx.Timeout(settings.backend_timeout_seconds, connect=3.0),
            limits=httpx.Limits(
                max_connections=200,
                max_keepalive_connections=50,
                keepalive_expiry=CLIENT_KEEP_ALIVE_SECONDS,
            ),
            # One client serves every user: it must never keep a cookie from one answer and
            # send it along with someone else's request.
            cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),
        ) as client:
            services.http = client
            logger.info("frontend started", extra={"backend_url": settings.backend_url})
            release_freed_memory()
            yield
            services.http = None

    app = FastAPI(
        title="Todo Chatbot frontend",
        lifespan=lifespan,
        # The routers' routes on the app itself, as in the backend (main.py says why); health
        # first, before the proxy's /api/{path}.
        routes=[*health.routes, *pages.router.routes, *proxy.router.routes],
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.services = services
    redirect_slashes_relatively(app)
    # Bodies are limited while they are read, before a form or the proxy parses them.
    app.add_middleware(
        BodyLimit,
        max_body_bytes=settings.max_body_bytes,
        max_drain_bytes=settings.max_body_drain_bytes,
    )
    app.add_middleware(FrontendRequestMiddleware)  # outermost: it sees every answer

    app.mount("/static", RevalidatedStaticFiles(directory=PACKAGE_DIR / "static"), name="static")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        if _wants_json(request):
            return JSONResponse({"detail": error.detail}, status_code=error.status_code)
        title, message = PAGE_ERRORS.get(error.status_code, ("Something went wrong", ""))
        return pages.render(
            request, "error.html", {"title": title, "message": message}, error.status_code
        )

    return app
