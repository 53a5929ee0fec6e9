"""Helpers shared by the core tests: open a database, read back what it holds."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select

from orchestrator_tui.domain.enums import TaskStatus
from orchestrator_tui.domain.models import TaskSpec
from orchestrator_tui.services import Orchestrator, open_orchestrator
from orchestrator_tui.store.tables import Event, Task

E = Event.__table__.c
T = Task.__table__.c


def open_db(path: Path | str, actor: str = "alice") -> Orchestrator:
    """A file path or a database URL."""
    return open_orchestrator(str(path), actor)


def add(orch: Orchestrator, key: str, **fields: Any) -> None:
    """Create a task; `deps=[...]` lists its blockers."""
    deps = fields.pop("deps", [])
    fields.setdefault("title", f"task {key}")
    orch.tasks.create(TaskSpec(key=key, depends_on=deps, **fields))


def task_row(orch: Orchestrator, key: str) -> Any:
    with orch.db.read() as conn:
        return conn.execute(select(Task.__table__).where(T.key == key)).one()


def status_of(orch: Orchestrator, key: str) -> TaskStatus:
    return TaskStatus(task_row(orch, key).status)


def events_of(orch: Orchestrator, key: str | None = None) -> list[Any]:
    """Every event row (of one task, when a key is given), oldest first."""
    with orch.db.read() as conn:
        stmt = select(E.id, E.kind, E.actor, E.data, E.task_id).order_by(E.id)
        if key is not None:
            stmt = stmt.where(E.task_id == select(T.id).where(T.key == key).scalar_subquery())
        return conn.execute(stmt).all()


def kinds(orch: Orchestrator, key: str | None = None) -> list[str]:
    return [e.kind for e in events_of(orch, key)]


def count_rows(orch: Orchestrator, table: Any) -> int:
    from sqlalchemy import func

    with orch.db.read() as conn:
        return conn.execute(select(func.count()).select_from(table.__table__)).scalar_one()


#: Tables and columns added by each schema version after the first.
TABLES_SINCE_V1 = ("run_changes", "questions", "plan_budgets")
RUN_COLUMNS_SINCE_V1 = ("pid", "pgid", "host", "proc_start", "cancel_requested")


def make_version_1(db_path: Path) -> None:
    """Turn a current SQLite database into what a version-1 database looked like."""
    make_version_1_at(f"sqlite:///{db_path}")


def make_version_1_at(url: str) -> None:
    """`make_version_1` for any database URL (SQLite or PostgreSQL)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:

        def execute(sql: str) -> None:
            conn.execute(text(sql))

        for table in TABLES_SINCE_V1:
            execute(f"DROP TABLE {table}")
        for column in RUN_COLUMNS_SINCE_V1:
            execute(f"ALTER TABLE runs DROP COLUMN {column}")
        undo_agent_columns(execute)
        undo_key_order(execute)
        execute("UPDATE schema_meta SET value = '1' WHERE key = 'schema_version'")
    engine.dispose()


def make_version_5_at(url: str) -> None:
    """Turn a current database (SQLite or PostgreSQL) into what version 5 wrote: no
    `cancel_requested` column, and who asked an open run to stop in its `error`."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE runs SET error = cancel_requested "
                "WHERE status = 'running' AND cancel_requested IS NOT NULL"
            )
        )
        conn.execute(text("ALTER TABLE runs DROP COLUMN cancel_requested"))
        undo_key_order(lambda sql: conn.execute(text(sql)))
        conn.execute(text("UPDATE schema_meta SET value = '5' WHERE key = 'schema_version'"))
    engine.dispose()


def make_version_7_at(url: str) -> None:
    """Turn a current database (SQLite or PostgreSQL) into what version 7 wrote: no
    `closed_at` on questions (a question stayed open after its task ended)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE questions DROP COLUMN closed_at"))
        undo_key_order(lambda sql: conn.execute(text(sql)))
        conn.execute(text("UPDATE schema_meta SET value = '7' WHERE key = 'schema_version'"))
    engine.dispose()


def make_version_8_at(url: str) -> None:
    """Turn a current database (SQLite or PostgreSQL) into what version 8 wrote: no
    `key_order` on tasks (the list sorted by a key computed for every task)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        undo_key_order(lambda sql: conn.execute(text(sql)))
        conn.execute(text("UPDATE schema_meta SET value = '8' WHERE key = 'schema_version'"))
    engine.dispose()


def undo_key_order(execute: Callable[[str], Any]) -> None:
    """Drop what schema version 9 added: tasks' natural-order key and its index."""
    execute("DROP INDEX ix_tasks_key_order")
    execute("ALTER TABLE tasks DROP COLUMN key_order")


def undo_agent_columns(execute: Callable[[str], Any]) -> None:
    """Drop the columns schema version 5 added (agent runs, a task's budgeted plan)."""
    from orchestrator_tui.store.tables import AGENT_RUN_COLUMNS

    for name in AGENT_RUN_COLUMNS:
        execute(f"ALTER TABLE runs DROP COLUMN {name}")
    execute("DROP INDEX ix_tasks_plan")
    execute("ALTER TABLE tasks DROP COLUMN plan")
