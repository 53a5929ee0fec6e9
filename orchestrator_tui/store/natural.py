"""`natural_key(column)` in SQL: the rule of `domain.natural.natural_key`.

SQLite sorts a column's usual keys in plain SQL and calls the Python function
(registered on every connection) for the others, see `sqlite_functions.py`;
PostgreSQL pads each run of digits with `lpad`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnClause
from sqlalchemy.sql.functions import FunctionElement

from ..domain.natural import NUMBER_WIDTH
from .sqlite_functions import NATURAL_KEY as SQL_NAME
from .sqlite_functions import natural_key_sql


class natural_key(FunctionElement[str]):  # noqa: N801 (an SQL function)
    """ORDER BY natural_key(tasks.key): PAY-2 before PAY-10."""

    type = String()
    inherit_cache = True
    name = SQL_NAME


@compiles(natural_key)
def _compile_default(element: natural_key, compiler: Any, **kw: Any) -> str:
    return f"{SQL_NAME}({compiler.process(element.clauses, **kw)})"


@compiles(natural_key, "sqlite")
def _compile_sqlite(element: natural_key, compiler: Any, **kw: Any) -> str:
    (argument,) = element.clauses.clauses
    if not isinstance(argument, ColumnClause):  # a parameter: named once, in the call
        return _compile_default(element, compiler, **kw)
    return f"({natural_key_sql(compiler.process(argument, **kw))})"


@compiles(natural_key, "postgresql")
def _compile_postgresql(element: natural_key, compiler: Any, **kw: Any) -> str:
    text = compiler.process(element.clauses, **kw)
    part = "m.part[1]"
    padded = (
        f"CASE WHEN {part} ~ '^[0-9]' AND length({part}) <= {NUMBER_WIDTH} "
        f"THEN lpad({part}, {NUMBER_WIDTH}, '0') ELSE {part} END"
    )
    return (
        f"(SELECT string_agg({padded}, '' ORDER BY m.n) "
        f"FROM regexp_matches(lower({text}), '([0-9]+|[^0-9]+)', 'g') "
        "WITH ORDINALITY AS m(part, n))"
    )
