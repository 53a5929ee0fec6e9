"""Inserting many rows fast.

`conn.execute(table.insert(), rows)` spends most of its time building
parameters row by row (about 3x the cost of the inserts themselves at 100k
rows). `bulk_insert` takes each column's bind processor once, applies it in
a tight loop, and hands plain tuples to the driver's executemany. The
values stored are exactly those SQLAlchemy would store. A value that repeats
in a column (the load's one `now`, a status word) is processed once.
`insert_columns` does the same for rows given column by column (a plan load
builds its rows so, without a dict per row), and takes JSON documents
already serialised (`flat_documents`: small mappings of text written from
fragments, as `json.dumps` writes them).

`collector_paused()` keeps Python's cyclic garbage collector from walking
every object of a large import again and again while it is built and
written (a third of a 100k-task load went to full collections); reference
counting still frees everything as usual.
"""

from __future__ import annotations

import gc
import json
import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import chain
from operator import itemgetter
from typing import Any

from sqlalchemy import JSON, Connection, Table
from sqlalchemy.sql.schema import CallableColumnDefault, ScalarElementColumnDefault

from .columns import RowDefault
from .driver import run_on_driver

_quote = json.encoder.encode_basestring_ascii  # json.dumps of a str, as C code


def _one_shot_encoder() -> Callable[[Any], str]:
    """`json.dumps` with its defaults for a mapping or list: the C encoder that
    `JSONEncoder.encode` makes for each call, made here without the two Python
    calls around it (a 100k-task load serialises 100k mappings); the standard
    encoder where the C one is missing or gives other text."""
    standard = json.JSONEncoder()
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return standard.encode

    def encode(value: Any, _join: Callable[[Any], str] = "".join) -> str:
        return _join(
            make({}, standard.default, _quote, None, ": ", ", ", False, False, True)(value, 0)
        )

    sample = {"a": [1, 2.5, "é\n", None, True, {"b": float("inf")}], "": {}}
    return encode if encode(sample) == json.dumps(sample) else standard.encode


_ENCODE = _one_shot_encoder()  # json.dumps with its defaults, at C speed


def _encode_each(values: list[Any]) -> list[str]:
    """`_ENCODE` of each value, through one C encoder for them all (making one is
    a third of encoding a small mapping). Its circular-reference markers are
    empty again after each value, as one call leaves them."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None or hasattr(_ENCODE, "__self__"):  # a JSONEncoder's own `encode`
        return list(map(_ENCODE, values))
    standard = json.JSONEncoder()
    encoder = make({}, standard.default, _quote, None, ": ", ", ", False, False, True)
    join = "".join
    return [join(encoder(value, 0)) for value in values]


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


def bulk_insert(
    conn: Connection, table: Table, rows: Sequence[dict[str, Any]], on_driver: bool = False
) -> None:
    """Insert `rows` (dicts with the same keys) into `table`, one executemany;
    `on_driver`: straight on the driver's cursor (SQLAlchemy's engine events do
    not see it; a runner's round inserts its events and runs so)."""
    if not rows:
        return
    derived = _row_defaults(table, list(rows[0]))
    if derived:  # given here (SQLAlchemy would call the default once per row, slowly)
        rows = [{**row, **{n: d.rule(row[d.source]) for n, d in derived.items()}} for row in rows]
    if conn.dialect.name != "sqlite":
        conn.execute(table.insert(), list(rows))
        return
    names = list(rows[0])
    defaults = _defaults(table, names)
    if defaults is None:  # a default SQLAlchemy must compute
        conn.execute(table.insert(), list(rows))
        return
    values = _columns(rows, names, defaults, len(rows))
    _insert(conn, table, [*names, *defaults], values, len(names), on_driver=on_driver)


def insert_columns(
    conn: Connection,
    table: Table,
    columns: dict[str, list[Any]],
    serialised: Collection[str] = (),
) -> None:
    """Insert rows given column by column (`name -> values`, every list as long),
    one executemany: what `bulk_insert` stores for the same rows, without a dict
    per row. The JSON columns named in `serialised` hold documents already
    serialised as `json.dumps` does (`flat_documents`)."""
    names = list(columns)
    count = len(columns[names[0]]) if names else 0
    if not count:
        return
    derived = _row_defaults(table, names)
    if derived:
        computed = {name: list(map(d.rule, columns[d.source])) for name, d in derived.items()}
        columns = {**columns, **computed}
        names = list(columns)
    sqlite = conn.dialect.name == "sqlite"
    defaults = _defaults(table, names) if sqlite else None
    if defaults is None or (serialised and _json_encode(conn) is None):
        # another database, a default SQLAlchemy must compute, or a JSON serializer of
        # the engine's own: documents as objects, through SQLAlchemy
        columns = {
            n: list(map(json.loads, v)) if n in serialised else v for n, v in columns.items()
        }
        if defaults is None:
            table_rows = zip(*columns.values(), strict=True)
            rows = [dict(zip(names, row, strict=True)) for row in table_rows]
            conn.execute(table.insert(), rows)
            return
        serialised = ()
    values = [*columns.values(), *([value] * count for value in defaults.values())]
    _insert(conn, table, [*names, *defaults], values, len(names), serialised)


def flat_documents(*keys: str) -> Callable[..., str]:
    """A maker of `{key: text, ...}` documents (the values all `str`), serialised
    from fragments: equal to `json.dumps` of the same dict, in a fraction of its time."""
    template = _flat_template(keys)

    def document(*values: str) -> str:
        return template % tuple(map(_quote, values))

    return document


