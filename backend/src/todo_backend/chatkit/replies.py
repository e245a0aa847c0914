"""One turn's agent events as ChatKit thread events.

Tool calls become tasks of one workflow item, the SDK's way of showing work done on the server
(its Agents SDK adapter does the same for reasoning); the reply becomes one assistant message
whose text streams in pieces. Either agent's events map the same way."""

import json
from collections.abc import Callable

from chatkit.store import StoreItemType
from chatkit.types import (
    AssistantMessageContent,
    AssistantMessageContentPartAdded,
    AssistantMessageContentPartDone,
    AssistantMessageContentPartTextDelta,
    AssistantMessageItem,
    CustomSummary,
    CustomTask,
    ThreadItemAddedEvent,
    ThreadItemDoneEvent,
    ThreadItemUpdatedEvent,
    ThreadStreamEvent,
    Workflow,
    WorkflowItem,
    WorkflowTaskAdded,
)

from todo_backend.agent.base import AgentEvent, TextDelta, ToolCallEvent
from todo_backend.models import utc_now

NewItemId = Callable[[StoreItemType], str]


def _task_of(call: ToolCallEvent) -> CustomTask:
    """A tool call as a finished task: its name, with what it was given and what it answered."""
    details = json.dumps({"arguments": call.arguments, "result": call.result}, default=str)
    return CustomTask(title=call.name, content=details, status_indicator="complete")


class ReplyEvents:
    """Turns one turn's agent events into thread events, keeping the items open so far."""

    def __init__(self, thread_id: str, new_item_id: NewItemId) -> None:
        self._thread_id = thread_id
        self._new_item_id = new_item_id
        self._workflow: WorkflowItem | None = None
        self._message: AssistantMessageItem | None = None

    def of(self, event: AgentEvent) -> list[ThreadStreamEvent]:
        if isinstance(event, ToolCallEvent):
            return self._tool_call(event)
        return self._text(event)

    def finish(self, reply: str) -> list[ThreadStreamEvent]:
        """Close the items: the message ends with `reply`, the text that is stored (it may
        differ from the pieces streamed: trimmed, or the apology when the agent said nothing)."""
        events = self._close_workflow()
        content = AssistantMessageContent(text=reply)
        if self._message is None:
            self._message = self._new_message()
        else:
            events.append(
                self._update(AssistantMessageContentPartDone(content_index=0, content=content))
            )
        done = self._message.model_copy(update={"content": [content]})
        events.append(ThreadItemDoneEvent(item=done))
        return events

    def _tool_call(self, call: ToolCallEvent) -> list[ThreadStreamEvent]:
        task = _task_of(call)
        if self._workflow is None:
            self._workflow = WorkflowItem(
                id=self._new_item_id("workflow"),
                thread_id=self._thread_id,
                created_at=utc_now(),
                workflow=Workflow(type="custom", tasks=[task]),
            )
            return [ThreadItemAddedEvent(item=self._workflow)]
        self._workflow.workflow.tasks.append(task)
        index = len(self._workflow.workflow.tasks) - 1
        return [
            ThreadItemUpdatedEvent(
                item_id=self._workflow.id, update=WorkflowTaskAdded(task_index=index, task=task)
            )
        ]

    def _text(self, delta: TextDelta) -> list[ThreadStreamEvent]:
        events = self._close_workflow()
        if self._message is None:
            self._message = self._new_message()
            events.append(ThreadItemAddedEvent(item=self._message))
            events.append(
                self._update(
                    AssistantMessageContentPartAdded(
                        content_index=0, content=AssistantMessageContent(text="")
                    )
                )
            )
        events.append(
            self._update(AssistantMessageContentPartTextDelta(content_index=0, delta=delta.text))
        )
        return events

    def _close_workflow(self) -> list[ThreadStreamEvent]:
        """The workflow ends when text follows it, or with the turn, as the SDK's adapter
        ends one when a visible item comes after it."""
        if self._workflow is None:
            return []
        count = len(self._workflow.workflow.tasks)
        self._workflow.workflow.summary = CustomSummary(
            title=f"Used {count} tool{'' if count == 1 else 's'}"
        )
        done = ThreadItemDoneEvent(item=self._workflow)
        self._workflow = None
        return [done]

    def _new_message(self) -> AssistantMessageItem:
        return AssistantMessageItem(
            id=self._new_item_id("message"),
            thread_id=self._thread_id,
            created_at=utc_now(),
            content=[],
        )

    def _update(
        self,
        update: AssistantMessageContentPartAdded
        | AssistantMessageContentPartTextDelta
        | AssistantMessageContentPartDone,
    ) -> ThreadItemUpdatedEvent:
        assert self._message is not None
        return ThreadItemUpdatedEvent(item_id=self._message.id, update=update)
