"""Column shapes that several migrations create. Applied migrations use these functions, so each
is frozen once a migration has used it: a new shape is a new function, never a change here."""

import sqlalchemy as sa


def row_id() -> sa.Column[object]:
    return sa.Column("id", sa.Integer(), primary_key=True)


def owner() -> sa.Column[object]:
    """`user_id`: the user a row belongs to; deleting the user deletes the row."""
    return sa.Column(
        "user_id",
        sa.String(length=32),
        sa.ForeignKey("users.id", ondelete="CASCADE"),
        nullable=False,
    )


def timestamp(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)
