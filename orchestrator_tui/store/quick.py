"""The first page of the task list straight from a SQLite file, with the standard
library only: the TUI draws it while SQLAlchemy and the tables are still loading
(~0.4 s on a small machine), then replaces it with the real query's rows.

Read-only (`mode=ro`), never creates a file, and gives up (None) on anything
unexpected: the real open decides about schemas, migrations and errors. The rows
are `QuickReads.list_tasks` in the list's default sort, the statement the CLI's
quick reads use: exactly what `queries.list_tasks(TaskFilter(), "key")` and
`count_tasks()` return; a test compares them.
"""

from __future__ import annotations

import sqlite3

from ..domain.models import TaskRow
from .quick_reads import QuickReads, connect_read_only, sqlite_file
from .sqlite_functions import install_sqlite_functions

__all__ = ["first_page", "sqlite_file"]

#: How long the first page waits for a writer's lock before leaving it to the real load.
_TIMEOUT_SECONDS = 0.2


def first_page(db_url: str, limit: int) -> tuple[int, list[TaskRow]] | None:
    """(count of all tasks, the first `limit` rows by key), or None when this is not
    a readable SQLite file with the tables we know."""
    file = sqlite_file(db_url)
    if file is None:
        return None
    try:
        reads = QuickReads(connect_read_only(file, _TIMEOUT_SECONDS))
    except (sqlite3.Error, ValueError):
        return None
    try:
        install_sqlite_functions(reads.conn)
        return reads.count_tasks(), reads.list_tasks(sort="key", limit=limit)
    except (sqlite3.Error, ValueError, TypeError):
        return None
    finally:
        reads.close()
