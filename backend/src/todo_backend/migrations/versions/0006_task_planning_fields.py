"""Tasks gain a due date, a priority and tags; users gain a time zone.

Shipped while the service runs, so the previous release's replicas keep working on this schema
(during the rolling upgrade, and after a rollback):
1. expand: only new things, each with a default old code gets without naming it: a nullable
   `due_at`, `priority` NOT NULL DEFAULT 'medium', the `task_tags` table, `users.timezone`
   NOT NULL DEFAULT 'UTC'. On PostgreSQL 11+ a column with a constant default is instant;
   the priority check starts NOT VALID, so adding it does not scan the table under a lock;
2. migrate: validate the check against the existing rows (they all have the default), which
   takes a lock that lets reads and writes go on;
3. the (user_id, due_at) index. Not CONCURRENTLY: that waits for every older snapshot, and
   the replicas waiting on the migration lock (`migrate.py`) hold one, a deadlock. A plain
   build lets reads go on and holds writes to tasks while it runs;
4. contract: nothing; this release removes nothing the previous one reads.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from todo_backend.migrations.columns import owner

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PRIORITY_CHECK = "priority IN ('low', 'medium', 'high')"


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    # 1. expand
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(sa.Column("due_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(
            sa.Column("priority", sa.String(length=6), nullable=False, server_default="medium")
        )
        if not postgres:  # SQLite: the table is copied with the check (one local process)
            batch.create_check_constraint("ck_tasks_priority", sa.text(_PRIORITY_CHECK))
    if postgres:
        op.execute(
            f"ALTER TABLE tasks ADD CONSTRAINT ck_tasks_priority CHECK ({_PRIORITY_CHECK}) "
            "NOT VALID"
        )
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("timezone", sa.String(length=64), nullable=False, server_default="UTC")
        )
    op.create_table(
        "task_tags",
        sa.Column(
            "task_id",
            sa.Integer(),
            sa.ForeignKey("tasks.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("tag", sa.String(length=32), primary_key=True),
        owner(),
    )
    op.create_index("ix_task_tags_user_id_tag", "task_tags", ["user_id", "tag"])
    # 2. migrate
    if postgres:
        op.execute("ALTER TABLE tasks VALIDATE CONSTRAINT ck_tasks_priority")
    # 3. indexes
    op.create_index("ix_tasks_user_id_due_at", "tasks", ["user_id", "due_at"])


def downgrade() -> None:
    op.drop_index("ix_tasks_user_id_due_at", table_name="tasks")
    op.drop_table("task_tags")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("timezone")
    with op.batch_alter_table("tasks") as batch:
        batch.drop_constraint("ck_tasks_priority", type_="check")
        batch.drop_column("priority")
        batch.drop_column("due_at")
