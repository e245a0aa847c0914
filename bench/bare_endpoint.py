"""The floor the backend is measured against: listing a user's tasks with no framework at all.

A plain Starlette route on uvicorn (one worker, uvloop and httptools, as the backend runs):
it verifies the HS256 bearer token (signature, audience, expiry), checks that the path's user
is the token's, runs one asyncpg SELECT and writes the rows with orjson. No validation model,
no dependency injection, no middleware, no logs, no metrics, no revocation check.

`backend_bench.py` runs it side by side with the backend, on the same database, and prints the
backend's throughput as a fraction of this one's.

Run: `python bench/bare_endpoint.py` with DATABASE_URL (postgresql://...), BETTER_AUTH_SECRET
and PORT."""

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import jwt
import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

SECRET = os.environ.get("BETTER_AUTH_SECRET", "")
AUDIENCE = "todo-chatbot-api"  # what the backend's tokens are minted for
LIST_SQL = (
    "SELECT id, user_id, title, description, completed, created_at, updated_at "
    "FROM tasks WHERE user_id = $1 ORDER BY id DESC"
)
JSON = "application/json"


def _json(status: int, body: object) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type=JSON)


async def list_tasks(request: Request) -> Response:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return _json(401, {"detail": "Sign in first"})
    try:
        claims = jwt.decode(token, SECRET, algorithms=["HS256"], audience=AUDIENCE)
    except jwt.PyJWTError:
        return _json(401, {"detail": "Sign in first"})
    user_id = request.path_params["user_id"]
    if claims.get("sub") != user_id:
        return _json(403, {"detail": "Not yours"})
    pool: asyncpg.Pool = request.app.state.pool
    rows = await pool.fetch(LIST_SQL, user_id)
    return Response(orjson.dumps([dict(row) for row in rows]), media_type=JSON)


async def health(request: Request) -> Response:
    return Response(b'{"status":"ok"}', media_type=JSON)


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    url = os.environ["DATABASE_URL"].replace("postgresql+asyncpg://", "postgresql://", 1)
    async with asyncpg.create_pool(url, min_size=1, max_size=10) as pool:
        app.state.pool = pool
        yield


app = Starlette(
    routes=[
        Route("/api/{user_id}/tasks", list_tasks),
        Route("/api/health", health),
        Route("/api/health/live", health),
    ],
    lifespan=lifespan,
)

if __name__ == "__main__":
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=int(os.environ.get("PORT", "8000")),
        log_config=None,
        access_log=False,
    )
