"""Writes from another connection show up without a key press; the cursor
stays on the same task and the filter stays."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from orchestrator_tui.domain.enums import TaskStatus
from orchestrator_tui.services import open_orchestrator

from .conftest import add, fixed_clock, main_screen, screen_text, select, settle

S = TaskStatus


async def wait_until(pilot, condition, rounds: int = 300) -> None:
    """Poll the UI (no key presses) until `condition()` holds."""
    for _ in range(rounds):
        await pilot.pause(0.05)
        if condition():
            return
    raise AssertionError("the change never showed")


async def test_external_write_appears_without_a_key_press(db_url, orch, make):
    add(orch, "M", "mike")
    add(orch, "N", "november")
    app = make(poll_interval=0.1)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await select(pilot, "N")
        other = open_orchestrator(db_url, "runner", clock=fixed_clock)
        other.tasks.start("N")
        table = main_screen(app).table
        await wait_until(pilot, lambda: table.cursor_row.status is S.IN_PROGRESS)
        assert "▷ working" in screen_text(app)  # started by a person: nothing runs
        # A new task sorted before the cursor: the cursor stays on N, not on its old row.
        app_screen = main_screen(app)
        app_screen.table.set_query(app_screen.table.query_state.sorted_by("title"))
        await settle(pilot)
        index_before = table.cursor
        add(other, "A0", "alpha first")
        await wait_until(pilot, lambda: table.total == 3)
        assert table.cursor_key == "N" and table.cursor == index_before + 1
        other.close()


async def test_refresh_keeps_the_filter(db_url, orch, make):
    add(orch, "M", "match one")
    add(orch, "X", "other")
    app = make(poll_interval=0.1)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"match", "enter")
        await settle(pilot)
        table = main_screen(app).table
        assert table.total == 1
        other = open_orchestrator(db_url, "cli", clock=fixed_clock)
        add(other, "M2", "match two")
        add(other, "X2", "no")
        await wait_until(pilot, lambda: table.total == 2)
        assert table.query_state.text == "match"
        assert [table.row_at(i).key for i in range(2)] == ["M", "M2"]
        other.close()


async def test_approval_count_in_the_header_follows_other_writers(db_url, orch, make):
    add(orch, "G", "gate", status=S.IN_PROGRESS, requires_approval=True)
    app = make(poll_interval=0.1)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        assert app.awaiting_approval == 0
        other = open_orchestrator(db_url, "bob", clock=fixed_clock)
        other.tasks.complete("G")
        await wait_until(pilot, lambda: app.awaiting_approval == 1)
        await pilot.pause(0.1)
        assert "◆ 1 awaiting approval" in screen_text(app)
        other.close()


async def test_the_refresh_path_never_writes(db_url, orch, make):
    add(orch, "M", "mike", status=S.IN_PROGRESS)
    add(orch, "N", "november", depends_on=["M"])
    watcher = sqlite3.connect(db_url)  # data_version moves when another connection commits
    before = watcher.execute("PRAGMA data_version").fetchone()[0]
    app = make(poll_interval=0.05)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("j", "k", "2", "4", "1", "i", "escape", "enter")
        await asyncio.sleep(0.6)  # several polls and log follow-ups
        await settle(pilot)
    assert watcher.execute("PRAGMA data_version").fetchone()[0] == before
    watcher.close()


@pytest.mark.parametrize("alert", [True, False])
async def test_a_task_starting_to_wait_for_approval_rings_and_flashes(orch, make, alert):
    add(orch, "G", "gated", status=TaskStatus.IN_PROGRESS, requires_approval=True)
    app = make(approval_alert=alert)
    rings: list[int] = []
    app.bell = lambda: rings.append(1)  # type: ignore[method-assign]
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        assert rings == [], "nothing new at start"
        orch.tasks.complete("G")
        app.poke_feed()
        await settle(pilot)
        assert app.awaiting_approval == 1
        label = app.screen.query_one("#header-approvals")
        assert rings == ([1] if alert else [])
        assert label.has_class("-flash") is alert
