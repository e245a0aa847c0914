"""Per-user quotas: how many tasks, conversations and messages per conversation one user keeps.

They are what bounds every read that returns a whole collection. A request that would go over
one is refused with a message that says which quota and what to do; nothing is truncated.
Counted in the statement that writes (or just before it, in its transaction), with the user's
row locked first on PostgreSQL (`data.users.lock_user`): concurrent writes at the edge
take turns, and exactly the quota is kept."""

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from todo_backend.data import tasks
from todo_backend.settings import Quotas


class QuotaExceededError(Exception):
    """The write would go over a quota; the message is for the user."""


async def add_task(
    session: AsyncSession,
    quotas: Quotas,
    *,
    user_id: str,
    task: tasks.NewTask,
) -> dict[str, Any]:
    """`tasks.create_task` within the user's task quota (counted in the same statement)."""
    created = await tasks.create_task(session, user_id=user_id, task=task, max_tasks=quotas.tasks)
    if created is None:
        raise QuotaExceededError(
            f"You have {quotas.tasks} tasks, the most allowed: delete some before adding more"
        )
    return created


def no_room_for_a_conversation(quotas: Quotas) -> QuotaExceededError:
    return QuotaExceededError(
        f"You have {quotas.conversations} conversations, the most allowed: "
        "delete one to start another"
    )


def no_room_for_a_turn(stored: int) -> QuotaExceededError:
    """A turn stores two messages, the user's and the reply: `stored` left no room for them."""
    return QuotaExceededError(
        f"This conversation has {stored} messages, the most allowed: start a new conversation"
    )
