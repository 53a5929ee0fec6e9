"""What the tables' columns are made of besides SQLAlchemy's own types: UTC times,
fresh empty JSON values, values computed from another column of the row (a task's
natural-order key), and the agent columns schema version 5 added. SQLAlchemy
Core only, shared by the table declarations (`table_models`) and the Core tables
generated from them (`tables`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator

from ..domain.natural import natural_key


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as UTC; gives back aware UTC datetimes on every backend."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use UTC-aware times")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def new_list() -> list[Any]:
    """The default of a JSON list column (a new list for every row)."""
    return []


def new_dict() -> dict[str, Any]:
    """The default of a JSON object column (a new dict for every row)."""
    return {}


@dataclass(frozen=True)
class RowDefault:
    """The default of a column that holds `rule(the row's <source> column)`: what
    SQLAlchemy fills in on every insert that leaves the column out (it calls this
    with the statement's execution context, once per row), and what the bulk
    inserts (`bulk.py`) compute column by column for the same rows."""

    source: str
    rule: Callable[[Any], Any]

    def __call__(self, context: Any) -> Any:
        return self.rule(context.get_current_parameters()[self.source])


#: `tasks.key_order`: the key's natural-order form (`domain.natural.natural_key`),
#: kept with the row so a list in key order reads an index instead of sorting every
#: task. A task's key never changes once written, so neither does this.
KEY_ORDER = RowDefault("key", natural_key)


#: Columns added to `runs` by schema version 5 (name -> SQL type): what
#: `AgentRunFacts` held then, kept as it was for that migration.
AGENT_RUN_COLUMNS = {
    "profile": "VARCHAR",
    "prompt": "TEXT",
    "session_id": "VARCHAR",
    "model": "VARCHAR",
    "turns": "INTEGER",
    "input_tokens": "INTEGER",
    "output_tokens": "INTEGER",
    "cached_tokens": "INTEGER",
    "cost_usd": "FLOAT",
    "summary": "TEXT",
}


def utcnow() -> datetime:
    return datetime.now(UTC)
