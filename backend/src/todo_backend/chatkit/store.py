"""The ChatKit SDK's Store over our own tables: threads are conversations, items are messages.

Everything goes through the data layer (`data/`), scoped by the caller, so another user's
thread is simply not found. Only messages are kept, and the chat turn stores them
(`chat.ChatTurns`), as on `/chat`: a turn's tool calls stream to the client as a workflow item
but are not stored, as in our own widget's history. Attachments are not supported."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal, TypeVar

from chatkit.store import NotFoundError, Store
from chatkit.types import (
    AssistantMessageContent,
    AssistantMessageItem,
    Attachment,
    InferenceOptions,
    Page,
    ThreadItem,
    ThreadMetadata,
    UserMessageContent,
    UserMessageItem,
    UserMessageTagContent,
    UserMessageTextContent,
)
from sqlmodel.ext.asyncio.session import AsyncSession

from todo_backend.chat import Turn
from todo_backend.chatkit import ids
from todo_backend.data import conversations as conversation_data
from todo_backend.models import Conversation, Message
from todo_backend.security import TokenClaims

T = TypeVar("T")
PAGE_MAX = 100
Order = Literal["asc", "desc"]


class UnsupportedRequestError(Exception):
    """The request is valid ChatKit but asks for something this server does not offer."""


@dataclass
class RequestContext:
    """One request's caller and database session. A request that sends a message starts its
    turn before the SDK runs (`admission`): the turn, and with it a new thread's conversation,
    is carried here."""

    session: AsyncSession
    caller: TokenClaims
    turn: Turn | None = None
    # Threads already found to be the caller's: a turn asks the store about its thread several
    # times, and the answer cannot change within one request.
    owned: dict[str, int] = field(default_factory=dict)

    @property
    def user_id(self) -> str:
        return self.caller.subject


def user_text(content: Sequence[UserMessageContent]) -> str:
    """A user message's text: its text parts and the text of its tags, in order."""
    return "".join(
        part.text
        for part in content
        if isinstance(part, UserMessageTextContent | UserMessageTagContent)
    )


def item_of(message: Message, thread: str) -> ThreadItem:
    """A stored message as the ChatKit item the client shows."""
    assert message.id is not None
    if message.role == "user":
        return UserMessageItem(
            id=ids.item_id(message.id),
            thread_id=thread,
            created_at=message.created_at,
            content=[UserMessageTextContent(text=message.content)],
            inference_options=InferenceOptions(),
        )
    return AssistantMessageItem(
        id=ids.item_id(message.id),
        thread_id=thread,
        created_at=message.created_at,
        content=[AssistantMessageContent(text=message.content)],
    )


def thread_of(conversation: Conversation) -> ThreadMetadata:
    assert conversation.id is not None
    return ThreadMetadata(
        id=ids.thread_id(conversation.id),
        title=conversation.title,
        created_at=conversation.created_at,
    )


def page_of(
    rows: Sequence[T], key: Callable[[T], str], *, after: str | None, limit: int, order: Order
) -> Page[T]:
    """One page of an already bounded collection (quotas bound every collection), in `order`
    from the row after the one whose key is `after`. A page size out of range is brought into
    it rather than refused: the client pages on with `after` either way."""
    limit = min(max(limit, 1), PAGE_MAX)
    ordered = list(rows) if order == "asc" else list(reversed(rows))
    start = 0
    if after is not None:
        keys = [key(row) for row in ordered]
        if after not in keys:
            raise NotFoundError(f"No item {after!r} to continue after")
        start = keys.index(after) + 1
    data = ordered[start : start + limit]
    more = start + limit < len(ordered)
    return Page(data=data, has_more=more, after=key(data[-1]) if more and data else None)


