"""Probes: liveness (the process answers) and readiness (the database answers)."""

import logging

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from sqlalchemy import text

from todo_backend.api.deps import ServicesDep
from todo_backend.models import HealthStatus
from todo_common.build import VERSION

router = APIRouter(prefix="/api/health", tags=["health"])
logger = logging.getLogger("todo_backend.health")


@router.get("", response_model=HealthStatus, responses={503: {"model": HealthStatus}})
async def readiness(services: ServicesDep) -> JSONResponse:
    """Ready to serve: runs a query; 503 while the database is unreachable. Says which code
    answers: the version and the image's build."""
    code = {"version": VERSION, "build": services.settings.image_build}
    try:
        async with services.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as error:
        logger.warning("database unavailable", extra={"error": type(error).__name__})
        return JSONResponse(
            {"status": "unavailable", "database": "unavailable", **code}, status_code=503
        )
    return JSONResponse({"status": "ok", "database": "ok", **code})


# What HealthStatus(status="ok") is written as, once: the probe runs every few seconds, and a
# load test's trivial request measures the fixed cost of every request.
_LIVE = HealthStatus(status="ok").model_dump_json(exclude={"version", "build"}).encode()


@router.get("/live", response_model=HealthStatus)
async def liveness() -> Response:
    """The process is up; does not touch the database, so a database outage restarts nothing."""
    return Response(_LIVE, media_type="application/json")
