"""The first page of the task list straight from a SQLite file, with the standard
library only: the TUI draws it while SQLAlchemy and the tables are still loading
(~0.4 s on a small machine), then replaces it with the real query's rows.

Read-only (`mode=ro`), never creates a file, and gives up (None) on anything
unexpected: the real open decides about schemas, migrations and errors. Must
return exactly what `queries.list_tasks(TaskFilter(), "key")` and `count_tasks()`
return; a test compares them.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from ..domain.enums import Priority, TaskStatus
from ..domain.models import TaskRow
from ..domain.rules import FINISHED, GATING, NO_COMMAND_JSON, readiness, sql_in

#: `services.views.row_select()` ordered by id (the list's default sort: key, ascending).
#: The open-blocker and has-command rules are rendered from `domain/rules.py`.
FIRST_PAGE_SQL = f"""
SELECT t.id, t.key, t.title, t.status, t.priority, t.assignee, t.progress, t.phase,
       t.estimated_hours, t.requires_approval, t.updated_at,
       (SELECT count(*) FROM task_dependencies AS d
          JOIN tasks AS b ON b.id = d.depends_on_id
         WHERE d.task_id = t.id AND d.dep_type IN {sql_in(GATING)}
           AND b.status NOT IN {sql_in(FINISHED)}),
       (t.command IS NOT NULL AND t.command != '{NO_COMMAND_JSON}'),
       t.lease_owner IS NOT NULL
FROM tasks AS t ORDER BY t.id LIMIT ?
"""


def sqlite_file(db_url: str) -> Path | None:
    """The file behind a plain path or a `sqlite:///` URL; None for anything else."""
    if "://" not in db_url:
        path = db_url
    elif db_url.startswith("sqlite:///"):
        path = db_url[len("sqlite:///") :].split("?", 1)[0]
    else:
        return None
    if not path or path == ":memory:":
        return None
    file = Path(path).expanduser()
    return file if file.is_file() else None


def _time(value: str) -> datetime:
    """An ISO time from a NOT NULL column, as aware UTC (a NULL raises TypeError)."""
    moment = datetime.fromisoformat(value)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def first_page(db_url: str, limit: int) -> tuple[int, list[TaskRow]] | None:
    """(count of all tasks, the first `limit` rows by key), or None when this is not
    a readable SQLite file with the tables we know."""
    file = sqlite_file(db_url)
    if file is None:
        return None
    try:
        conn = sqlite3.connect(f"{file.resolve().as_uri()}?mode=ro", uri=True, timeout=0.2)
    except (sqlite3.Error, ValueError):
        return None
    try:
        total = conn.execute("SELECT count(*) FROM tasks").fetchone()[0]
        rows = []
        for r in conn.execute(FIRST_PAGE_SQL, (limit,)):
            status = TaskStatus(r[3])
            rows.append(
                TaskRow(
                    id=r[0],
                    key=r[1],
                    title=r[2],
                    status=status,
                    priority=Priority(r[4]),
                    assignee=r[5],
                    progress=r[6],
                    phase=r[7],
                    estimated_hours=r[8],
                    requires_approval=bool(r[9]),
                    unfinished_blockers=r[11],
                    readiness=readiness(status, r[11]),
                    updated_at=_time(r[10]),
                    has_command=bool(r[12]),
                    leased=bool(r[13]),
                )
            )
        return total, rows
    except (sqlite3.Error, ValueError, TypeError):
        return None
    finally:
        conn.close()
