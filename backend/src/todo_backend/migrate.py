"""Apply Alembic migrations; safe when several replicas start against one empty database."""

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncEngine

logger = logging.getLogger("todo_backend.migrate")
MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# Arbitrary but fixed: every replica asks PostgreSQL for this same lock before migrating.
MIGRATION_LOCK_ID = 7_331_001


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def _upgrade(connection: Connection) -> None:
    command.upgrade(alembic_config(connection), "head")


async def apply_migrations(engine: AsyncEngine) -> None:
    """Upgrade to the newest schema. On PostgreSQL an advisory lock serialises concurrent runs:
    the first replica migrates, the others wait and then find nothing left to do."""
    async with engine.connect() as connection:
        postgres = connection.dialect.name == "postgresql"
        if postgres:
            await connection.execute(text(f"SELECT pg_advisory_lock({MIGRATION_LOCK_ID})"))
            await connection.commit()
        try:
            await connection.run_sync(_upgrade)
            await connection.commit()
        finally:
            if postgres:
                await connection.execute(text(f"SELECT pg_advisory_unlock({MIGRATION_LOCK_ID})"))
                await connection.commit()
    logger.info("database schema is up to date")
