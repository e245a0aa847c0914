"""The built-in agent's hands: every change goes through the task tools, each call is recorded as
an event, and delete, complete and rename touch only a task the user has named for sure."""

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from todo_backend.agent.base import AgentEvent, HistoryMessage, ToolCallEvent
from todo_backend.agent.builtin import followups, plan_replies, replies
from todo_backend.agent.builtin.dates import Unreadable, resolve
from todo_backend.agent.builtin.followups import (
    PLAN_ACTIONS,
    Action,
    Pending,
    PendingChoice,
    PendingConfirmation,
    PendingDate,
)
from todo_backend.agent.builtin.plan_replies import Speaker
from todo_backend.agent.builtin.plans import read_plan, read_priority, tag_names
from todo_backend.agent.builtin.questions import ListFilter
from todo_backend.agent.builtin.references import (
    PRONOUN,
    Ambiguous,
    Found,
    NotFound,
    TaskRow,
    mentions,
    reference_words,
    task_number,
)
from todo_backend.agent.builtin.references import (
    resolve as resolve_reference,
)
from todo_backend.agent.builtin.titles import NewTask, amended, new_tasks
from todo_backend.models import ID_MAX, ID_MIN, TaskStatus
from todo_backend.tools import LIST_MAX, TaskToolError, ToolContext, call_tool

_PRONOUN = re.compile(PRONOUN, re.IGNORECASE)
# Which tasks a loose name means first, for the actions that care: pending ones to complete,
# completed ones to reopen.
_PREFER_COMPLETED: dict[Action, bool] = {"complete": False, "reopen": True}


