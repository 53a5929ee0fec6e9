"""Writes from another connection show up without a key press; the cursor
stays on the same task and the filter stays. On SQLite and on PostgreSQL, where
the change is also pushed (LISTEN/NOTIFY) so it shows with polling switched off."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys

import pytest

from orchestrator_tui.domain.enums import TaskStatus
from orchestrator_tui.domain.models import CommandSpec
from orchestrator_tui.services import open_orchestrator

from .conftest import (
    add,
    fixed_clock,
    main_screen,
    screen_text,
    select,
    settle,
    started,
    wait_until,
)

S = TaskStatus


@pytest.fixture
def db_url(databases) -> str:
    """These tests run on each backend (the other TUI tests on SQLite only)."""
    return databases.url("tui")


async def test_external_write_appears_without_a_key_press(db_url, orch, make):
    add(orch, "M", "mike")
    add(orch, "N", "november")
    app = make(poll_interval=0.1)
    async with started(app) as pilot:
        await select(pilot, "N")
        other = open_orchestrator(db_url, "runner", clock=fixed_clock)
        other.tasks.start("N")
        table = main_screen(app).table
        await wait_until(pilot, lambda: table.cursor_row.status is S.IN_PROGRESS, "N started")
        assert "▷ working" in screen_text(app)  # started by a person: nothing runs
        # A new task sorted before the cursor: the cursor stays on N, not on its old row.
        app_screen = main_screen(app)
        app_screen.table.set_query(app_screen.table.query_state.sorted_by("title"))
        await settle(pilot)
        index_before = table.cursor
        add(other, "A0", "alpha first")
        await wait_until(pilot, lambda: table.total == 3, "the new task")
        assert table.cursor_key == "N" and table.cursor == index_before + 1
        other.close()


async def test_refresh_keeps_the_filter(db_url, orch, make):
    add(orch, "M", "match one")
    add(orch, "X", "other")
    app = make(poll_interval=0.1)
    async with started(app) as pilot:
        await pilot.press("slash", *"match", "enter")
        await settle(pilot)
        table = main_screen(app).table
        assert table.total == 1
        other = open_orchestrator(db_url, "cli", clock=fixed_clock)
        add(other, "M2", "match two")
        add(other, "X2", "no")
        await wait_until(pilot, lambda: table.total == 2, "the matching new task")
        assert table.query_state.text == "match"
        assert [table.row_at(i).key for i in range(2)] == ["M", "M2"]
        other.close()


async def test_approval_count_in_the_header_follows_other_writers(db_url, orch, make):
    add(orch, "G", "gate", status=S.IN_PROGRESS, requires_approval=True)
    app = make(poll_interval=0.1)
    async with started(app) as pilot:
        assert app.awaiting_approval == 0
        other = open_orchestrator(db_url, "bob", clock=fixed_clock)
        other.tasks.complete("G")
        await wait_until(pilot, lambda: app.awaiting_approval == 1, "the approval count")
        await pilot.pause(0.1)
        assert "◆ 1 awaiting approval" in screen_text(app)
        other.close()


@pytest.mark.sqlite_only
async def test_the_refresh_path_never_writes(db_url, orch, make):
    add(orch, "M", "mike", status=S.IN_PROGRESS)
    add(orch, "N", "november", depends_on=["M"])
    watcher = sqlite3.connect(
        db_url.removeprefix("sqlite:///")
    )  # data_version moves when another connection commits
    before = watcher.execute("PRAGMA data_version").fetchone()[0]
    app = make(poll_interval=0.05)
    async with started(app) as pilot:
        await pilot.press("j", "k", "2", "4", "1", "i", "escape", "enter")
        await asyncio.sleep(0.6)  # several polls and log follow-ups
        await settle(pilot)
    assert watcher.execute("PRAGMA data_version").fetchone()[0] == before
    watcher.close()


@pytest.mark.sqlite_only
async def test_an_idle_feed_reads_nothing_until_another_connection_commits(
    db_url, orch, make, monkeypatch
):
    from orchestrator_tui.services.queries import QueryService

    add(orch, "M", "mike")
    reads: list[int] = []
    read_marks = QueryService.feed_marks

    def counted(self: QueryService) -> tuple[int, int]:
        reads.append(1)
        return read_marks(self)

    monkeypatch.setattr(QueryService, "feed_marks", counted)
    app = make(poll_interval=0.02)
    async with started(app) as pilot:
        await pilot.pause(0.1)
        reads.clear()
        await pilot.pause(0.4)  # some twenty polls, and nobody wrote
        assert reads == []
        other = open_orchestrator(db_url, "runner", clock=fixed_clock)
        other.tasks.start("M")
        table = main_screen(app).table
        await wait_until(pilot, lambda: table.cursor_row.status is S.IN_PROGRESS, "M started")
        assert reads
        other.close()


@pytest.mark.parametrize("alert", [True, False])
async def test_a_task_starting_to_wait_for_approval_rings_and_flashes(orch, make, alert):
    add(orch, "G", "gated", status=TaskStatus.IN_PROGRESS, requires_approval=True)
    app = make(approval_alert=alert)
    rings: list[int] = []
    app.bell = lambda: rings.append(1)  # type: ignore[method-assign]
    async with started(app) as pilot:
        assert rings == [], "nothing new at start"
        orch.tasks.complete("G")
        app.poke_feed()
        # (checked as the count arrives: on a loaded machine the reloads it sets off
        # may outlast the flash)
        await wait_until(pilot, lambda: app.awaiting_approval == 1, "the count")
        label = app.screen.query_one("#header-approvals")
        assert rings == ([1] if alert else [])
        assert label.has_class("-flash") is alert


@pytest.mark.postgres_only
async def test_a_change_is_pushed_to_the_screen_with_polling_off(db_url, orch, make):
    add(orch, "M", "mike")
    app = make(poll_interval=None)  # no polling: only a NOTIFY can bring the change
    async with started(app) as pilot:
        table = main_screen(app).table
        listening = lambda: app._listener is not None and app._listener.listening.is_set()  # noqa: E731
        await wait_until(pilot, listening, "the listener")
        await settle(pilot)
        other = open_orchestrator(db_url, "runner", clock=fixed_clock)
        other.tasks.start("M")
        # How soon: benchmarks/bench_postgres.py ("pushed to the screen").
        await wait_until(pilot, lambda: table.cursor_row.status is S.IN_PROGRESS, "the push")
        add(other, "N", "november")
        await wait_until(pilot, lambda: table.total == 2, "the new row")
        other.close()


@pytest.mark.postgres_only
async def test_runs_of_runner_processes_show_live_without_polling(db_url, orch, make):
    keys = [f"R{i}" for i in range(6)]
    for key in keys:
        add(orch, key, f"run {key}", command=CommandSpec(argv=["sh", "-c", "sleep 0.2"]))
    app = make(poll_interval=None)  # only pushed changes reach the screen
    async with started(app) as pilot:
        listening = lambda: app._listener is not None and app._listener.listening.is_set()  # noqa: E731
        await wait_until(pilot, listening, "the listener")
        argv = [sys.executable, "-m", "orchestrator_tui", "run", "--db", db_url, "--until-idle"]
        machines = [
            subprocess.Popen([*argv, "--agent", name], stdout=subprocess.DEVNULL)
            for name in ("east", "west")
        ]
        try:
            table = main_screen(app).table
            assert table.total == len(keys)
            done = lambda: all(table.row_at(i).status is S.DONE for i in range(table.total))  # noqa: E731
            await wait_until(pilot, done, "every run done", timeout=60)
        finally:
            for machine in machines:
                assert machine.wait(60) == 0
    runs = [orch.queries.runs_for(key) for key in keys]
    assert all(len(r) == 1 for r in runs)  # each task ran once, on one of the two machines
    assert {r[0].agent for r in runs} <= {"east", "west"}


async def test_the_approvals_count_is_not_claimed_before_it_is_read(orch, make, monkeypatch):
    # The header said "◆ 0 awaiting approval" for a second while the list below
    # already showed a task awaiting approval.
    from orchestrator_tui.app import OrchestratorApp

    add(orch, "G", "gated", status=TaskStatus.IN_PROGRESS, requires_approval=True)
    orch.tasks.complete("G")
    read_feed = OrchestratorApp.poke_feed
    monkeypatch.setattr(OrchestratorApp, "poke_feed", lambda self: None)  # not read yet
    app = make()
    async with started(app) as pilot:
        header = screen_text(app).splitlines()[0]
        assert "◆ … awaiting approval" in header and "◆ 0" not in header
        read_feed(app)
        await wait_until(pilot, lambda: "◆ 1 awaiting approval" in screen_text(app), "count")
