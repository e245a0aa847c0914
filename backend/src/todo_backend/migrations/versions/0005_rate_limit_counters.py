"""Add rate_limit_counters: the abuse limits' counters, shared by every backend replica.

UNLOGGED on PostgreSQL: counters need no write-ahead log (a database crash empties the table,
which only forgives some attempts). Expand only: no existing table changes.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    unlogged = op.get_bind().dialect.name == "postgresql"
    op.create_table(
        "rate_limit_counters",
        sa.Column("key", sa.Text(), primary_key=True),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("window_end", sa.Float(), nullable=False),
        sa.Column("last_hit", sa.Float(), nullable=False),
        prefixes=["UNLOGGED"] if unlogged else [],
    )


def downgrade() -> None:
    op.drop_table("rate_limit_counters")
