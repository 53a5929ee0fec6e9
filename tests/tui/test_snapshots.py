"""Snapshots of every screen on the plan data with a fixed clock.

Update after an intended change with `pytest tests/tui/test_snapshots.py --snapshot-update`
and look at the SVGs before committing them.
"""

from __future__ import annotations

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from orchestrator_tui.app import OrchestratorApp, make_app

from .conftest import fixed_clock, main_screen, seed_plan, settle

WIDE = (160, 48)


@pytest.fixture
def snap_app(tmp_path) -> OrchestratorApp:
    url = str(tmp_path / "demo.db")
    seed_plan(url)
    return make_app(url, "reviewer", clock=fixed_clock, poll_interval=None)


def keys(*presses: str):
    async def run_before(pilot: Pilot) -> None:
        await settle(pilot)
        for key in presses:
            await pilot.press(key)
            await settle(pilot)
        for field in pilot.app.screen.query(Input):
            field.cursor_blink = False
        await settle(pilot)

    return run_before


def first_awaiting(pilot: Pilot) -> str:
    orch = pilot.app.orch_provider()
    return orch.queries.waiting_approvals()[0].key


def test_main_screen(snap_app, snap_compare):
    assert snap_compare(snap_app, terminal_size=WIDE, run_before=keys())


@pytest.mark.parametrize("pane", ["2", "3", "4"])
def test_each_pane_focused(snap_app, snap_compare, pane):
    assert snap_compare(snap_app, terminal_size=WIDE, run_before=keys("j", "j", pane))


def test_main_screen_80x24(snap_app, snap_compare):
    assert snap_compare(snap_app, terminal_size=(80, 24), run_before=keys("j", "j"))


def test_approvals_inbox(snap_app, snap_compare):
    assert snap_compare(snap_app, terminal_size=WIDE, run_before=keys("i"))


def test_detail_screen(snap_app, snap_compare):
    async def run_before(pilot: Pilot) -> None:
        await settle(pilot)
        orch = pilot.app.orch_provider()
        q = orch.queries

        def richness(key: str) -> int:
            parts = (q.progress_for(key), q.notes_for(key), q.approvals_for(key), q.timeline(key))
            return sum(map(len, parts)) + bool(q.context_for(key))

        key = max((r.key for r in q.list_tasks()), key=richness)
        main_screen(pilot.app).table.select_key(key)
        await settle(pilot)
        await keys("enter")(pilot)

    assert snap_compare(snap_app, terminal_size=WIDE, run_before=run_before)


def test_reject_modal(snap_app, snap_compare):
    async def run_before(pilot: Pilot) -> None:
        await settle(pilot)
        main_screen(pilot.app).table.select_key(first_awaiting(pilot))
        await keys("x")(pilot)

    assert snap_compare(snap_app, terminal_size=WIDE, run_before=run_before)


def test_help_screen(snap_app, snap_compare):
    assert snap_compare(snap_app, terminal_size=WIDE, run_before=keys("question_mark"))
