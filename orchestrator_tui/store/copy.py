"""Copy a whole database to another (SQLite <-> PostgreSQL): every table, every
id, the audit trail as it was, and sequences moved past the copied ids.

Both ends are brought to this program's schema first (the source migrated as
on any open, the destination created), so the copy is row for row. The
destination must be empty unless `replace` is given, and it is written in one
transaction: a failure leaves it as it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Connection, Integer, Table, func, select, text, update

from ..domain.errors import ValidationFailed
from .engine import Database
from .schema import SCHEMA_VERSION, ensure_schema, lock_for_replacing, new_generation
from .tables import metadata

_CHUNK = 2000
_META = "schema_meta"


@dataclass
class CopyReport:
    source: str
    destination: str
    schema_version: int = SCHEMA_VERSION
    rows: dict[str, int] = field(default_factory=dict)


def _tables() -> list[Table]:
    """Every table but the schema version, parents before children."""
    return [t for t in metadata.sorted_tables if t.name != _META]


def _self_references(table: Table) -> list[str]:
    """Columns pointing at the table itself (a task's parent): filled in afterwards."""
    return [fk.parent.name for fk in table.foreign_keys if fk.column.table is table]


def _rows_in(conn: Connection) -> dict[str, int]:
    return {
        t.name: conn.execute(select(func.count()).select_from(t)).scalar_one() for t in _tables()
    }


def copy_database(source: Database, destination: Database, replace: bool = False) -> CopyReport:
    """Copy everything in `source` into `destination` (see the module docstring)."""
    if source.url == destination.url:
        raise ValidationFailed("the source and the destination are the same database")
    ensure_schema(source)
    ensure_schema(destination)
    report = CopyReport(source.describe(), destination.describe())
    with source.read() as src, destination.write() as dest:
        lock_for_replacing(dest)
        held = {name: n for name, n in _rows_in(dest).items() if n}
        if held and not replace:
            listed = ", ".join(f"{name} {n}" for name, n in sorted(held.items()))
            raise ValidationFailed(
                f"{destination.describe()} is not empty ({listed}); "
                "pass --replace to overwrite it (nothing was written)"
            )
        for table in reversed(_tables()):
            dest.execute(table.delete())
        for table in _tables():
            report.rows[table.name] = _copy_table(src, dest, table)
        _fix_sequences(dest)
        new_generation(dest)  # its readers and runners see its rows replaced
    return report


def _copy_table(src: Connection, dest: Connection, table: Table) -> int:
    later = _self_references(table)
    key = list(table.primary_key.columns)
    deferred: list[dict[str, object]] = []
    copied = 0
    result = src.execution_options(yield_per=_CHUNK).execute(select(table).order_by(*key))
    for chunk in result.partitions():
        rows = [dict(r._mapping) for r in chunk]
        for row in rows:
            links = {name: row[name] for name in later if row[name] is not None}
            if links:
                deferred.append({**{f"k_{c.name}": row[c.name] for c in key}, **links})
                row.update(dict.fromkeys(links))
        dest.execute(table.insert(), rows)
        copied += len(rows)
    for link in deferred:
        values = {name: link[name] for name in later if name in link}
        where = [c == link[f"k_{c.name}"] for c in key]
        dest.execute(update(table).where(*where).values(values))
    return copied


def _fix_sequences(dest: Connection) -> None:
    """PostgreSQL: each serial key's sequence continues after the copied ids.

    Only integer keys can own a sequence; of those, a key that is also a link
    (task_context's task, run_changes' run) has none and is left alone."""
    if dest.dialect.name != "postgresql":
        return
    for table in _tables():
        for column in table.primary_key.columns:
            if not isinstance(column.type, Integer):
                continue  # a text key, such as plan_budgets' plan
            sequence = dest.execute(
                text("SELECT pg_get_serial_sequence(:table, :column)"),
                {"table": f'"{table.name}"', "column": column.name},
            ).scalar()
            if sequence is None:
                continue
            highest = dest.execute(select(func.max(column))).scalar()
            dest.execute(
                text("SELECT setval(:sequence, :next, false)"),
                {"sequence": sequence, "next": (highest or 0) + 1},
            )
