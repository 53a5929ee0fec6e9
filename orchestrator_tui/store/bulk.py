"""Inserting many rows fast.

`conn.execute(table.insert(), rows)` spends most of its time building
parameters row by row (about 3x the cost of the inserts themselves at 100k
rows). `bulk_insert` takes each column's bind processor once, applies it in
a tight loop, and hands plain tuples to the driver's executemany. The
values stored are exactly those SQLAlchemy would store. A value that repeats
in a column (the load's one `now`, a status word) is processed once.

`collector_paused()` keeps Python's cyclic garbage collector from walking
every object of a large import again and again while it is built and
written (a third of a 100k-task load went to full collections); reference
counting still frees everything as usual.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from operator import itemgetter
from typing import Any

from sqlalchemy import JSON, Connection, Table
from sqlalchemy.sql.schema import CallableColumnDefault, ScalarElementColumnDefault

_pause_lock = threading.Lock()
_pauses = 0
_was_enabled = False


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection inside (nested and concurrent uses may overlap:
    the collector comes back when the last one ends, if it was on before)."""
    global _pauses, _was_enabled
    with _pause_lock:
        if _pauses == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _pause_lock:
            _pauses -= 1
            if _pauses == 0 and _was_enabled:
                gc.enable()


def _processor(column: Any, dialect: Any) -> Callable[[Any], Any] | None:
    return column.type._cached_bind_processor(dialect)


def bulk_insert(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert `rows` (dicts with the same keys) into `table`, one executemany."""
    if not rows:
        return
    if conn.dialect.name != "sqlite":
        conn.execute(table.insert(), list(rows))
        return
    names = list(rows[0])
    defaults: dict[str, Any] = {}
    for column in table.columns:
        if column.name in rows[0] or column.default is None:
            continue
        if isinstance(column.default, ScalarElementColumnDefault):
            defaults[column.name] = column.default.arg
        elif isinstance(column.default, CallableColumnDefault):
            # SQLAlchemy wraps it to take an execution context; ours never read it.
            no_context: Any = None
            defaults[column.name] = column.default.arg(no_context)
        else:  # a sequence or SQL expression: let SQLAlchemy handle it
            conn.execute(table.insert(), list(rows))
            return
    names += list(defaults)
    columns = [table.c[name] for name in names]
    count = len(rows)
    given = len(names) - len(defaults)
    # column by column: one processor call per distinct value where values repeat
    values = _columns(rows, names[:given], defaults, count)
    for index, column in enumerate(columns):
        proc = _processor(column, conn.dialect)
        if proc is None:
            continue
        if index >= given:  # a default: the same value in every row
            values[index] = [proc(values[index][0])] * count
        elif isinstance(column.type, JSON):
            values[index] = _documents(proc, values[index])
        else:
            values[index] = _processed_once(proc, values[index])
    params = list(zip(*values, strict=True))
    quoted = ", ".join(f'"{c.name}"' for c in columns)
    marks = ", ".join("?" for _ in columns)
    conn.exec_driver_sql(f'INSERT INTO "{table.name}" ({quoted}) VALUES ({marks})', params)


def _columns(
    rows: Sequence[dict[str, Any]], names: list[str], defaults: dict[str, Any], count: int
) -> list[list[Any]]:
    """The rows' values as columns (`names` from each row, then the defaults)."""
    defaulted = [[value] * count for value in defaults.values()]
    if len(names) == 1:
        return [[row[names[0]] for row in rows], *defaulted]
    pick = itemgetter(*names)
    try:
        table = [pick(row) for row in rows]
    except KeyError:  # a row without some key: that column's default, if it has one
        table = [tuple(row[n] if n in row else defaults[n] for n in names) for row in rows]
    return [list(column) for column in zip(*table, strict=True)] + defaulted


def _processed_once(proc: Callable[[Any], Any], column: list[Any]) -> list[Any]:
    """`proc` of each value, called once per distinct value (the processors are pure;
    values of one non-JSON column are of one kind, so equal values store the same)."""
    seen: dict[Any, Any] = {}
    out = []
    for value in column:
        try:
            out.append(seen[value])
        except KeyError:
            out.append(seen.setdefault(value, proc(value)))
        except TypeError:  # unhashable
            out.append(proc(value))
    return out


def _documents(proc: Callable[[Any], Any], column: list[Any]) -> list[Any]:
    """`proc` of each JSON document; those that repeat in bulk (nothing, an empty
    list or mapping, a list of words such as tags) are serialised once."""
    seen: dict[Any, Any] = {}
    out = []
    for value in column:
        kind = value.__class__
        if value is None or (kind is dict and not value):
            key: Any = kind
        elif kind is list and all(item.__class__ is str for item in value):
            key = tuple(value)
        else:
            out.append(proc(value))
            continue
        try:
            out.append(seen[key])
        except KeyError:
            out.append(seen.setdefault(key, proc(value)))
    return out
