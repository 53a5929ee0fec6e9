"""SQL functions our queries use that SQLite lacks, registered on every connection
(standard library only: the quick first page uses it before SQLAlchemy loads)."""

from __future__ import annotations

import sqlite3

from ..domain.natural import NUMBER_WIDTH, natural_key

NATURAL_KEY = "natural_key"
DIGITS = "0123456789"


def install_sqlite_functions(dbapi_conn: sqlite3.Connection) -> None:
    dbapi_conn.create_function(NATURAL_KEY, 1, _natural_key, deterministic=True)


def _natural_key(text: str | None) -> str | None:
    return None if text is None else natural_key(text)


def natural_key_sql(key: str, stem: str | None = None) -> str:
    """`natural_key(key)` as SQLite text for the SQL expression `key`.

    Plain SQL for a key that is ASCII letters and signs ending in at most one number
    of up to NUMBER_WIDTH digits (`PAY-47`): SQLite sorts a whole table of them
    without calling Python, so a sort runs beside the interpreter instead of taking
    its lock once per row. Other keys go to the registered function. `stem`: the
    key without its trailing digits, if the query has it already (else computed)."""
    stem = stem or f"rtrim({key}, '{DIGITS}')"
    return f"""CASE
  WHEN {stem} NOT GLOB '*[0-9]*' AND {key} NOT GLOB '*[^ -~]*'
       AND length({key}) - length({stem}) <= {NUMBER_WIDTH}
  THEN lower({stem}) || CASE WHEN length({key}) = length({stem}) THEN ''
       ELSE substr('{"0" * NUMBER_WIDTH}' || substr({key}, length({stem}) + 1), -{NUMBER_WIDTH})
       END
  ELSE {NATURAL_KEY}({key}) END"""
