"""Statements compiled once and run on SQLite's own cursor.

On every execution SQLAlchemy Core works out the statement's cache key,
processes its parameters through the compiled form and sets up a result:
more than SQLite takes to run a small statement. A runner's round runs about
eight of them, and that work was about half of the round. A `Prepared`
statement is compiled once per shape (the lengths of its expanding `IN`
lists), and on SQLite its parameters and rows go through the same bind and
result processors SQLAlchemy uses (what is stored and read is the same) on
the driver's cursor, in the caller's transaction. Other databases, and an
empty `IN` list (which SQLAlchemy renders specially), go through SQLAlchemy.

Rows come back as named tuples (`row.id`, `row._mapping`), like SQLAlchemy's.
"""

from __future__ import annotations

import sqlite3
from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

_Processor = Callable[[Any], Any] | None


def run_on_driver(conn: Connection, sql: str, values: Any, many: bool = False) -> Any:
    """`sql` on the driver's cursor of this SQLite connection, in its transaction;
    the driver's errors raised as SQLAlchemy raises them (a locked database...)."""
    driver = conn.connection.driver_connection
    assert driver is not None
    try:
        return driver.executemany(sql, values) if many else driver.execute(sql, values)
    except sqlite3.Error as exc:
        raise DBAPIError.instance(sql, values, exc, sqlite3.Error) from exc


class _Shape:
    """The SQL text and processing of one statement for one set of `IN` lengths."""

    def __init__(self, compiled: Any, dialect: Any, lengths: Mapping[str, int]) -> None:
        sql = compiled.string
        order: list[tuple[str, bool]] = []  # (name, expanding) in the order of the marks
        for name in compiled.positiontup or ():
            bind = compiled.binds[name]
            if bind.expanding:
                count = lengths[name]
                sql = sql.replace(f"__[POSTCOMPILE_{name}]", ", ".join("?" * count), 1)
            order.append((name, bool(bind.expanding)))
        if "__[POSTCOMPILE_" in sql:
            raise ValueError("a literal-execute parameter cannot be prepared")
        self.sql = sql
        self.order = order
        self.binds: dict[str, _Processor] = {
            name: compiled.binds[name].type._cached_bind_processor(dialect) for name, _ in order
        }
        self.expanding = {name for name, many in order if many}
        # Values the statement carries itself (the rules' fixed words), processed once.
        self.fixed: dict[str, Any] = {}
        for name in self.binds:
            bind = compiled.binds[name]
            if not bind.required:
                value, proc = bind.effective_value, self.binds[name]
                if proc is not None:
                    value = list(map(proc, value)) if bind.expanding else proc(value)
                self.fixed[name] = value
        # Without `IN` lists, the fixed values sit in a list copied for each execution
        # (the candidate query has ~100 marks, two of them given by the caller).
        self.template: list[Any] | None = None
        self.slots: list[tuple[int, str]] = []
        if not self.expanding:
            self.template = [self.fixed.get(name) for name, _ in order]
            self.slots = [(i, name) for i, (name, _) in enumerate(order) if name not in self.fixed]
        columns = compiled._result_columns
        results = [col[3]._cached_result_processor(dialect, None) for col in columns]
        #: (column index, processor) of the columns SQLAlchemy processes on the way out
        self.processed = [(i, proc) for i, proc in enumerate(results) if proc is not None]
        self.row = _row_class([col[0] for col in columns]) if columns else None

    def values(self, params: Mapping[str, Any]) -> list[Any]:
        """The positional values of one execution, each processed once."""
        ready: dict[str, Any] = {}
        binds, expanding = self.binds, self.expanding
        for name, value in params.items():
            if name not in binds:
                continue
            proc = binds[name]
            if proc is None:
                ready[name] = value
            elif name in expanding:
                ready[name] = list(map(proc, value))
            else:
                ready[name] = proc(value)
        fixed = self.fixed
        if self.template is not None and not any(name in fixed for name in ready):
            out = self.template.copy()  # no `IN` list: the marks never move
            for index, name in self.slots:
                out[index] = ready[name]
            return out
        ready = {**fixed, **ready}
        out = []
        for name, many in self.order:
            if many:
                out.extend(ready[name])
            else:
                out.append(ready[name])
        return out

    def rows(self, raw: list[tuple[Any, ...]]) -> list[Any]:
        make = self.row
        assert make is not None
        processed = self.processed
        if not processed:
            return [make._make(r) for r in raw]
        out = []
        for r in raw:
            values = list(r)
            for index, proc in processed:
                values[index] = proc(values[index])
            out.append(make._make(values))
        return out


def _row_class(names: list[str]) -> Any:
    base = namedtuple("Row", names, rename=True)  # type: ignore[misc]

    class Row(base):
        __slots__ = ()

        @property
        def _mapping(self) -> dict[str, Any]:
            return dict(zip(names, self, strict=True))

    return Row


class Prepared:
    """A Core statement run with a fraction of SQLAlchemy's per-execution work on
    SQLite (see the module's notes); through SQLAlchemy elsewhere."""

    def __init__(self, stmt: Any) -> None:
        self.stmt = stmt
        self._shapes: dict[tuple[int, ...], _Shape] = {}
        self._compiled: Any = None  # for SQLite, on first use; each shape is cut from it
        self._expanding: tuple[str, ...] = ()  # the names of its `IN` lists

    def rows(self, conn: Connection, params: Mapping[str, Any]) -> list[Any]:
        """Every row of one execution."""
        shape = self._shape(conn, params)
        if shape is None:
            return list(conn.execute(self.stmt, dict(params)))
        cursor = run_on_driver(conn, shape.sql, shape.values(params))
        return shape.rows(cursor.fetchall()) if shape.row is not None else []

    def scalars(self, conn: Connection, params: Mapping[str, Any]) -> list[Any]:
        """The first column of every row of one execution."""
        return [row[0] for row in self.rows(conn, params)]

    def many(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        """One executemany of a statement without `IN` lists or a result."""
        if not rows:
            return
        shape = self._shape(conn, rows[0])
        if shape is None or shape.row is not None:
            conn.execute(self.stmt, [dict(r) for r in rows])
            return
        values = [shape.values(r) for r in rows]
        run_on_driver(conn, shape.sql, values, many=True)

    def _shape(self, conn: Connection, params: Mapping[str, Any]) -> _Shape | None:
        if conn.dialect.name != "sqlite":
            return None
        if self._compiled is None:
            self._compiled = self.stmt.compile(dialect=conn.dialect)
            binds = self._compiled.binds.values()
            self._expanding = tuple(sorted({b.key for b in binds if b.expanding}))
        expanding = self._expanding
        lengths = tuple(len(params[name]) for name in expanding)
        if 0 in lengths:
            return None
        shape = self._shapes.get(lengths)
        if shape is None:
            counts = dict(zip(expanding, lengths, strict=True))
            shape = self._shapes[lengths] = _Shape(self._compiled, conn.dialect, counts)
        return shape
