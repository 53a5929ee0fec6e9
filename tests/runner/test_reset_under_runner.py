"""`db reset` from another terminal while a runner works: the runner stops its
children, says in one line that the database was reset under it, exits 10, and
writes nothing for the runs that vanished (not even into new runs given their ids)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest
from sqlalchemy import text

from orchestrator_tui.domain.errors import DatabaseReset, ExitCode
from orchestrator_tui.domain.models import CommandSpec, TaskSpec
from orchestrator_tui.runner import LinesStored, Runner
from orchestrator_tui.services import Orchestrator, open_orchestrator
from orchestrator_tui.store.engine import Database
from orchestrator_tui.store.tables import metadata

from .helpers import alive, fast_config, reset_elsewhere, wait_for

PY = sys.executable
#: Prints its pid, then a line every 50 ms for a minute.
CHATTY = (
    "import os, time\nprint(os.getpid(), flush=True)\n"
    "for _ in range(1200):\n    print('tick', flush=True); time.sleep(0.05)"
)
#: Every table but the schema's own.
TABLES = sorted(name for name in metadata.tables if name != "schema_meta")


def add(orch: Orchestrator, key: str) -> None:
    orch.tasks.create(
        TaskSpec(key=key, title=f"task {key}", command=CommandSpec(argv=[PY, "-c", CHATTY]))
    )


def rows(db_url: str) -> dict[str, int]:
    db = Database(db_url)
    try:
        with db.read() as conn:
            return {
                t: conn.execute(text(f'SELECT COUNT(*) FROM "{t}"')).scalar_one() for t in TABLES
            }
    finally:
        db.dispose()


def child_pids(orch: Orchestrator, keys: list[str]) -> list[int]:
    def first_lines() -> list[int] | None:
        found = []
        for key in keys:
            runs = orch.queries.runs_for(key)
            lines = orch.queries.log_lines(runs[0].id) if runs else []
            if len(lines) < 2:
                return None
            found.append(int(lines[0].text))
        return found

    return wait_for(first_lines, what="both children printing")


def test_run_stops_in_one_line_with_exit_10_when_the_database_is_reset_under_it(
    db_url: str, orch: Orchestrator
) -> None:
    for key in ("A", "B"):
        add(orch, key)
    argv = ["--db", db_url, "run", "--max-parallel", "2", "--poll-seconds", "0.05"]
    runner = subprocess.Popen(
        [PY, "-m", "orchestrator_tui", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        pids = child_pids(orch, ["A", "B"])
        reset_elsewhere(db_url)
        out, err = runner.communicate(timeout=60)
    finally:
        if runner.poll() is None:
            runner.kill()
            runner.wait()
    assert runner.returncode == ExitCode.RUN_INCOMPLETE, err
    (line,) = err.splitlines()
    assert line.startswith("error: the database ") and "was reset" in line, line
    assert "stopped 2 running commands" in line and "start it again" in line
    assert "Traceback" not in out + err
    assert not any(alive(pid) for pid in pids)
    assert rows(db_url) == dict.fromkeys(TABLES, 0)


def test_a_runner_writes_nothing_into_new_runs_that_took_the_ids_of_its_vanished_ones(
    db_url: str, orch: Orchestrator
) -> None:
    """The reset and a new run with the same id come between two of the runner's
    writes: its next lines (for its run 1) must not land in the new run 1."""
    add(orch, "A")
    config = fast_config(until_idle=False, lease_seconds=30)
    after: list[int] = []

    def listener(event: object) -> None:  # on the runner's thread, between its writes
        if isinstance(event, LinesStored) and not after:
            reset_elsewhere(db_url)
            other = open_orchestrator(db_url, "bob")
            try:
                add(other, "NEW")
                (claim,) = other.runs.claim("bob", 30)
                after.append(claim.run_id)
            finally:
                other.close()

    runner = Runner(orch.as_actor(config.agent), config, listener)
    with pytest.raises(DatabaseReset, match="was reset") as caught:
        runner.serve()
    assert after == [1]  # the id of the runner's own run
    assert "stopped 1 running command," in str(caught.value)
    assert orch.queries.log_lines(1) == []
    assert [t.key for t in orch.queries.list_tasks()] == ["NEW"]
    assert not runner.active_keys()


def test_an_idle_runner_stops_too_and_leaves_the_emptied_database_empty(
    db_url: str, orch: Orchestrator
) -> None:
    config = fast_config(until_idle=False, lease_seconds=0.3)
    runner = Runner(orch.as_actor(config.agent), config)
    raised: list[BaseException] = []

    def serve() -> None:
        try:
            runner.serve()
        except BaseException as exc:  # the test reports it below
            raised.append(exc)

    thread = threading.Thread(target=serve)
    thread.start()
    wait_for(lambda: orch.agents.list(), what="the runner registered")
    reset_elsewhere(db_url)
    thread.join(30)
    assert not thread.is_alive()
    (error,) = raised
    assert isinstance(error, DatabaseReset)
    assert "while runner test-runner waited for work: it stopped; start it again" in str(error)
    assert rows(db_url) == dict.fromkeys(TABLES, 0)
