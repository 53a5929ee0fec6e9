"""Cancelling from the TUI a run that no runner of ours holds (its runner died)
stops the run's process and says so, as `task cancel-run` does."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from orchestrator_tui.domain.models import CommandSpec
from orchestrator_tui.runner.config import EXECUTION_ENV
from orchestrator_tui.runner.reaper import mark_of
from orchestrator_tui.services.run_processes import ProcessRecord

from .conftest import add, notes, settle, started, status, wait_until


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
async def test_cancelling_an_orphaned_run_stops_its_process(orch, make):
    add(orch, "S", "orphaned", command=CommandSpec(argv=["sleep", "60"]))
    (claim,) = orch.runs.claim("dead-runner/1", 60, key="S")
    env = {**os.environ, EXECUTION_ENV: claim.execution_id}
    orphan = subprocess.Popen(["sleep", "60"], start_new_session=True, env=env)
    try:
        mark = mark_of(orphan.pid)
        assert mark is not None
        orch.processes.record(
            [ProcessRecord(claim.run_id, mark.pid, mark.pgid, mark.host, mark.start)]
        )
        app = make()
        async with started(app) as pilot:
            await pilot.press("c", "y")
            await wait_until(pilot, lambda: orphan.poll() is not None, "the process to stop")
            await wait_until(pilot, lambda: status(orch, "S") == "failed", "the task failed")
            await settle(pilot)
            shown = " ".join(notes(app))
        assert f"stopped its process(es) {orphan.pid}" in shown
    finally:
        orphan.kill()
        orphan.wait()
