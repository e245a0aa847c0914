"""What is done before the SDK runs a ChatKit request, so every refusal is a plain JSON error
with its status before any stream starts: the input is checked (as `/chat` checks it) and the
thread's owner (another user's thread is not found); a request that sends a message starts its
turn here, as `/chat` does (`chat.ChatTurns`: the chat limits, the quotas, the message stored)."""

from collections.abc import Sequence

from chatkit.types import (
    ChatKitReq,
    ItemsFeedbackReq,
    ItemsListReq,
    ThreadsAddUserMessageReq,
    ThreadsCreateReq,
    ThreadsDeleteReq,
    ThreadsGetByIdReq,
    ThreadsListReq,
    ThreadsUpdateReq,
    UserMessageInput,
)
from pydantic import Field, field_validator

from todo_backend.chat import ChatTurns, Turn, TurnRequest
from todo_backend.chatkit.store import (
    ConversationStore,
    RequestContext,
    UnsupportedRequestError,
    user_text,
)
from todo_backend.models import TITLE_MAX, ChatRequest, InputModel

SUPPORTED: Sequence[str] = (
    "threads.create",
    "threads.add_user_message",
    "threads.get_by_id",
    "threads.list",
    "threads.update",
    "threads.delete",
    "items.list",
    "items.feedback",
)


class TitleChange(InputModel):
    title: str = Field(min_length=1, max_length=TITLE_MAX)

    @field_validator("title", mode="before")
    @classmethod
    def _strip_title(cls, value: object) -> object:
        return value.strip() if isinstance(value, str) else value


def message_of(user_input: UserMessageInput) -> ChatRequest:
    """The message as `/chat` would take it (ValidationError when `/chat` would refuse it)."""
    if user_input.attachments:
        raise UnsupportedRequestError("Attachments are not supported")
    return ChatRequest.model_validate({"message": user_text(user_input.content)})


async def admit(
    request: ChatKitReq, context: RequestContext, *, store: ConversationStore, turns: ChatTurns
) -> None:
    """Refuse what must not run; for a message, start its turn."""
    match request:
        case ThreadsCreateReq():
            body = message_of(request.params.input)
            context.turn = await _started(turns, context, body)
        case ThreadsAddUserMessageReq():
            body = message_of(request.params.input)
            conversation_id = await store.conversation_id(request.params.thread_id, context)
            body = body.model_copy(update={"conversation_id": conversation_id})
            context.turn = await _started(turns, context, body)
        case ThreadsUpdateReq():
            TitleChange.model_validate({"title": request.params.title})
            await store.conversation_id(request.params.thread_id, context)
        case ThreadsGetByIdReq() | ItemsListReq() | ThreadsDeleteReq() | ItemsFeedbackReq():
            await store.conversation_id(request.params.thread_id, context)
        case ThreadsListReq():
            pass
        case _:
            raise UnsupportedRequestError(
                f"This server does not support {request.type!r} requests; it answers "
                f"{', '.join(SUPPORTED)}"
            )


async def _started(turns: ChatTurns, context: RequestContext, body: ChatRequest) -> Turn:
    turn = await turns.start(context.session, TurnRequest(context.caller, body))
    assert isinstance(turn, Turn)  # only a request with an Idempotency-Key has a stored answer
    return turn