def flat_document_column(keys: Sequence[str], *columns: Iterable[str]) -> list[str]:
    """`flat_documents(*keys)` of each row of `columns` (one column of text per key),
    without a Python call per row."""
    quoted = zip(*[map(_quote, column) for column in columns], strict=True)
    return list(map(_flat_template(keys).__mod__, quoted))


def _flat_template(keys: Sequence[str]) -> str:
    return "{" + ", ".join(json.dumps(k).replace("%", "%%") + ": %s" for k in keys) + "}"


def _json_encode(conn: Connection) -> Callable[[Any], str] | None:
    """What SQLAlchemy's JSON processor does to a mapping or list here, without its
    wrapping (its checks are for None and its NULL markers): `json.dumps`, unless
    the engine was given a serializer of its own (then None)."""
    return _ENCODE if getattr(conn.dialect, "_json_serializer", None) is None else None


def _row_defaults(table: Table, names: Sequence[str]) -> dict[str, RowDefault]:
    """The columns not in `names` whose default is computed from a column in `names`
    (`columns.RowDefault`, such as a task's `key_order`): their values are computed
    here for every row, as SQLAlchemy would one row at a time."""
    return {
        column.name: arg
        for column in table.columns
        if column.name not in names
        and isinstance(column.default, CallableColumnDefault)
        and isinstance(arg := column.default.arg, RowDefault)
        and arg.source in names
    }


def _defaults(table: Table, names: Sequence[str]) -> dict[str, Any] | None:
    """The value of each column not in `names` that has a default; None when one
    of them is a sequence, an SQL expression or computed from a column not given
    (SQLAlchemy must insert then)."""
    defaults: dict[str, Any] = {}
    for column in table.columns:
        if column.name in names or column.default is None:
            continue
        if isinstance(column.default, ScalarElementColumnDefault):
            defaults[column.name] = column.default.arg
        elif isinstance(column.default, CallableColumnDefault):
            if isinstance(column.default.arg, RowDefault):
                return None
            # SQLAlchemy wraps it to take an execution context; ours never read it.
            no_context: Any = None
            defaults[column.name] = column.default.arg(no_context)
        else:
            return None
    return defaults


def _insert(
    conn: Connection,
    table: Table,
    names: list[str],
    values: list[list[Any]],
    given: int,
    serialised: Collection[str] = (),
    on_driver: bool = False,
) -> None:
    """Process `values` (one list per column of `names`; those after `given` are
    defaults, the same in every row) as SQLAlchemy would and executemany them.
    Columns whose every value is NULL and that have no default are left out."""
    columns = [table.c[name] for name in names]
    encode = _json_encode(conn)
    for index, column in enumerate(columns):
        proc = _processor(column, conn.dialect)
        if proc is None or column.name in serialised:
            continue
        if index >= given:  # a default: the same value in every row
            values[index] = [proc(values[index][0])] * len(values[index])
        elif isinstance(column.type, JSON):
            values[index] = _documents(proc, values[index], encode)
        else:
            values[index] = _processed_once(proc, values[index])
    kept = [
        index
        for index, column in enumerate(columns)
        if column.default is not None
        or column.server_default is not None
        or values[index].count(None) != len(values[index])
    ]
    if len(kept) < len(columns):  # binding a NULL costs as much as a value
        columns, values = [columns[i] for i in kept], [values[i] for i in kept]
    params = list(zip(*values, strict=True))
    quoted = ", ".join(f'"{c.name}"' for c in columns)
    marks = ", ".join("?" for _ in columns)
    sql = f'INSERT INTO "{table.name}" ({quoted}) VALUES ({marks})'
    if on_driver:
        run_on_driver(conn, sql, params, many=True)
    else:
        conn.exec_driver_sql(sql, params)


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
    try:
        stored = {value: proc(value) for value in dict.fromkeys(column)}
    except TypeError:  # unhashable
        return [proc(value) for value in column]
    return list(map(stored.__getitem__, column))


def _documents(
    proc: Callable[[Any], Any], column: list[Any], encode: Callable[[Any], str] | None
) -> list[Any]:
    """`proc` of each JSON document; those that repeat in bulk (nothing, an empty
    list or mapping, a list of words such as tags) are serialised once. `encode`,
    when given, is what `proc` does to a mapping (json.dumps), without its wrapping.
    A column of one kind of document is done at C speed where it can be."""
    kinds = set(map(type, column))
    if kinds == {type(None)}:
        return [proc(None)] * len(column)
    if kinds == {dict} and encode is _ENCODE:
        return _encode_each(column)
    if kinds == {dict} and encode is not None:
        return list(map(encode, column))
    if kinds == {list} and set(map(type, chain.from_iterable(column))) <= {str}:
        keyed = list(map(tuple, column))  # lists of words: each distinct one once
        stored = {key: proc(list(key)) for key in dict.fromkeys(keyed)}
        return list(map(stored.__getitem__, keyed))
    seen: dict[Any, Any] = {}
    out = []
    for value in column:
        kind = value.__class__
        if kind is dict:
            if value:
                out.append(encode(value) if encode else proc(value))
                continue
            key: Any = kind
        elif value is None:
            key = kind
        elif kind is list:
            try:
                "".join(value)  # every item is text (else not a repeat worth keeping)
            except TypeError:
                out.append(proc(value))
                continue
            key = tuple(value)
        else:
            out.append(proc(value))
            continue
        try:
            out.append(seen[key])
        except KeyError:
            out.append(seen.setdefault(key, proc(value)))
    return out
