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
from types import SimpleNamespace
from typing import Any

from ..domain.list_row import ListRow
from .quick_sql import ROW_SQL, SORT_SQL, connect_read_only, sqlite_file
from .row_fields import list_row

__all__ = ["FIRST_PAGE_ROWS", "EarlyFirstPage", "first_page", "sqlite_file"]

FIRST_PAGE_ROWS = 100  # more than any terminal shows; the real load replaces them

#: How long the first page waits for a writer's lock before leaving it to the real load.
_TIMEOUT_SECONDS = 0.2

#: The quick reads' row query (`quick_sql.ROW_SQL`, the list's rows) in the list's
#: default sort: key (natural order), ascending. The first rows of the index on
#: (`key_order`, id) are the page: no task outside it is read or sorted.
FIRST_PAGE_SQL = f"{ROW_SQL} ORDER BY {SORT_SQL['key']}, t.id LIMIT ?"

#: (count of all tasks, the first page's rows as column -> stored value)
RawPage = tuple[int, list[dict[str, Any]]]


def _time(value: str) -> datetime:
    """An ISO time from a NOT NULL column, as aware UTC (a NULL raises TypeError)."""
    moment = datetime.fromisoformat(value)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def read_first_page(db_url: str, limit: int) -> RawPage | None:
    """(count of all tasks, the first `limit` rows by key as stored), with the standard
    library only; None when this is not a readable SQLite file with the tables we know."""
    file = sqlite_file(db_url)
    if file is None:
        return None
    try:
        conn = connect_read_only(file, _TIMEOUT_SECONDS)
    except (sqlite3.Error, ValueError):
        return None
    try:
        total = conn.execute("SELECT count(*) FROM tasks").fetchone()[0]
        cur = conn.execute(FIRST_PAGE_SQL, (limit,))
        names = [d[0] for d in cur.description]
        return total, [dict(zip(names, row, strict=True)) for row in cur]
    except sqlite3.Error:
        return None
    finally:
        conn.close()


def list_rows(raw: list[dict[str, Any]]) -> list[ListRow] | None:
    """The rows of `read_first_page` as the list's lines (plain `ListRow`s: pydantic
    and the models need not have loaded); None if one does not fit."""
    try:
        return [
            list_row(SimpleNamespace(**{**r, "updated_at": _time(r["updated_at"])})) for r in raw
        ]
    except (ValueError, TypeError, KeyError):
        return None


def first_page(db_url: str, limit: int) -> tuple[int, list[ListRow]] | None:
    """(count of all tasks, the first `limit` rows by key), or None when this is not
    a readable SQLite file with the tables we know."""
    raw = read_first_page(db_url, limit)
    rows = None if raw is None else list_rows(raw[1])
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

    def wait(self, db_url: str, limit: int, seconds: float) -> bool:
        """Whether the page for this database and size has been read (`result` would not
        wait), waiting up to `seconds` for the read to end."""
        if (db_url, limit) != (self.db_url, self.limit):
            return False
        self._thread.join(seconds)
        return not self._thread.is_alive()

    def result(self, db_url: str, limit: int) -> tuple[int, list[ListRow]] | None:
        """The page, if it was read for this database and size (else read it now)."""
        if (db_url, limit) != (self.db_url, self.limit):
            return first_page(db_url, limit)
        self._thread.join()
        raw = self._raw
        rows = None if raw is None else list_rows(raw[1])
        return None if raw is None or rows is None else (raw[0], rows)
