"""The Core tables the program uses (`store/tables.py`) are the SQLModel declarations
(`store/table_models.py`) exactly: the same tables under the same class names, and
the same DDL, column types and defaults on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, MetaData, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.schema import CreateIndex, CreateTable
from sqlmodel import SQLModel

from orchestrator_tui.store import generate_tables, table_models, tables
from orchestrator_tui.store.columns import RowDefault

REGENERATE = "run `python -m orchestrator_tui.store.generate_tables`"
DIALECTS = [sqlite.dialect(), postgresql.dialect()]


def _ddl(table: Table) -> list[str]:
    out = []
    for dialect in DIALECTS:
        out.append(str(CreateTable(table).compile(dialect=dialect)))
        for index in sorted(table.indexes, key=lambda i: str(i.name)):
            out.append(str(CreateIndex(index).compile(dialect=dialect)))
    return out


def _column(column: Column[Any]) -> tuple[Any, ...]:
    """What a column does beyond its DDL: how values are bound and what a Core
    insert fills in when none is given."""
    kind = type(column.type).__name__
    default = column.default
    if default is None:
        filled = None
    elif isinstance(default.arg, RowDefault):  # type: ignore[attr-defined]
        filled = ("from the row", default.arg)  # type: ignore[attr-defined]
    elif default.is_callable:
        filled = ("called", default.arg(None))  # type: ignore[attr-defined]
    else:
        filled = ("scalar", default.arg)  # type: ignore[attr-defined]
    return (
        column.name,
        "String" if kind == "AutoString" else kind,
        getattr(column.type, "none_as_null", None),
        getattr(column.type, "timezone", None),
        column.primary_key,
        column.nullable,
        column.autoincrement,
        filled,
        column.server_default,
        column.onupdate,
    )


def _declared() -> MetaData:
    assert table_models.Task.__table__.metadata is SQLModel.metadata
    return SQLModel.metadata


def test_the_core_tables_are_the_declared_tables() -> None:
    declared, core = _declared(), tables.metadata
    assert list(core.tables) == list(declared.tables), REGENERATE
    assert [t.name for t in core.sorted_tables] == [t.name for t in declared.sorted_tables]
    for name, table in declared.tables.items():
        mine = core.tables[name]
        assert _ddl(mine) == _ddl(table), f"{name}: {REGENERATE}"
        assert [_column(c) for c in mine.columns] == [_column(c) for c in table.columns], name


def _classes(module: Any) -> dict[str, str]:
    """Table name by class name, of the classes holding a table."""
    return {
        name: table.name
        for name, cls in vars(module).items()
        if isinstance(cls, type) and isinstance(table := getattr(cls, "__table__", None), Table)
    }


def test_every_table_class_has_its_core_table_under_the_same_name() -> None:
    declared, core = _classes(table_models), _classes(tables)
    assert core == declared
    assert all(getattr(tables, name).__table__.metadata is tables.metadata for name in core)


def test_the_generated_module_is_up_to_date() -> None:
    assert generate_tables.render() == Path(tables.__file__).read_text(), REGENERATE


def test_json_defaults_are_new_values_for_every_row() -> None:
    tags = tables.Task.__table__.c.tags.default
    first, second = tags.arg(None), tags.arg(None)  # type: ignore[union-attr]
    assert first == second == [] and first is not second


def test_a_column_the_generator_cannot_write_is_refused() -> None:
    odd = Table("odd", MetaData(), Column("x", sqlite.BLOB()))
    with pytest.raises(ValueError, match=r"odd\.x: no Core spelling for BLOB"):
        generate_tables._column(odd.c.x)
