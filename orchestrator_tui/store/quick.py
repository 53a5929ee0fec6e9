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
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..domain.enums import Priority, TaskStatus
from ..domain.natural import NUMBER_WIDTH
from ..domain.rules import FINISHED, GATING, NO_COMMAND_JSON, readiness, sql_in
from .sqlite_functions import NATURAL_KEY, install_sqlite_functions

if TYPE_CHECKING:
    from ..domain.models import TaskRow

DIGITS = "0123456789"
FIRST_PAGE_ROWS = 100  # more than any terminal shows; the real load replaces them

#: `natural_key(s.key)` in plain SQL for a key that is ASCII letters and signs ending in
#: at most one number of up to NUMBER_WIDTH digits (`PAY-47`; `s.stem` is the key without
#: that number): SQLite sorts a whole table of them without calling Python, so the sort
#: runs beside the interpreter instead of waiting for its lock once per row. Other keys
#: go to the registered function.
NATURAL_KEY_SQL = f"""CASE
  WHEN s.stem NOT GLOB '*[0-9]*' AND s.key NOT GLOB '*[^ -~]*'
       AND length(s.key) - length(s.stem) <= {NUMBER_WIDTH}
  THEN lower(s.stem) || CASE WHEN length(s.key) = length(s.stem) THEN ''
       ELSE substr('{"0" * NUMBER_WIDTH}' || substr(s.key, length(s.stem) + 1), -{NUMBER_WIDTH})
       END
  ELSE {NATURAL_KEY}(s.key) END"""

#: `services.views.row_select()` in the list's default sort: key (natural order), ascending.
#: The open-blocker and has-command rules are rendered from `domain/rules.py`.
FIRST_PAGE_SQL = f"""
WITH s AS MATERIALIZED (SELECT id, key, rtrim(key, '{DIGITS}') AS stem FROM tasks),
page AS MATERIALIZED (SELECT s.id, {NATURAL_KEY_SQL} AS sort_key FROM s
                      ORDER BY sort_key, s.id LIMIT ?)
SELECT t.id, t.key, t.title, t.status, t.priority, t.assignee, t.progress, t.phase,
       t.estimated_hours, t.requires_approval, t.updated_at,
       (SELECT count(*) FROM task_dependencies AS d
          JOIN tasks AS b ON b.id = d.depends_on_id
         WHERE d.task_id = t.id AND d.dep_type IN {sql_in(GATING)}
           AND b.status NOT IN {sql_in(FINISHED)}),
       (t.command IS NOT NULL AND t.command != '{NO_COMMAND_JSON}'),
       t.lease_owner IS NOT NULL
FROM page JOIN tasks AS t ON t.id = page.id ORDER BY page.sort_key, page.id
"""

RawPage = tuple[int, list[tuple[Any, ...]]]


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


def read_first_page(db_url: str, limit: int) -> RawPage | None:
    """(count of all tasks, the first `limit` rows by key as tuples), with the standard
    library only; None when this is not a readable SQLite file with the tables we know."""
    file = sqlite_file(db_url)
    if file is None:
        return None
    try:
        conn = sqlite3.connect(f"{file.resolve().as_uri()}?mode=ro", uri=True, timeout=0.2)
    except (sqlite3.Error, ValueError):
        return None
    try:
        install_sqlite_functions(conn)
        total = conn.execute("SELECT count(*) FROM tasks").fetchone()[0]
        return total, conn.execute(FIRST_PAGE_SQL, (limit,)).fetchall()
    except sqlite3.Error:
        return None
    finally:
        conn.close()


def task_rows(raw: list[tuple[Any, ...]]) -> list[TaskRow] | None:
    """The rows of `read_first_page` as the list's rows; None if one does not fit."""
    from ..domain.models import TaskRow

    rows = []
    try:
        for r in raw:
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
    except (ValueError, TypeError):
        return None
    return rows


def first_page(db_url: str, limit: int) -> tuple[int, list[TaskRow]] | None:
    """(count of all tasks, the first `limit` rows by key), or None when this is not
    a readable SQLite file with the tables we know."""
    raw = read_first_page(db_url, limit)
    rows = None if raw is None else task_rows(raw[1])
    return None if raw is None or rows is None else (raw[0], rows)


class EarlyFirstPage:
    """`read_first_page` on a thread of its own, started before the app is imported:
    the file is read while Python loads Textual."""

    def __init__(self, db_url: str, limit: int) -> None:
        self.db_url, self.limit = db_url, limit
        self._raw: RawPage | None = None
        self._thread = threading.Thread(target=self._read, name="first-page", daemon=True)
        self._thread.start()

    def _read(self) -> None:
        self._raw = read_first_page(self.db_url, self.limit)

    def result(self, db_url: str, limit: int) -> tuple[int, list[TaskRow]] | None:
        """The page, if it was read for this database and size (else read it now)."""
        if (db_url, limit) != (self.db_url, self.limit):
            return first_page(db_url, limit)
        self._thread.join()
        raw = self._raw
        rows = None if raw is None else task_rows(raw[1])
        return None if raw is None or rows is None else (raw[0], rows)
