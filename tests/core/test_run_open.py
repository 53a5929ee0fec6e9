"""An open run is one rule (`rules.RUN_OPEN`), the same in Python and in every SQL
statement that asks it, over every run status."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import insert, select

from orchestrator_tui.domain import rules
from orchestrator_tui.domain.enums import RunStatus
from orchestrator_tui.domain.models import CommandSpec, TaskSpec
from orchestrator_tui.services import Orchestrator
from orchestrator_tui.services import rules as sql_rules
from orchestrator_tui.store.tables import Run

R = Run.__table__.c


def _with_run(orch: Orchestrator, key: str, status: RunStatus) -> int:
    """A pending task with a command and one earlier run in `status`; the run's id."""
    orch.tasks.create(TaskSpec(key=key, title=key, command=CommandSpec(argv=["true"])))
    task_id = orch.queries.get_task(key).id
    with orch.ctx.db.write() as conn:
        row = {
            "execution_id": str(uuid.uuid4()),
            "task_id": task_id,
            "attempt": 1,
            "status": status.value,
            "outputs": {},
            "started_at": orch.ctx.now(),
        }
        return int(conn.execute(insert(Run.__table__).values(row).returning(R.id)).scalar_one())


def test_an_open_run_is_one_rule_in_python_and_sql(orch: Orchestrator) -> None:
    runs = {s: _with_run(orch, f"R-{s.value}", s) for s in RunStatus}
    with orch.ctx.db.read() as conn:
        open_in_sql = set(conn.execute(select(R.id).where(sql_rules.run_open())).scalars())
    assert open_in_sql == {runs[s] for s in RunStatus if rules.run_open(s)}
    assert {s for s in RunStatus if rules.run_open(s)} == {
        s for s in RunStatus if not s.is_finished
    }
    assert rules.run_open(RunStatus.QUEUED) and rules.run_open(RunStatus.RUNNING)


@pytest.mark.parametrize("status", list(RunStatus), ids=str)
def test_a_runner_claims_a_task_only_once_its_earlier_run_is_closed(
    orch: Orchestrator, status: RunStatus
) -> None:
    """`no_attempt_running` in SQL agrees with the run being open in Python (and
    with what the log pane and `task show` say of it): a queued run is open too."""
    _with_run(orch, "T-1", status)
    claimed = [c.key for c in orch.runs.claim("r1", 30, key=None, limit=1)]
    assert claimed == ([] if not status.is_finished else ["T-1"])
