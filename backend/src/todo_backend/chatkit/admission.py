"""What is checked before the SDK runs a ChatKit request, so every refusal is a plain JSON error
with its status before any stream starts: the input (as `/chat` checks it), the thread's owner
(another user's thread is not found), the chat turn limits and the quotas.

A turn counts against the same per-user limits as `/chat`, so ChatKit is no way around them."""

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

from todo_backend import chat
from todo_backend.chatkit.store import (
    ConversationStore,
    RequestContext,
    UnsupportedRequestError,
    user_text,
)
from todo_backend.models import TITLE_MAX, ChatRequest, InputModel
from todo_backend.quotas import check_turn_room
from todo_backend.settings import Quotas
from todo_backend.throttle import Limits

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


def message_of(user_input: UserMessageInput) -> str:
    """The message's text, held to the rules of `/chat` (ValidationError otherwise)."""
    if user_input.attachments:
        raise UnsupportedRequestError("Attachments are not supported")
    return ChatRequest.model_validate({"message": user_text(user_input.content)}).message


async def admit(
    request: ChatKitReq,
    context: RequestContext,
    *,
    store: ConversationStore,
    limits: Limits,
    quotas: Quotas,
) -> None:
    """Refuse what must not run; for a new thread, start its conversation."""
    match request:
        case ThreadsCreateReq():
            message = message_of(request.params.input)
            await limits.count_chat_turn(context.user_id)
            context.new_conversation_id = await chat.start_conversation(
                context.session, quotas, user_id=context.user_id, first_message=message
            )
        case ThreadsAddUserMessageReq():
            message_of(request.params.input)
            conversation_id = await store.conversation_id(request.params.thread_id, context)
            await limits.count_chat_turn(context.user_id)
            await check_turn_room(
                context.session, quotas, user_id=context.user_id, conversation_id=conversation_id
            )
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
