"""`POST /chatkit`: OpenAI ChatKit's protocol, so a ChatKit frontend can use this backend.

The same bearer token as the rest of the API; the caller's conversations are ChatKit's threads.
A request that starts a turn answers a stream of server-sent events, any other a JSON body.

The ChatKit SDK is imported on the first request, not at start-up: it and the Agents SDK it
loads would otherwise cost every backend memory and start-up time, used or not."""

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING

from fastapi import APIRouter, HTTPException, Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import StreamingResponse
from pydantic import ValidationError

from todo_backend.api.deps import CurrentCaller, ServicesDep
from todo_backend.api.errors import error_responses
from todo_backend.chat import ChatTurns
from todo_backend.data.engine import open_session
from todo_backend.services import Services

if TYPE_CHECKING:
    from todo_backend.chatkit.server import TodoChatKitServer
    from todo_backend.chatkit.store import RequestContext

router = APIRouter(tags=["chatkit"], responses=error_responses(401, 404, 409, 422, 429))

REQUEST_BODY = {
    "required": True,
    "description": "A ChatKit request, as the ChatKit web component sends it: "
    '{"type": "threads.create", "params": {...}} and the like.',
    "content": {"application/json": {"schema": {"type": "object"}}},
}


def _server(services: Services) -> "TodoChatKitServer":
    """The app's ChatKit server, made on first use."""
    if services.chatkit_server is None:
        from todo_backend.chatkit.server import TodoChatKitServer

        services.chatkit_server = TodoChatKitServer(ChatTurns(services))
    return services.chatkit_server


async def _answer(
    server: "TodoChatKitServer", body: bytes, context: "RequestContext"
) -> bytes | AsyncIterator[bytes]:
    """The SDK's answer, with its refusals as our JSON errors."""
    from chatkit.store import NotFoundError

    from todo_backend.chatkit.store import UnsupportedRequestError

    try:
        return await server.answer(body, context)
    except ValidationError as error:
        raise RequestValidationError(error.errors()) from None
    except NotFoundError:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Thread not found") from None
    except UnsupportedRequestError as error:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(error)) from None


async def _relayed(closing: AsyncExitStack, events: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    async with closing:
        async for event in events:
            yield event


@router.post(
    "/chatkit",
    response_class=Response,
    openapi_extra={"requestBody": REQUEST_BODY},
    responses={
        200: {
            "content": {"application/json": {}, "text/event-stream": {}},
            "description": "JSON for reads and changes; server-sent ChatKit events for a turn.",
        }
    },
)
async def chatkit(request: Request, caller: CurrentCaller, services: ServicesDep) -> Response:
    """One ChatKit request. Supported: threads.create, threads.add_user_message (a turn with
    the assistant, streamed), threads.list, threads.get_by_id, threads.update,
    threads.delete, items.list and items.feedback."""
    from todo_backend.chatkit.store import RequestContext

    # A streamed turn owns its session until the stream ends (see the /chat/stream route).
    closing = AsyncExitStack()
    session = await closing.enter_async_context(open_session(services.session_factory))
    context = RequestContext(session=session, caller=caller)
    try:
        answer = await _answer(_server(services), await request.body(), context)
    except BaseException:
        await closing.aclose()
        raise
    if isinstance(answer, bytes):
        await closing.aclose()
        return Response(answer, media_type="application/json")
    return StreamingResponse(
        _relayed(closing, answer),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
