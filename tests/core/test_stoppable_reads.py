"""A read whose answer is no longer wanted can be stopped from another thread (the
task list's reload when a filter is typed on), and a stop reaches nothing else."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import text

from orchestrator_tui.domain.errors import ReadStopped
from orchestrator_tui.services import StopReads, open_orchestrator

#: Counts to 10^12: hours of SQLite's time, so only a stop ends it within the test.
ENDLESS = (
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000000000000) "
    "SELECT count(*) FROM c"
)


@pytest.fixture
def orch(tmp_path):
    o = open_orchestrator(str(tmp_path / "stop.db"), "tester")
    yield o
    o.close()


def count_tasks(orch) -> int:
    with orch.db.read() as conn:
        return conn.execute(text("SELECT count(*) FROM tasks")).scalar_one()


def test_a_running_read_is_stopped_from_another_thread(orch):
    stop = StopReads()
    started, outcome = threading.Event(), []

    def read() -> None:
        with orch.stoppable_reads(stop):
            try:
                with orch.db.read() as conn:
                    started.set()
                    conn.execute(text(ENDLESS)).scalar_one()
                outcome.append("finished")
            except ReadStopped:
                outcome.append("stopped")
            except Exception as exc:  # any other ending fails the test
                outcome.append(repr(exc))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    assert started.wait(30)
    for _ in range(600):  # (the statement may not have begun when `started` was set)
        stop.stop()
        reader.join(0.05)
        if not reader.is_alive():
            break
    assert outcome == ["stopped"]
    assert count_tasks(orch) == 0  # the connection goes on serving reads


def test_a_stopped_handle_refuses_later_reads_and_nothing_else(orch):
    stop = StopReads()
    with orch.stoppable_reads(stop):
        assert count_tasks(orch) == 0  # not stopped yet
        stop.stop()
        with pytest.raises(ReadStopped):
            count_tasks(orch)
    # Outside it (the same thread, a connection the stopped read may have used):
    assert count_tasks(orch) == 0
    counted: list[int] = []
    other = threading.Thread(target=lambda: counted.append(count_tasks(orch)))
    other.start()
    other.join(30)
    assert counted == [0]


def test_a_stop_after_the_read_ended_reaches_no_later_read(orch):
    stop = StopReads()
    with orch.stoppable_reads(stop):
        assert count_tasks(orch) == 0
    stop.stop()  # late: its read is over, and the connection is back in the pool
    with orch.db.read() as conn:
        assert conn.execute(text("SELECT 1")).scalar_one() == 1
