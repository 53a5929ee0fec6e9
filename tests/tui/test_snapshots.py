"""Snapshots of every screen on the plan data with a fixed clock.

Update after an intended change with `pytest tests/tui/test_snapshots.py --snapshot-update`
and look at the SVGs before committing them.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from orchestrator_tui.app import OrchestratorApp, make_app
from orchestrator_tui.ui.modals.quit import QuitWhileRunning

from .conftest import SMALL_PLAN, fixed_clock, main_screen, seed_plan, settle

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


SIZES = {"160x48": WIDE, "80x24": (80, 24)}
sizes = pytest.mark.parametrize("size", list(SIZES))


def select_then(pick, *presses: str):
    """Put the cursor on `pick(orch)`'s task, then press `presses`."""

    async def run_before(pilot: Pilot) -> None:
        await settle(pilot)
        key = pick(pilot.app.orch_provider())
        pilot.app.poke_feed()  # a pick may have changed the task (a claim)
        await settle(pilot)
        main_screen(pilot.app).table.select_key(key)
        await settle(pilot)
        await keys(*presses)(pilot)

    return run_before


def doing(act: Callable[[OrchestratorApp], object]):
    """Once the app has settled, `act` on it (as a key or a command would), then
    settle as `keys` does."""

    async def run_before(pilot: Pilot) -> None:
        await settle(pilot)
        act(pilot.app)
        await keys()(pilot)

    return run_before


def first_awaiting_key(orch) -> str:
    return orch.queries.waiting_approvals()[0].key


def first_running_key(orch) -> str:
    """A task whose command a runner holds (claimed here: the plan has none)."""
    key = next(
        r.key for r in orch.queries.list_tasks() if r.can_run and r.status.value == "pending"
    )
    orch.runs.claim("demo-runner", 3600, key=key)
    return key


def richest_key(orch) -> str:
    q = orch.queries

    def richness(key: str) -> int:
        parts = (q.progress_for(key), q.notes_for(key), q.approvals_for(key), q.timeline(key))
        return sum(map(len, parts)) + bool(q.context_for(key))

    return max((r.key for r in q.list_tasks()), key=richness)


def with_dependencies_key(orch) -> str:
    return next(r.key for r in orch.queries.list_tasks() if orch.queries.links(r.key, True))


@sizes
def test_main_screen(snap_app, snap_compare, size):
    assert snap_compare(snap_app, terminal_size=SIZES[size], run_before=keys("j", "j"))


@pytest.mark.parametrize("pane", ["2", "3", "4"])
def test_each_pane_focused(snap_app, snap_compare, pane):
    assert snap_compare(snap_app, terminal_size=WIDE, run_before=keys("j", "j", pane))


@sizes
def test_approvals_inbox(snap_app, snap_compare, size):
    assert snap_compare(snap_app, terminal_size=SIZES[size], run_before=keys("i"))


@sizes
def test_detail_screen(snap_app, snap_compare, size):
    run_before = select_then(richest_key, "enter")
    assert snap_compare(snap_app, terminal_size=SIZES[size], run_before=run_before)


@sizes
def test_help_screen(snap_app, snap_compare, size):
    assert snap_compare(snap_app, terminal_size=SIZES[size], run_before=keys("question_mark"))


@sizes
def test_reject_modal(snap_app, snap_compare, size):
    run_before = select_then(first_awaiting_key, "x")
    assert snap_compare(snap_app, terminal_size=SIZES[size], run_before=run_before)


@sizes
def test_cancel_run_confirmation(snap_app, snap_compare, size):
    run_before = select_then(first_running_key, "c")
    assert snap_compare(snap_app, terminal_size=SIZES[size], run_before=run_before)


@sizes
def test_bulk_confirmation(snap_app, snap_compare, size):
    """Four marked tasks of mixed statuses, failed: one changes, three are skipped."""
    run_before = select_then(lambda orch: "PAY-10", "space", "space", "space", "space", "f")
    assert snap_compare(snap_app, terminal_size=SIZES[size], run_before=run_before)


@sizes
def test_remove_dependency_picker(snap_app, snap_compare, size):
    run_before = select_then(with_dependencies_key, "U")
    assert snap_compare(snap_app, terminal_size=SIZES[size], run_before=run_before)


@sizes
def test_add_dependency_prompt(snap_app, snap_compare, size):
    run_before = select_then(with_dependencies_key, "D")
    assert snap_compare(snap_app, terminal_size=SIZES[size], run_before=run_before)


@sizes
def test_new_task_form(snap_app, snap_compare, size):
    assert snap_compare(snap_app, terminal_size=SIZES[size], run_before=keys("n"))


@sizes
def test_edit_task_form(snap_app, snap_compare, size):
    run_before = select_then(richest_key, "e")
    assert snap_compare(snap_app, terminal_size=SIZES[size], run_before=run_before)


@sizes
def test_import_dialog(snap_app, snap_compare, size):
    assert snap_compare(snap_app, terminal_size=SIZES[size], run_before=keys("ctrl+o"))


@sizes
def test_export_dialog(snap_app, snap_compare, size):
    assert snap_compare(snap_app, terminal_size=SIZES[size], run_before=keys("ctrl+e"))


@sizes
def test_import_report(snap_app, snap_compare, size, monkeypatch):
    # A relative path: the report shows it, and a checkout can live in any folder.
    monkeypatch.chdir(SMALL_PLAN.parent)

    # As a person does: open the dialog, type the file's name, press enter (a dry run).
    run_before = keys("ctrl+o", *SMALL_PLAN.name, "enter")
    assert snap_compare(snap_app, terminal_size=SIZES[size], run_before=run_before)


@sizes
def test_quit_while_running(snap_app, snap_compare, size):
    run_before = doing(lambda app: app.push_screen(QuitWhileRunning(["PAY-17", "PAY-21"], 5.0)))
    assert snap_compare(snap_app, terminal_size=SIZES[size], run_before=run_before)
