"""Apply Alembic migrations; safe when several replicas start against one empty database.

Alembic is loaded only when there is something to migrate: a process that has imported it
keeps some 16 MB more for good, and every start but the first finds the schema up to date.

A database at a revision this code does not know was migrated by a newer release: during a
rolling upgrade the old replicas keep serving, and a rollback brings old code back onto it.
That is safe because a release's migrations only add what old code does not read (expand);
removing what the previous release still uses waits for a later release (contract). So old
code runs on a newer schema as it is, and never tries to "upgrade" it."""

import logging
import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy.exc
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncEngine

if TYPE_CHECKING:
    from alembic.config import Config

logger = logging.getLogger("todo_backend.migrate")
MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# Arbitrary but fixed: every replica asks PostgreSQL for this same lock before migrating.
MIGRATION_LOCK_ID = 7_331_001

_REVISION = re.compile(r'^revision\b[^=\n]*= *"([^"]+)"', re.MULTILINE)
_DOWN_REVISION = re.compile(r'^down_revision\b[^=\n]*= *"([^"]+)"', re.MULTILINE)


def alembic_config(connection: Connection | None = None) -> "Config":
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


@cache  # the files do not change while the process runs
def _revisions() -> tuple[frozenset[str], frozenset[str]]:
    """Every revision of the migration files, and those a later one replaces, read from the
    files themselves (as Alembic would, without loading it)."""
    revisions: set[str] = set()
    replaced: set[str] = set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        if revision := _REVISION.search(source):
            revisions.add(revision.group(1))
        if down_revision := _DOWN_REVISION.search(source):
            replaced.add(down_revision.group(1))
    return frozenset(revisions), frozenset(replaced)


def head_revision() -> str | None:
    """The newest migration's revision; None unless exactly one revision is the newest."""
    revisions, replaced = _revisions()
    heads = revisions - replaced
    return next(iter(heads)) if len(heads) == 1 else None


async def _current_revision(engine: AsyncEngine) -> str | None:
    """The database's revision; None for an empty database (or anything but one revision)."""
    async with engine.connect() as connection:
        try:
            versions = await connection.execute(text("SELECT version_num FROM alembic_version"))
        except sqlalchemy.exc.DBAPIError:  # no such table yet
            return None
        found = versions.scalars().all()
    return found[0] if len(found) == 1 else None


def _upgrade(connection: Connection) -> None:
    from alembic import command

    command.upgrade(alembic_config(connection), "head")


async def apply_migrations(engine: AsyncEngine) -> None:
    """Upgrade to the newest schema. On PostgreSQL an advisory lock serialises concurrent runs:
    the first replica migrates, the others wait and then find nothing left to do."""
    head = head_revision()
    current = await _current_revision(engine)
    if head is not None and current == head:
        logger.info("database schema is up to date", extra={"revision": head})
        return
    if current is not None and current not in _revisions()[0]:
        logger.warning(
            "database schema is newer than this release; running on it unchanged",
            extra={"revision": current, "release_head": head},
        )
        return
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
