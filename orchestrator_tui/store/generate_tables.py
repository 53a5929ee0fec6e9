"""Writes `tables.py`: the SQLAlchemy Core tables of the SQLModel classes in
`table_models.py`, so the program reaches the database without importing
sqlmodel, SQLAlchemy's ORM or pydantic (about half of a CLI write's time).

    python -m orchestrator_tui.store.generate_tables

Run it after changing a table in `table_models.py`; a test checks that both
declare the same tables, columns, defaults, keys, indexes and constraints.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import CheckConstraint, Column, Table, UniqueConstraint

from .columns import RowDefault

TARGET = Path(__file__).with_name("tables.py")

HEADER = '''"""The tables as SQLAlchemy Core `Table`s: what every query and write uses.

Generated from the SQLModel declarations in `table_models.py` (where the tables are
documented) by `python -m orchestrator_tui.store.generate_tables`; do not edit. Each
class only holds its table as `__table__`, as the SQLModel class does, without
importing sqlmodel, SQLAlchemy's ORM or pydantic.
"""

from __future__ import annotations

from typing import ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
)

from .columns import AGENT_RUN_COLUMNS, KEY_ORDER, UTCDateTime, new_dict, new_list, utcnow

__all__ = [
{names}]

metadata = MetaData()


class CoreTable:
    """A table's class: its Core table is `__table__`."""

    __table__: ClassVar[Table]
'''

#: The SQL types the declarations use, as written in the generated module
#: (sqlmodel's AutoString is a plain String on SQLite and PostgreSQL).
_TYPES = {
    "AutoString": "String()",
    "String": "String()",
    "Integer": "Integer()",
    "Float": "Float()",
    "Boolean": "Boolean()",
    "UTCDateTime": "UTCDateTime()",
}


#: What `tables` exports besides the table classes.
_ALSO_EXPORTED = ("AGENT_RUN_COLUMNS", "CoreTable", "UTCDateTime", "metadata", "utcnow")


def _q(text: str) -> str:
    """A string literal as the formatter writes it (double quotes)."""
    return json.dumps(text)


def _isort_key(name: str) -> tuple[int, str]:
    """The order the linter wants `__all__` in: constants, classes, the rest."""
    return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)


def _type(column: Column[Any]) -> str:
    kind = type(column.type).__name__
    if kind == "JSON":
        return "JSON(none_as_null=True)" if column.type.none_as_null else "JSON()"  # type: ignore[attr-defined]
    if kind not in _TYPES:
        raise ValueError(f"{column.table.name}.{column.name}: no Core spelling for {kind}")
    return _TYPES[kind]


def _default(column: Column[Any]) -> str | None:
    default = column.default
    if default is None:
        return None
    if default.is_callable:
        arg = default.arg  # type: ignore[attr-defined]
        if isinstance(arg, RowDefault):
            return _row_default_name(column, arg)
        empty = arg(None)
        if empty == [] or empty == {}:
            return "new_list" if isinstance(empty, list) else "new_dict"
        raise ValueError(f"{column.table.name}.{column.name}: unknown default {empty!r}")
    if default.is_scalar:
        arg = default.arg  # type: ignore[attr-defined]
        return _q(arg) if isinstance(arg, str) else repr(arg)
    raise ValueError(f"{column.table.name}.{column.name}: unsupported default")


def _row_default_name(column: Column[Any], arg: RowDefault) -> str:
    """The name `columns` gives the column's `RowDefault` (the generated module imports
    it by that name from there)."""
    from . import columns

    for name, value in vars(columns).items():
        if value is arg and name in HEADER:
            return name
    raise ValueError(f"{column.table.name}.{column.name}: its default is not imported by name")


def _column(column: Column[Any]) -> str:
    if column.server_default is not None or column.onupdate is not None:
        raise ValueError(f"{column.table.name}.{column.name}: server defaults are not rendered")
    parts = [_q(column.name), _type(column)]
    for fk in sorted(column.foreign_keys, key=lambda f: f.target_fullname):
        extra = "".join(
            f", {name}={_q(value)}"
            for name, value in (("ondelete", fk.ondelete), ("onupdate", fk.onupdate))
            if value is not None
        )
        parts.append(f"ForeignKey({_q(fk.target_fullname)}{extra})")
    if column.primary_key:
        parts.append("primary_key=True")
    parts.append(f"nullable={column.nullable}")
    if column.index:
        parts.append("index=True")
    if column.unique:
        parts.append("unique=True")
    default = _default(column)
    if default is not None:
        parts.append(f"default={default}")
    line = f"        Column({', '.join(parts)}),"
    if len(line) <= 100:
        return line
    inner = "".join(f"            {part},\n" for part in parts)
    return f"        Column(\n{inner}        ),"


def _extras(table: Table) -> list[str]:
    """Indexes and constraints declared on the table (not by a column's flags)."""
    lines = []
    for index in sorted(table.indexes, key=lambda i: str(i.name)):
        if getattr(index, "_column_flag", False):
            continue
        cols = "".join(f", {_q(c.name)}" for c in index.columns)
        unique = ", unique=True" if index.unique else ""
        lines.append(f"        Index({_q(str(index.name))}{cols}{unique}),")
    for constraint in table._sorted_constraints:
        if getattr(constraint, "_column_flag", False):
            continue
        if isinstance(constraint, UniqueConstraint):
            cols = "".join(f"{_q(c.name)}, " for c in constraint.columns)
            lines.append(f"        UniqueConstraint({cols}name={_q(str(constraint.name))}),")
        elif isinstance(constraint, CheckConstraint):
            sql, check = _q(str(constraint.sqltext)), _q(str(constraint.name))
            lines.append(f"        CheckConstraint({sql}, name={check}),")
    return lines


def _table_classes() -> list[tuple[str, Table]]:
    """(class name, table) of every table class in `table_models`, in its order."""
    from . import table_models

    found = []
    for name, value in vars(table_models).items():
        table = getattr(value, "__table__", None)
        mine = isinstance(value, type) and value.__module__ == table_models.__name__
        if mine and isinstance(table, Table):
            found.append((name, table))
    return found


def render() -> str:
    """The text of `tables.py` for the declarations as they are now."""
    classes = _table_classes()
    exported = [name for name, _ in classes] + list(_ALSO_EXPORTED)
    names = "".join(f"    {_q(name)},\n" for name in sorted(exported, key=_isort_key))
    out = [HEADER.replace("{names}", names)]
    for name, table in classes:
        body = [_column(c) for c in table.columns] + _extras(table)
        out.append(
            f"\n\nclass {name}(CoreTable):\n"
            f"    __table__ = Table(\n"
            f"        {_q(table.name)},\n"
            f"        metadata,\n" + "\n".join(body) + "\n    )\n"
        )
    return "".join(out)


def main() -> int:
    TARGET.write_text(render())
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
