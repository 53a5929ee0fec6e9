"""What the tables' columns are made of besides SQLAlchemy's own types: UTC times,
fresh empty JSON values, and the agent columns schema version 5 added. SQLAlchemy
Core only, shared by the table declarations (`table_models`) and the Core tables
generated from them (`tables`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator


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
