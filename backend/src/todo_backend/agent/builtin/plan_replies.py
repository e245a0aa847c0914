"""What the built-in agent says about due dates, priorities and tags: dates in the user's zone in
plain words ("due Tue 8 Dec, 17:00"), a priority only when it is not the usual medium, and
overdue tasks marked in words."""

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from todo_backend.agent.builtin import replies
from todo_backend.agent.builtin.dates import spoken
from todo_backend.agent.builtin.questions import ListFilter
from todo_backend.agent.builtin.references import TaskRow
from todo_backend.task_fields import DEFAULT_PRIORITY
from todo_backend.tools import LIST_DEFAULT


class Speaker:
    """Says a task's plan from the turn's now, in the user's zone."""

    def __init__(self, now: datetime, zone: ZoneInfo) -> None:
        self.now = now
        self.zone = zone

    def plan(self, task: TaskRow, said: Collection[str] = ()) -> str:
        """', due Tue 8 Dec, 17:00, high priority, #work': what the task has, and what `said`
        names even when the task has none ('due', 'priority', 'tags')."""
        words = []
        if task.due_at is not None:
            late = " (overdue)" if not task.completed and task.due_at < self.now else ""
            words.append(f"due {spoken(task.due_at, self.now, self.zone)}{late}")
        elif "due" in said:
            words.append("no due date")
        if task.priority != DEFAULT_PRIORITY or "priority" in said:
            words.append(f"{task.priority} priority")
        if task.tags:
            words.append(" ".join(f"#{tag}" for tag in task.tags))
        elif "tags" in said:
            words.append("no tags")
        return "".join(f", {word}" for word in words)

    def added(self, result: dict[str, Any]) -> str:
        return replies.done(result, self.plan(_row(result)))

    def updated(self, result: dict[str, Any], said: str) -> str:
        """'Updated task 2 'Write the report', due Mon 14 Dec, 17:00, high priority.'"""
        return (
            f"Updated task {result['task_id']} '{result['title']}'{self.plan(_row(result), said)}."
        )

    def line(self, task: TaskRow) -> str:
        """'- [ ] Call mom (task 3), due Tue 8 Dec, 17:00 (overdue), high priority, #family'"""
        return replies.task_line(task) + self.plan(task)

    def task_list(self, tasks: Sequence[TaskRow], wanted: ListFilter) -> str:
        if not wanted.filtered():
            return replies.task_list(tasks, wanted.status, self.line)
        before, after = wanted.describe()
        kind = f"{before} " if before else ""
        where = f" {after}" if after else ""
        if not tasks:
            return f"You have no {kind}tasks{where}."
        shown = tasks[:LIST_DEFAULT]
        plural = "task" if len(tasks) == 1 else "tasks"
        heading = f"You have {len(tasks)} {kind}{plural}{where}:"
        if len(tasks) > len(shown):
            heading = f"Your first {len(shown)} of {len(tasks)} {kind}tasks{where}:"
        return "\n".join([heading, *map(self.line, shown)])


def _row(result: dict[str, Any]) -> TaskRow:
    """A task tool's result about one task, as a list row."""
    return TaskRow.from_tool({"id": result["task_id"], "completed": False, **result})


def reopened(result: dict[str, Any]) -> str:
    return f"Task {result['task_id']} '{result['title']}' is pending again."


def not_complete(task: TaskRow) -> str:
    return f"Task {task.id} '{task.title}' is not complete. {replies.NOTHING_CHANGED}"


def no_such_tags(task: TaskRow, tags: Sequence[str]) -> str:
    names = " ".join(f"#{tag}" for tag in tags)
    return f"Task {task.id} '{task.title}' has no tag {names}. {replies.NOTHING_CHANGED}"
