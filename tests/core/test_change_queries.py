"""The change feed's queries: marks, what the events touched, the rows to read again;
on SQLite, and on PostgreSQL when a server is available (see tests/databases.py)."""

from __future__ import annotations

import pytest

from orchestrator_tui.domain.changes import MEMBERSHIP, fields_changed
from orchestrator_tui.domain.enums import TaskStatus
from orchestrator_tui.domain.models import TaskSpec
from orchestrator_tui.services import Orchestrator
from orchestrator_tui.services.queries import TaskFilter
from orchestrator_tui.store.tables import LogLine, Run, utcnow


@pytest.fixture
def db(orch: Orchestrator) -> Orchestrator:
    return orch  # on each backend (tests/databases.py)


def add(o: Orchestrator, key: str) -> None:
    o.tasks.create(TaskSpec(key=key, title=f"task {key}"))


def test_feed_marks_move_with_events_and_with_stored_lines(db: Orchestrator) -> None:
    generation = db.queries.feed_marks().generation
    assert generation and db.queries.feed_marks() == (generation, 0, 0)
    add(db, "A")
    _, events, lines = db.queries.feed_marks()
    assert events > 0 and lines == 0
    with db.db.write() as conn:
        run = conn.execute(
            Run.__table__.insert().values(
                execution_id="x", task_id=1, agent="a", status="running", started_at=utcnow()
            )
        ).inserted_primary_key[0]
        conn.execute(
            LogLine.__table__.insert().values(
                run_id=run, seq=0, stream="stdout", text="hi", created_at=utcnow()
            )
        )
    assert db.queries.feed_marks() == (generation, events, 1)  # a line is no event


def test_changes_since_names_the_tasks_and_kinds(db: Orchestrator) -> None:
    add(db, "A")
    add(db, "B")
    mark = db.queries.last_event_id()
    db.tasks.start("B")
    changes = db.queries.changes_since(mark)
    assert changes.keys == {"B"} and changes.kinds == {"status_changed"}
    assert changes.last_id == db.queries.last_event_id()
    assert MEMBERSHIP not in fields_changed(changes.kinds)
    add(db, "C")
    assert MEMBERSHIP in fields_changed(db.queries.changes_since(changes.last_id).kinds)
    too_many = db.queries.changes_since(0, limit=2)
    assert too_many.keys is None and too_many.last_id == db.queries.last_event_id()


def test_changed_rows_include_dependents_and_apply_the_filter(db: Orchestrator) -> None:
    for key in ("A", "B", "C", "D"):
        add(db, key)
    db.deps.add("B", "A")  # B waits for A
    db.tasks.start("A")
    everything = frozenset({"A", "B", "C", "D"})
    considered, rows = db.queries.changed_rows(frozenset({"A"}), everything)
    assert considered == {"A", "B"}
    assert {r.key: r.status for r in rows} == {"A": TaskStatus.IN_PROGRESS, "B": TaskStatus.PENDING}
    running = TaskFilter(statuses=frozenset({TaskStatus.IN_PROGRESS}))
    considered, rows = db.queries.changed_rows(frozenset({"A"}), frozenset({"B"}), running)
    assert considered == {"B"} and rows == []  # B is shown no more under this filter