class ConversationStore(Store[RequestContext]):
    """Threads and items read and written through the data layer, as the caller."""

    def generate_thread_id(self, context: RequestContext) -> str:
        if context.turn is None:
            raise UnsupportedRequestError("A thread is started only by its first message")
        return ids.thread_id(context.turn.conversation_id)

    async def _conversation(self, thread: str, context: RequestContext) -> Conversation:
        conversation_id = ids.conversation_id_of(thread)
        found = (
            None
            if conversation_id is None
            else await conversation_data.get_conversation(
                context.session, user_id=context.user_id, conversation_id=conversation_id
            )
        )
        if found is None:
            raise NotFoundError("Thread not found")
        return found

    async def conversation_id(self, thread: str, context: RequestContext) -> int:
        """The caller's conversation behind a thread id; NotFoundError if there is none."""
        if thread not in context.owned:
            conversation = await self._conversation(thread, context)
            assert conversation.id is not None
            context.owned[thread] = conversation.id
        return context.owned[thread]

    async def load_thread(self, thread_id: str, context: RequestContext) -> ThreadMetadata:
        return thread_of(await self._conversation(thread_id, context))

    async def save_thread(self, thread: ThreadMetadata, context: RequestContext) -> None:
        """Only the title can change (a new thread's conversation already exists)."""
        conversation = await self._conversation(thread.id, context)
        if thread.title is not None and thread.title != conversation.title:
            await conversation_data.rename_conversation(
                context.session, conversation=conversation, title=thread.title.strip()
            )
            await context.session.commit()

    async def load_threads(
        self, limit: int, after: str | None, order: str, context: RequestContext
    ) -> Page[ThreadMetadata]:
        """Most recently active first ("desc"), as our widget lists them."""
        conversations = await conversation_data.list_conversations(
            context.session, user_id=context.user_id
        )
        threads = [thread_of(c) for c in reversed(conversations)]
        return page_of(threads, lambda t: t.id, after=after, limit=limit, order=_order(order))

    async def delete_thread(self, thread_id: str, context: RequestContext) -> None:
        conversation = await self._conversation(thread_id, context)
        await conversation_data.delete_conversation(context.session, conversation=conversation)
        await context.session.commit()

    async def load_thread_items(
        self,
        thread_id: str,
        after: str | None,
        limit: int,
        order: str,
        context: RequestContext,
    ) -> Page[ThreadItem]:
        conversation_id = await self.conversation_id(thread_id, context)
        messages = await conversation_data.list_messages(
            context.session, user_id=context.user_id, conversation_id=conversation_id
        )
        items = [item_of(m, thread_id) for m in messages]
        return page_of(items, lambda i: i.id, after=after, limit=limit, order=_order(order))

    async def load_item(self, thread_id: str, item_id: str, context: RequestContext) -> ThreadItem:
        conversation_id = await self.conversation_id(thread_id, context)
        messages = await conversation_data.list_messages(
            context.session, user_id=context.user_id, conversation_id=conversation_id
        )
        for message in messages:
            if message.id == ids.message_id_of(item_id):
                return item_of(message, thread_id)
        raise NotFoundError("Item not found")

    async def add_thread_item(
        self, thread_id: str, item: ThreadItem, context: RequestContext
    ) -> None:
        """Nothing to write: the turn stored the user's message before the SDK ran and stores
        the reply when it ends. The user's item takes its row's id; a streamed reply keeps the
        id it streamed under until the thread is read again."""
        if isinstance(item, UserMessageItem) and context.turn is not None:
            item.id = ids.item_id(context.turn.user_message_id)

    async def save_item(self, thread_id: str, item: ThreadItem, context: RequestContext) -> None:
        raise UnsupportedRequestError("Stored messages do not change")

    async def delete_thread_item(
        self, thread_id: str, item_id: str, context: RequestContext
    ) -> None:
        raise UnsupportedRequestError("Messages are deleted only with their conversation")

    async def save_attachment(self, attachment: Attachment, context: RequestContext) -> None:
        raise UnsupportedRequestError("Attachments are not supported")

    async def load_attachment(self, attachment_id: str, context: RequestContext) -> Attachment:
        raise UnsupportedRequestError("Attachments are not supported")

    async def delete_attachment(self, attachment_id: str, context: RequestContext) -> None:
        raise UnsupportedRequestError("Attachments are not supported")


def _order(value: str) -> Order:
    return "asc" if value == "asc" else "desc"
