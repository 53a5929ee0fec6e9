"""The bulk insert path stores exactly what SQLAlchemy's own insert stores."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, text

from orchestrator_tui.domain.models import TaskSpec
from orchestrator_tui.services.tasks import spec_to_values
from orchestrator_tui.store.bulk import bulk_insert
from orchestrator_tui.store.tables import Task


def test_bulk_insert_matches_core_insert(orch):
    now = datetime(2025, 5, 1, 12, 30, tzinfo=UTC)
    spec = TaskSpec(title="t", tags=["a"], extra={"k": [1, None]}, success_criteria=["ok"])
    first = {**spec_to_values(spec, now), "key": "core"}
    second = {**spec_to_values(spec, now), "key": "bulk"}
    with orch.db.write() as conn:
        conn.execute(Task.__table__.insert(), [first])
        bulk_insert(conn, Task.__table__, [second])
    with orch.db.read() as conn:
        rows = conn.execute(text("SELECT * FROM tasks ORDER BY id")).all()
    core, bulk = (dict(r._mapping) for r in rows)
    for row in (core, bulk):
        row.pop("id")
        row.pop("key")
    assert bulk == core
    assert core["version"] == 1  # a column default the bulk path must fill in too


def test_bulk_insert_fills_callable_defaults(orch):
    from orchestrator_tui.store.tables import Agent

    now = datetime(2025, 5, 1, tzinfo=UTC)
    with orch.db.write() as conn:
        bulk_insert(conn, Agent.__table__, [{"name": "a1", "registered_at": now}])
    with orch.db.read() as conn:
        agents = Agent.__table__.c
        meta, capabilities = conn.execute(select(agents.meta, agents.capabilities)).one()
    assert (meta, capabilities) == ({}, [])
