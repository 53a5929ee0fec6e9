"""Agent reports move the task, record progress and keep the findings."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Connection, select

from orchestrator_tui.domain.enums import EventKind, TaskStatus
from orchestrator_tui.domain.errors import DatabaseLocked, InvalidTransition, ValidationFailed
from orchestrator_tui.domain.models import TaskSpec
from orchestrator_tui.services import Orchestrator, collaboration
from orchestrator_tui.services.base import ServiceContext
from orchestrator_tui.services.reports import read_report
from orchestrator_tui.store.tables import Event, Note, ProgressRecord, Task


def test_report_in_seed_words_finishes_the_task(orch: Orchestrator) -> None:
    orch.tasks.create(TaskSpec(key="R-1", title="refunds"))
    orch.tasks.start("R-1")
    report = read_report(
        '{"agent_name": "ada", "status": "completed", "progress": 100,'
        ' "summary": "refunds work", "issues_found": ["flaky test"]}',
        "r.json",
    )
    task = orch.reports.apply("R-1", report)
    assert task.status.value == "done"
    notes = orch.queries.notes_for("R-1")
    assert notes[0].author == "ada" and "- flaky test" in notes[0].body
    assert orch.queries.progress_for("R-1")[-1].percent == 100
    assert orch.queries.timeline("R-1")[-1].actor == "ada"


def test_refused_report_writes_nothing(orch: Orchestrator) -> None:
    orch.tasks.create(TaskSpec(key="R-2", title="not started"))
    before = orch.queries.last_event_id()
    report = read_report('{"agent_name": "ada", "status": "done", "progress": 90}', "r.json")
    with pytest.raises(InvalidTransition):
        orch.reports.apply("R-2", report)
    assert orch.queries.last_event_id() == before
    assert orch.queries.notes_for("R-2") == []


def test_malformed_report_names_the_field() -> None:
    with pytest.raises(ValidationFailed, match=r"r.json: progress"):
        read_report('{"agent_name": "a", "status": "done", "progress": 140}', "r.json")
    with pytest.raises(ValidationFailed, match="invalid JSON"):
        read_report("{nope", "r.json")


def _stored(orch: Orchestrator) -> dict[str, list[tuple[Any, ...]]]:
    """Every row a report can write: the tasks, notes, progress records and events."""
    tables = {"tasks": Task, "notes": Note, "progress": ProgressRecord, "events": Event}
    with orch.db.read() as conn:
        return {
            name: [tuple(row) for row in conn.execute(select(table.__table__).order_by("id"))]
            for name, table in tables.items()
        }


@pytest.mark.parametrize("failing", [EventKind.NOTE, EventKind.PROGRESS])
def test_report_failing_after_its_move_writes_nothing(
    orch: Orchestrator, monkeypatch: pytest.MonkeyPatch, failing: EventKind
) -> None:
    """A report is one transaction: when its note or its progress cannot be written
    (here the database gives up on the lock at that step), the move it made before is
    not kept either, nor anything else of it."""
    orch.tasks.create(TaskSpec(key="R-3", title="half written"))
    orch.tasks.start("R-3")
    orch.collab.progress("R-3", 30, "begun")
    before = _stored(orch)
    write_event = collaboration.record_event

    def locked_at(conn: Connection, ctx: ServiceContext, kind: EventKind, *a: Any) -> int:
        if kind is failing:
            raise DatabaseLocked("database is locked by another process")
        return write_event(conn, ctx, kind, *a)

    monkeypatch.setattr(collaboration, "record_event", locked_at)
    report = read_report(
        '{"agent_name": "ada", "status": "completed", "progress": 100, "summary": "ok"}', "r.json"
    )
    with pytest.raises(DatabaseLocked):
        orch.reports.apply("R-3", report)
    assert _stored(orch) == before
    assert orch.queries.get_task("R-3").status is TaskStatus.IN_PROGRESS
