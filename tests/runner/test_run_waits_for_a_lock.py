"""`run` started while another writer holds the database waits for it, as it does
once running, instead of giving up with exit 6 after the busy timeout."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from orchestrator_tui.domain.models import CommandSpec, TaskSpec
from orchestrator_tui.services import open_orchestrator


def test_run_waits_for_a_lock_held_at_its_start_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "locked.db"
    url = f"sqlite:///{path}"
    orch = open_orchestrator(url, "alice")
    orch.tasks.create(TaskSpec(key="A", title="after the lock", command=CommandSpec(argv=["true"])))
    orch.close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer: an import, a backup, a migration
    env = {**os.environ, "ORCHESTRATOR_TUI_BUSY_TIMEOUT_MS": "200"}
    argv = ["--db", url, "run", "--until-idle", "--poll-seconds", "0.05"]
    runner = subprocess.Popen(
        [sys.executable, "-m", "orchestrator_tui", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert runner.stderr is not None
        first = runner.stderr.readline()  # "" if it gave up and exited
        assert first.startswith("orchestrator-tui: database busy, will retry: "), first
        assert "is locked by another process" in first
        holder.execute("COMMIT")
        out, err = runner.communicate(timeout=60)
    finally:
        holder.close()
        if runner.poll() is None:
            runner.kill()
            runner.wait()
    assert runner.returncode == 0, err
    assert "1 done" in out
    orch = open_orchestrator(url, "alice")
    assert orch.queries.get_task("A").status.value == "done"
    orch.close()
