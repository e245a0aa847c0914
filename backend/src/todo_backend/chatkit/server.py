"""The ChatKit server: the SDK's request handling over our store, answering with our agent.

A turn goes through the same steps as on `/chat` (`todo_backend.chat.ChatTurns`): started
before the SDK runs (`admission`), then run and finished here. Importing this module loads the
Agents SDK (the ChatKit SDK imports it), so the route imports it on the first ChatKit request."""

import logging
from collections.abc import AsyncIterator

from chatkit.server import ChatKitServer, NonStreamingResult, StreamingResult
from chatkit.types import ChatKitReq, ThreadMetadata, ThreadStreamEvent, UserMessageItem
from pydantic import TypeAdapter

from todo_backend.chat import ChatTurns
from todo_backend.chatkit.admission import admit
from todo_backend.chatkit.replies import ReplyEvents
from todo_backend.chatkit.store import ConversationStore, RequestContext

REQUESTS: TypeAdapter[ChatKitReq] = TypeAdapter(ChatKitReq)


def _quiet_sdk_logs() -> None:
    """The SDK's logger gets a plain-text handler of its own when LOG_LEVEL is set, and logs
    each request at INFO: its lines go through our JSON logs instead, from WARNING."""
    sdk_logger = logging.getLogger("chatkit")
    sdk_logger.handlers.clear()
    sdk_logger.setLevel(max(logging.WARNING, logging.getLogger().level))


class TodoChatKitServer(ChatKitServer[RequestContext]):
    def __init__(self, turns: ChatTurns) -> None:
        _quiet_sdk_logs()
        self.conversations = ConversationStore()
        super().__init__(self.conversations)
        self._turns = turns

    async def process(
        self, request: str | bytes | bytearray, context: RequestContext
    ) -> StreamingResult | NonStreamingResult:
        """Check the request, and start its turn if it sends a message (`admission`), before
        the SDK handles it; a malformed one raises pydantic's ValidationError, as the SDK's own
        parsing does."""
        await admit(
            REQUESTS.validate_json(request), context, store=self.conversations, turns=self._turns
        )
        return await super().process(request, context)

    async def answer(self, request: bytes, context: RequestContext) -> bytes | AsyncIterator[bytes]:
        """The SDK's answer: a JSON body, or the server-sent events of a stream."""
        result = await self.process(request, context)
        return result.json if isinstance(result, NonStreamingResult) else aiter(result)

    async def respond(
        self,
        thread: ThreadMetadata,
        input_user_message: UserMessageItem | None,
        context: RequestContext,
    ) -> AsyncIterator[ThreadStreamEvent]:
        """The turn `admission` started: the agent's tool calls and text as they happen, then
        the whole reply once it is stored. Only user messages start one."""
        turn = context.turn
        assert turn is not None
        if thread.title is None:
            # A new thread learns the title its conversation was given (the SDK sends the change).
            thread.title = (await self.store.load_thread(thread.id, context)).title
        replies = ReplyEvents(
            thread.id, lambda kind: self.store.generate_item_id(kind, thread, context)
        )
        async for event in self._turns.run(turn):
            for reply_event in replies.of(event):
                yield reply_event
        await self._turns.finish(context.session, turn)
        for reply_event in replies.finish(turn.reply):
            yield reply_event
