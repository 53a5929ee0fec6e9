"""The TUI's runner started while another process holds the database (an import, a
backup, a migration) waits for it, as `run` does, and tells the person on screen:
once that it waits, once that it started."""

from __future__ import annotations

import sqlite3
import sys
import time

from orchestrator_tui.domain.models import CommandSpec

from .conftest import WIDE, add, notes, screen_text, settle, status, wait_until

FAST = {"poll_seconds": 0.05, "kill_grace_seconds": 1.0, "lease_seconds": 10.0}
SAY_HI = CommandSpec(argv=[sys.executable, "-c", "print('hi')"])


def titled(app, title: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [n.message for n in app._notifications if n.title == title]


async def test_the_tui_s_runner_says_it_waits_for_a_locked_database_then_that_it_started(
    db_url, orch, make, monkeypatch
):
    add(orch, "A", command=SAY_HI)
    monkeypatch.setenv("ORCHESTRATOR_TUI_BUSY_TIMEOUT_MS", "200")
    holder = sqlite3.connect(db_url, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer
    app = make(run_on_start=True, runner_options=FAST)
    try:
        async with app.run_test(size=WIDE) as pilot:
            await wait_until(pilot, lambda: titled(app, "Runner waiting"), "a word of it", 15)
            (said,) = titled(app, "Runner waiting")
            assert said == (
                "The runner waits for the database: another process is writing to it "
                "(an import, a backup, a migration?). It starts once it can."
            )
            await settle(pilot)
            assert app.runner_state.phase == "waiting"
            assert "runner waiting…" in screen_text(app)
            deadline = time.monotonic() + 1.0  # several more tries, each 200 ms
            while time.monotonic() < deadline:
                await pilot.pause(0.05)
            assert len(titled(app, "Runner waiting")) == 1  # said once
            assert status(orch, "A") == "pending"
            holder.execute("COMMIT")
            await wait_until(pilot, lambda: status(orch, "A") == "done", "A run")
            await wait_until(pilot, lambda: app.runner_state.phase == "on", "the runner on")
            assert titled(app, "Runner started") == [
                "The runner started: the database is free again"
            ]
            assert len([n for n in notes(app) if "waits for the database" in n]) == 1
    finally:
        holder.close()
    assert app.shut_down(timeout=30)
