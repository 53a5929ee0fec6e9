"""Agent reports move the task, record progress and keep the findings."""

from __future__ import annotations

import pytest

from orchestrator_tui.domain.errors import InvalidTransition, ValidationFailed
from orchestrator_tui.domain.models import TaskSpec
from orchestrator_tui.services import Orchestrator
from orchestrator_tui.services.reports import read_report


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
