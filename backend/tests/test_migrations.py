"""Schema changes only through Alembic; concurrent starts do not race."""

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from backend_testkit import TEST_SECRET
from todo_backend.data.engine import create_engine
from todo_backend.migrate import alembic_config, apply_migrations, head_revision

HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()


def _migrate_process(database_url: str) -> subprocess.Popen[str]:
    env = {**os.environ, "DATABASE_URL": database_url, "BETTER_AUTH_SECRET": TEST_SECRET}
    return subprocess.Popen(
        [sys.executable, "-m", "todo_backend.cli", "migrate"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


async def _schema(database_url: str) -> tuple[list[str], list[tuple[str, str]]]:
    dsn = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    try:
        tables = await connection.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
        )
        versions = await connection.fetch("SELECT version_num FROM alembic_version")
        indexes = await connection.fetch(
            "SELECT tablename, indexname FROM pg_indexes WHERE schemaname = 'public' "
            "AND indexname LIKE 'ix_%' ORDER BY 1, 2"
        )
    finally:
        await connection.close()
    assert [v["version_num"] for v in versions] == [HEAD]
    return [t["tablename"] for t in tables], [(i[0], i[1]) for i in indexes]


@pytest.mark.postgres
def test_two_concurrent_migrations_both_succeed_with_one_schema(fresh_postgres_url: str) -> None:
    first = _migrate_process(fresh_postgres_url)
    second = _migrate_process(fresh_postgres_url)
    outputs = [process.communicate(timeout=120)[0] for process in (first, second)]
    assert first.returncode == 0, outputs[0]
    assert second.returncode == 0, outputs[1]
    # Exactly one of them ran the upgrade; the other found the schema up to date.
    assert sum("Running upgrade  -> 0001" in output for output in outputs) == 1

    tables, indexes = asyncio.run(_schema(fresh_postgres_url))
    assert tables == [
        "alembic_version",
        "api_tokens",
        "conversations",
        "idempotency_keys",
        "messages",
        "rate_limit_counters",
        "task_tags",
        "tasks",
        "users",
    ]
    assert ("tasks", "ix_tasks_user_id") in indexes
    assert ("tasks", "ix_tasks_completed") in indexes
    assert ("tasks", "ix_tasks_user_id_due_at") in indexes
    assert ("task_tags", "ix_task_tags_user_id_tag") in indexes
    assert ("api_tokens", "ix_api_tokens_token_hash") in indexes


async def test_migrations_match_the_models(database_url: str) -> None:
    """The models and the migrations describe the same tables and columns."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    engine = create_engine(database_url)
    try:
        await apply_migrations(engine)
        async with engine.connect() as connection:

            def diff(sync_connection: object) -> list[object]:
                context = MigrationContext.configure(sync_connection)  # type: ignore[arg-type]
                return list(compare_metadata(context, SQLModel.metadata))

            differences = await connection.run_sync(diff)
            tables = await connection.run_sync(lambda c: inspect(c).get_table_names())
    finally:
        await engine.dispose()
    assert differences == []
    expected = {"users", "tasks", "conversations", "messages", "idempotency_keys", "api_tokens"}
    assert expected <= set(tables)


def test_the_head_revision_is_read_from_the_migrations_as_alembic_reads_it() -> None:
    assert head_revision() == HEAD


def test_a_start_on_an_up_to_date_schema_does_not_load_alembic(tmp_path: Path) -> None:
    """Alembic stays out of the process (some 16 MB it would keep) unless there is something
    to migrate."""
    script = (
        "import asyncio, sys\n"
        "from todo_backend.data.engine import create_engine\n"
        "from todo_backend.migrate import apply_migrations\n"
        f"engine = create_engine('sqlite:///{tmp_path}/todo.db')\n"
        "asyncio.run(apply_migrations(engine))\n"
        "print('alembic' in sys.modules)\n"
    )
    loaded = [
        subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, check=True
        ).stdout.split()[-1]
        for _ in ("first start, empty database", "second start, up to date")
    ]
    assert loaded == ["True", "False"]


async def test_an_older_release_runs_on_a_schema_a_newer_release_migrated(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A rollback brings old code back onto the schema the new release left: the old code
    starts on it as it is, and does not fail trying to upgrade a revision it does not know."""
    engine = create_engine(f"sqlite:///{tmp_path}/todo.db")
    try:
        await apply_migrations(engine)
        async with engine.begin() as connection:
            await connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
        await apply_migrations(engine)
        async with engine.connect() as connection:
            versions = await connection.execute(text("SELECT version_num FROM alembic_version"))
            assert versions.scalars().all() == ["9999"]
    finally:
        await engine.dispose()
    assert "database schema is newer than this release" in caplog.text
