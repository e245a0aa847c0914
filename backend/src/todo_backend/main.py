"""The backend application: REST API, chat, MCP server and health, in one FastAPI app."""

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from todo_backend import __doc__ as package_doc
from todo_backend.agent import create_agent
from todo_backend.api.errors import install_error_handlers
from todo_backend.api.routes import auth, chat, chatkit, conversations, health, tasks, tokens
from todo_backend.api_docs import install_api_docs
from todo_backend.data.engine import create_engine, create_session_factory, parse_database_url
from todo_backend.mcp_mount import LazyMCPApp
from todo_backend.middleware import BackendRequestMiddleware, Metrics
from todo_backend.migrate import apply_migrations
from todo_backend.ratelimit import SharedCounters
from todo_backend.services import Running, Services
from todo_backend.settings import QUIET_LOGGERS, Settings, get_settings
from todo_backend.throttle import Limits
from todo_common.body_limit import BodyLimit
from todo_common.logs import configure_logging
from todo_common.memory import release_freed_memory
from todo_common.slash_redirect import redirect_slashes_relatively

logger = logging.getLogger("todo_backend")
GC_YOUNG_THRESHOLD = 50_000
OPENAPI_URL = "/openapi.json"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level, quiet=QUIET_LOGGERS)
    metrics = Metrics()
    services = Services.create(settings, metrics)
    mcp = LazyMCPApp(services)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(settings.database_url)
        target = parse_database_url(settings.database_url)
        if settings.migrate_on_start:
            await apply_migrations(engine)
        if not target.is_sqlite:  # every replica counts in one table (`ratelimit`)
            services.limits = Limits.from_settings(settings, SharedCounters(engine))
        logger.info(
            "backend started",
            extra={
                "database": target.safe_url,
                "agent": "openai" if settings.agent_uses_llm else "builtin",
                "local_mode": settings.local_mode,
            },
        )
        agent = create_agent(settings, mcp.server)
        services.running = Running(engine, create_session_factory(engine), agent)
        # Everything loaded so far lives as long as the process: keep the garbage collector from
        # walking it again on every full collection (those walks are the latency tail).
        gc.freeze()
        # A youngest generation big enough for the requests in flight: at Python's default of
        # 700 objects a list of 100 tasks alone set off a collection, which walked every young
        # object of every request then in progress (about 8% of the list's CPU).
        gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])
        release_freed_memory()
        try:
            yield
        finally:
            await mcp.aclose()
            await agent.aclose()
            await engine.dispose()
            services.running = None

    docs = settings.docs_enabled
    app = FastAPI(
        title="Todo Chatbot API",
        version="1.0.0",
        description=package_doc,
        lifespan=lifespan,
        # The routers' routes, on the app itself: each already carries its router's prefix, tags
        # and responses, and FastAPI 0.165 dispatches through an included router at a cost of
        # ~8 µs on every request (a fifth of its own per-request work).
        routes=[
            *health.router.routes,
            *auth.router.routes,
            *tasks.router.routes,
            *chat.router.routes,
            *conversations.router.routes,
            *chatkit.router.routes,
            *tokens.router.routes,
        ],
        # /docs is api_docs' page, which loads nothing from a CDN; api_docs says why no ReDoc.
        docs_url=None,
        redoc_url=None,
        openapi_url=OPENAPI_URL if docs else None,
        # The service reports through its JSON logs and Prometheus metrics: FastAPI's own
        # OpenTelemetry would look for configured providers on every request.
        telemetry={"tracing": False, "metrics": False, "logs": False, "operation_spans": False},
    )
    app.state.services = services
    install_error_handlers(app)
    redirect_slashes_relatively(app)
    if docs:
        install_api_docs(app, OPENAPI_URL)
    app.add_middleware(
        BodyLimit,
        max_body_bytes=settings.max_body_bytes,
        max_drain_bytes=settings.max_body_drain_bytes,
    )
    app.add_middleware(BackendRequestMiddleware, metrics=metrics)  # outermost: it sees every answer
    app.mount("/mcp", mcp)

    if settings.metrics_port == 0:  # otherwise `todo-backend serve` serves them on their port

        @app.get("/metrics", include_in_schema=False)
        async def prometheus_metrics() -> PlainTextResponse:
            return PlainTextResponse(
                generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST
            )

    return app
