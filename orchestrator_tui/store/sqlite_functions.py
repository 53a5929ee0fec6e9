"""SQL functions our queries use that SQLite lacks, registered on every connection
(standard library only: the quick first page uses it before SQLAlchemy loads)."""

from __future__ import annotations

import sqlite3

from ..domain.natural import natural_key

NATURAL_KEY = "natural_key"


def install_sqlite_functions(dbapi_conn: sqlite3.Connection) -> None:
    dbapi_conn.create_function(NATURAL_KEY, 1, _natural_key, deterministic=True)


def _natural_key(text: str | None) -> str | None:
    return None if text is None else natural_key(text)
