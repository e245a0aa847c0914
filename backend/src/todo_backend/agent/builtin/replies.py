"""What the built-in agent says: every reply names the task it changed, by number and title, or
says that nothing changed."""

from collections.abc import Callable, Sequence
from typing import Any

from todo_backend.agent.builtin.references import TaskRow
from todo_backend.models import TITLE_MAX, TaskStatus
from todo_backend.tools import LIST_DEFAULT

NOTHING_CHANGED = "Nothing changed."
HELP = (
    "I can manage your tasks. Try:\n"
    '- "Add a task to buy groceries", "add eggs, bread and butter"\n'
    '- "Show me all my tasks", "What\'s left?", "What have I completed?"\n'
    '- "Anything about the dentist?"\n'
    '- "Remind me to call mom tomorrow at 5pm", "add pay rent by Friday, urgent #home"\n'
    '- "What\'s due this week?", "Anything overdue?", "Show my high priority tasks"\n'
    '- "Move the dentist to Thursday", "Make the report urgent", "Tag it work"\n'
    '- "Mark task 3 as complete", "I\'ve paid the rent", "Reopen task 3"\n'
    "- \"Change task 1 to 'Call mom tonight'\", then \"actually make that 'Call dad'\"\n"
    '- "Delete the meeting task", "Delete all completed tasks"'
)
NOT_UNDERSTOOD = f"Sorry, I didn't catch that. {NOTHING_CHANGED} {HELP}"
WHICH_TASK = (
    f"Which task? Tell me its number (like 'task 3') or words from its title. {NOTHING_CHANGED}"
)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' if count != 1 else ''}"


def done(result: dict[str, Any], plan: str = "") -> str:
    """The confirmation of one tool's change, from the tool's own result; `plan` is what it says
    of the task's due date, priority and tags (', due Tue 8 Dec, 17:00')."""
    task, title = result["task_id"], result["title"]
    return {
        "created": f"Added task {task}: '{title}'{plan}.",
        "completed": f"Marked task {task} '{title}' as complete.",
        "deleted": f"Deleted task {task} '{title}'.",
        "updated": f"Updated task {task}: it is now '{title}'.",
    }[result["status"]]


def described(result: dict[str, Any]) -> str:
    return f"Updated the description of task {result['task_id']} '{result['title']}'."


def deleted_several(results: Sequence[dict[str, Any]]) -> str:
    names = ", ".join(f"{r['task_id']}. {r['title']}" for r in results)
    return f"Deleted {_plural(len(results), 'task')}: {names}."


def already_complete(task: TaskRow) -> str:
    return f"Task {task.id} '{task.title}' is already complete. {NOTHING_CHANGED}"


def not_found(phrase: str) -> str:
    return (
        f"I couldn't find a task matching '{phrase}'. {NOTHING_CHANGED} "
        "Say 'show my tasks' to see them."
    )


def no_such_number(task_id: int) -> str:
    return (
        f"I couldn't find task {task_id}. {NOTHING_CHANGED} "
        "Say 'show my tasks' to see their numbers."
    )


def no_such_numbers(numbers: Sequence[int], *, changed: bool = True) -> str:
    """'I couldn't find tasks 8 and 9.' ('' when every number was found)."""
    if not numbers:
        return ""
    names = ", ".join(str(n) for n in numbers[:-1])
    names = f"{names} and {numbers[-1]}" if names else str(numbers[-1])
    found = f"I couldn't find {'task' if len(numbers) == 1 else 'tasks'} {names}."
    return f"{found} {NOTHING_CHANGED}" if changed else found


def nothing_to_delete(kind: str) -> str:
    return f"You have no {kind}. {NOTHING_CHANGED}"


def kept() -> str:
    return f"OK, I'll leave them. {NOTHING_CHANGED}"


def tool_refused(message: str) -> str:
    return f"I couldn't do that: {message}. {NOTHING_CHANGED}"


def title_problem(title: str) -> str | None:
    """Why a title can't be used, or None when it can."""
    if not title:
        return f"What should the task say? For example: 'Add a task to buy milk'. {NOTHING_CHANGED}"
    if len(title) > TITLE_MAX:
        return (
            f"That title is {len(title)} characters long; please keep it under {TITLE_MAX}. "
            f"{NOTHING_CHANGED}"
        )
    return None


def task_line(task: TaskRow) -> str:
    return f"- [{'x' if task.completed else ' '}] {task.title} (task {task.id})"


Line = Callable[[TaskRow], str]  # how a list names one task


def task_list(tasks: Sequence[TaskRow], status: TaskStatus, line: Line = task_line) -> str:
    """The tasks (newest first) as a reply: at most as many as list_tasks gives by default,
    saying when there are more, which the dashboard's list shows."""
    if len(tasks) > LIST_DEFAULT:
        kind = "" if status == "all" else f"{status} "
        heading = (
            f"Your newest {LIST_DEFAULT} {kind}tasks (you have more; the task list shows them all):"
        )
        return "\n".join([heading, *map(line, tasks[:LIST_DEFAULT])])
    if not tasks:
        return {
            "all": "You have no tasks yet. Try 'Add a task to buy milk'.",
            "pending": "Nothing pending: you're all caught up!",
            "completed": "You haven't completed any tasks yet.",
        }[status]
    count = len(tasks)
    heading = {
        "all": f"You have {_plural(count, 'task')}:",
        "pending": f"You have {_plural(count, 'pending task')}:",
        "completed": f"You have completed {_plural(count, 'task')}:",
    }[status]
    return "\n".join([heading, *map(line, tasks)])


def added_several(results: Sequence[dict[str, Any]]) -> str:
    names = ", ".join(f"{r['task_id']}. {r['title']}" for r in results)
    return f"Added {_plural(len(results), 'task')}: {names}."


def search_results(tasks: Sequence[TaskRow], query: str, line: Line = task_line) -> str:
    if not tasks:
        return f"No tasks mention '{query}'."
    return "\n".join([f"{_plural(len(tasks), 'task')} about '{query}':", *map(line, tasks)])


_MEANINGS = {
    "add": "add a task",
    "list": "see your tasks",
    "search": "look for tasks",
    "complete": "complete a task",
    "delete": "delete a task",
    "delete_all": "delete several tasks",
    "rename": "rename a task",
    "amend": "change the last task",
    "describe": "describe a task",
    "reopen": "mark a task as not done",
    "reschedule": "change a due date",
    "clear_due": "remove a due date",
    "prioritise": "change a priority",
    "tag": "tag a task",
    "untag": "untag a task",
}


def unclear(intents: Sequence[str]) -> str:
    """When a message reads two ways, say both and change nothing."""
    meanings = [_MEANINGS.get(intent, intent) for intent in intents]
    return (
        f"I'm not sure whether you want to {' or to '.join(meanings)}. {NOTHING_CHANGED} "
        "Could you say it another way?"
    )
