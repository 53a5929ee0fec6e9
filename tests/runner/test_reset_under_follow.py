"""`task logs --follow` while another terminal runs `db reset`: the run it followed is
gone, so it stops with one line and exit 3, and prints nothing of the runs written
after the reset (whose ids start over: they may name the run it followed)."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

from orchestrator_tui.domain.enums import LogStream
from orchestrator_tui.domain.errors import ExitCode
from orchestrator_tui.domain.models import CommandSpec, TaskSpec
from orchestrator_tui.services import Orchestrator, open_orchestrator

from .helpers import reset_elsewhere, wait_for


def _running(orch: Orchestrator, key: str, line: str) -> int:
    """A task whose run is open (a runner holds it) and printed `line`; its run id."""
    orch.tasks.create(TaskSpec(key=key, title=key, command=CommandSpec(argv=["true"])))
    (claim,) = orch.runs.claim("elsewhere", 300, key=key)
    orch.runs.append_lines([(claim.run_id, 0, LogStream.STDOUT, line, datetime.now(UTC))])
    return claim.run_id


def test_follow_stops_saying_the_database_was_reset(db_url: str) -> None:
    orch = open_orchestrator(db_url, "alice")
    run_id = _running(orch, "A", "before the reset")
    follower = subprocess.Popen(
        [sys.executable, "-m", "orchestrator_tui", "--db", db_url, "task", "logs", "A", "-f"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert follower.stdout is not None
        assert follower.stdout.readline() == "before the reset\n"
        orch.close()
        reset_elsewhere(db_url)
        again = open_orchestrator(db_url, "alice")
        # The same key and run id again, in the database as it is now.
        assert _running(again, "A", "another run's line") == run_id
        wait_for(lambda: follower.poll() is not None, timeout=15, what="the follower to stop")
        again.close()
        out, err = follower.communicate(timeout=10)
    finally:
        if follower.poll() is None:
            follower.kill()
            follower.communicate()
    assert follower.returncode == ExitCode.NOT_FOUND, err
    assert out == ""
    (said,) = err.splitlines()
    assert said.startswith("error: the database ")
    assert said.endswith(f"was reset (emptied) while following A's run {run_id}: it is gone")
