"""The pushed change feed: on PostgreSQL every committed write that records
events NOTIFYs listeners, within a fraction of the polling interval; a refused
write (rolled back) sends nothing. SQLite has no push: readers poll."""

from __future__ import annotations

import threading

import pytest

from orchestrator_tui.domain.enums import TaskStatus
from orchestrator_tui.domain.errors import OrchestratorError
from orchestrator_tui.domain.models import TaskSpec
from orchestrator_tui.domain.plan import PlanSpec
from orchestrator_tui.services import Orchestrator, open_orchestrator


class Heard:
    def __init__(self) -> None:
        self.count = 0
        self.cond = threading.Condition()

    def __call__(self) -> None:
        with self.cond:
            self.count += 1
            self.cond.notify_all()

    def after(self, seen: int, timeout: float) -> bool:
        """True when something was heard after `seen` within `timeout` seconds."""
        with self.cond:
            return self.cond.wait_for(lambda: self.count > seen, timeout)


@pytest.mark.postgres_only
def test_committed_events_are_pushed_and_refused_writes_are_not(
    orch: Orchestrator, db_url: str
) -> None:
    heard = Heard()
    listener = orch.listen(heard)
    assert listener is not None
    other = open_orchestrator(db_url, "bob")
    try:
        assert listener.listening.wait(10) and heard.after(0, 10)  # the catch-up call
        seen = heard.count
        other.tasks.create(TaskSpec(key="A", title="one event row"))
        # How soon: benchmarks/bench_postgres.py (a figure against its goal).
        assert heard.after(seen, 5), "a created task was not pushed"

        seen = heard.count
        other.tasks.transition("A", TaskStatus.IN_PROGRESS)  # the movers' batched events
        assert heard.after(seen, 5), "a status move was not pushed"

        seen = heard.count
        with pytest.raises(OrchestratorError):
            other.tasks.create(TaskSpec(key="A", title="a duplicate is refused"))
        assert not heard.after(seen, 0.5), "a rolled-back write was announced"

        seen = heard.count
        other.plans.load(PlanSpec(tasks=[{"key": "B", "title": "bulk"}]), "bulk")
        assert heard.after(seen, 5), "a plan load (bulk insert) was not pushed"
    finally:
        listener.stop()
        other.close()
    assert not listener.listening.is_set()


@pytest.mark.sqlite_only
def test_sqlite_offers_no_push_so_readers_poll(orch: Orchestrator, backend: str) -> None:
    assert orch.listen(lambda: None) is None