class TaskActions:
    """One turn's work with the task tools; `events` holds every call and its result."""

    def __init__(
        self, ctx: ToolContext, history: Sequence[HistoryMessage], now: datetime, zone: ZoneInfo
    ) -> None:
        self.ctx = ctx
        self.history = history
        self.now = now  # the turn's one "now": relative dates are read from it, in `zone`
        self.zone = zone
        self.say = Speaker(now, zone)
        self.events: list[AgentEvent] = []
        self._listed: dict[TaskStatus, list[TaskRow]] = {}

    async def tool(self, name: str, **arguments: Any) -> Any:
        arguments = {"user_id": self.ctx.caller_id, **arguments}
        if name != "list_tasks":
            self._listed.clear()  # a change makes every list read so far stale
        try:
            result = await call_tool(self.ctx, name, arguments)
        except TaskToolError as error:
            self.events.append(ToolCallEvent(name, arguments, {"error": str(error)}))
            raise
        self.events.append(ToolCallEvent(name, arguments, result))
        return result

    async def tasks(self, status: TaskStatus = "all") -> list[TaskRow]:
        """The caller's tasks, listed once a turn until something changes them."""
        if status not in self._listed:
            # All of them (the per-user quota bounds them): the task meant may be an old one.
            listed = await self.tool("list_tasks", status=status, limit=LIST_MAX)
            self._listed[status] = [TaskRow.from_tool(row) for row in listed["tasks"]]
        return self._listed[status]

    def due(self, when: str) -> datetime | Unreadable:
        return resolve(when, self.now, self.zone)

    def date_problem(self, when: str, message: str) -> str | None:
        """The question to ask when `when` in `message` names no date; None when it names one."""
        due = self.due(when)
        return followups.ask_date(due.phrase, message) if isinstance(due, Unreadable) else None

    async def add(self, raw: str, message: str, when: str | None = None) -> str:
        """Add the task or tasks one message asks for, all or none, with the due date, priority
        and tags its words give them."""
        plan = read_plan(raw)
        when = when or plan.when
        plans: dict[str, Any] = {"tags": plan.tags} if plan.tags else {}
        priority = plan.priority or read_priority(message)[1]  # "add an urgent task to ..."
        if priority:
            plans["priority"] = priority
        if when:
            due = self.due(when)
            if isinstance(due, Unreadable):
                return followups.ask_date(due.phrase, message)
            plans["due_at"] = due.isoformat()
        wanted: list[NewTask] = new_tasks(plan.title)
        for task in wanted:
            problem = replies.title_problem(task.title)
            if problem:
                return problem
        results = []
        for task in wanted:
            extra = {"description": task.description} if task.description else {}
            results.append(await self.tool("add_task", title=task.title, **extra, **plans))
        if len(results) > 1:
            return replies.added_several(results)
        return self.say.added(results[0])

    async def listing(self, wanted: ListFilter) -> str:
        """The tasks a list question asks for."""
        if not wanted.filtered() and wanted.sort is None:
            return self.say.task_list(await self.tasks(wanted.status), wanted)
        listed = await self.tool("list_tasks", **wanted.arguments(), limit=LIST_MAX)
        return self.say.task_list([TaskRow.from_tool(row) for row in listed["tasks"]], wanted)

    async def search(self, query: str) -> str:
        found = [task for task in await self.tasks() if mentions(query, task)]
        return replies.search_results(found, " ".join(reference_words(query)), self.say.line)

    async def ask_to_delete_all(self, status: TaskStatus) -> str:
        kind = "completed tasks" if status == "completed" else "tasks"
        tasks = await self.tasks(status)
        if not tasks:
            return replies.nothing_to_delete(kind)
        return followups.ask_to_delete(tasks, kind)

    async def ask_to_delete_numbers(self, numbers: list[int]) -> str:
        """'delete tasks 1 and 2': say which of them exist and wait for a yes."""
        tasks = [task for task in await self.tasks() if task.id in numbers]
        missing = [n for n in numbers if n not in {task.id for task in tasks}]
        if not tasks:
            return replies.no_such_numbers(missing)
        question = followups.ask_to_delete(tasks, "tasks" if len(tasks) > 1 else "task")
        return f"{question} {replies.no_such_numbers(missing, changed=False)}".strip()

    async def act(self, action: Action, task: TaskRow | int, text: str | None = None) -> str:
        """Do `action` to one task the user has named for sure; the reply says what changed."""
        if isinstance(task, TaskRow):
            if action == "complete" and task.completed:
                return replies.already_complete(task)
            if action == "reopen" and not task.completed:
                return plan_replies.not_complete(task)
        if action in PLAN_ACTIONS:
            return await self._plan(action, task, text or "")
        if isinstance(task, TaskRow):
            task = task.id
        if action == "delete":
            return replies.done(await self.tool("delete_task", task_id=task))
        if action == "complete":
            return replies.done(await self.tool("complete_task", task_id=task))
        if action == "rename":
            return replies.done(await self.tool("update_task", task_id=task, title=text))
        return replies.described(await self.tool("update_task", task_id=task, description=text))

    async def _plan(self, action: Action, task: TaskRow | int, text: str) -> str:
        """Reopen a task, or change its due date, priority or tags."""
        task_id = task.id if isinstance(task, TaskRow) else task
        if action == "reopen":
            return plan_replies.reopened(await self.tool("reopen_task", task_id=task_id))
        if action == "reschedule":
            due = self.due(text)
            if isinstance(due, Unreadable):
                return followups.ask_date(due.phrase)
            result = await self.tool("update_task", task_id=task_id, due_at=due.isoformat())
            return self.say.updated(result, "due")
        if action == "clear_due":
            result = await self.tool("update_task", task_id=task_id, clear_due_at=True)
            return self.say.updated(result, "due")
        if action == "prioritise":
            result = await self.tool("update_task", task_id=task_id, priority=text)
            return self.say.updated(result, "priority")
        row = task if isinstance(task, TaskRow) else await self._row(task_id)
        if row is None:
            return replies.no_such_number(task_id)
        named = tag_names(text)
        if action == "tag":
            tags = sorted({*row.tags, *named})
        elif action == "untag":
            if not set(named) & set(row.tags):
                return plan_replies.no_such_tags(row, named)
            tags = [tag for tag in row.tags if tag not in named]
        else:
            tags = []
        result = await self.tool("update_task", task_id=task_id, tags=tags)
        return self.say.updated(result, "tags")

    async def _row(self, task_id: int | None) -> TaskRow | None:
        return next((task for task in await self.tasks() if task.id == task_id), None)

    async def act_on_reference(
        self, action: Action, reference: str, text: str | None = None
    ) -> str:
        """Act when the reference names one task for sure; otherwise ask, changing nothing."""
        number = task_number(reference)
        if _PRONOUN.fullmatch(reference.strip()):
            number = followups.last_task(self.history)
            if number is None:
                return replies.WHICH_TASK
        if number is not None and not ID_MIN <= number <= ID_MAX:
            return replies.no_such_number(number)  # no task can have it: don't ask the tools
        if number is not None:
            return await self.act(action, number, text)
        if not reference_words(reference):
            return replies.WHICH_TASK  # asked before listing: there is nothing to look for
        found = resolve_reference(
            reference, await self.tasks(), prefer_completed=_PREFER_COMPLETED.get(action)
        )
        if isinstance(found, Found):
            return await self.act(action, found.task, text)
        if isinstance(found, Ambiguous):
            return followups.ask_which(action, found.candidates, text)
        if isinstance(found, NotFound):
            return replies.not_found(found.phrase)
        return replies.WHICH_TASK

    async def amend(self, change: str) -> str:
        """'actually make that oat milk': retitle the task the last reply named."""
        task_id = followups.last_task(self.history)
        task = await self._row(task_id)
        if task is None:
            return replies.WHICH_TASK
        return await self.act("rename", task, amended(task.title, change))

    async def answer(self, question: Pending, message: str) -> str | None:
        """The reply when `message` answers the agent's last question, else None."""
        if followups.is_no(message):
            return replies.kept()
        if isinstance(question, PendingConfirmation):
            return await self._confirm(question) if followups.is_yes(message) else None
        if isinstance(question, PendingDate):
            return None  # the agent reads the message again with the answer's date
        return await self._choose(question, message)

    async def _confirm(self, question: PendingConfirmation) -> str:
        results = []
        for task_id in question.task_ids:
            try:
                results.append(await self.tool("delete_task", task_id=task_id))
            except TaskToolError:
                continue  # already gone: nothing to delete
        return replies.deleted_several(results) if results else replies.kept()

    async def _choose(self, question: PendingChoice, message: str) -> str | None:
        if len(question.task_ids) == 1 and followups.is_yes(message):
            return await self.act(question.action, question.task_ids[0], question.text)
        answer = message.strip().rstrip(".!?")
        number = task_number(answer)
        if number is not None:
            if number not in question.task_ids:
                return None
            return await self.act(question.action, number, question.text)
        options = [t for t in await self.tasks() if t.id in question.task_ids]
        found = resolve_reference(answer, options)
        if isinstance(found, Found):
            return await self.act(question.action, found.task, question.text)
        if isinstance(found, Ambiguous) and len(found.candidates) == 1:
            # Any words that fit only one of the tasks just offered pick it ("the phone one").
            return await self.act(question.action, found.candidates[0], question.text)
        return None
