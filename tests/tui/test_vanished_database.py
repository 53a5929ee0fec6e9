"""The database file deleted under a running TUI: changes are refused with a
clear notification instead of being "saved" to the unlinked file."""

from __future__ import annotations

from pathlib import Path

from .conftest import add, notes, select, settle, started


async def test_a_deleted_database_is_noticed_and_nothing_claims_success(orch, make, db_url):
    add(orch, "A", "ready task")
    app = make()
    async with started(app) as pilot:
        await select(pilot, "A")
        for suffix in ("", "-wal", "-shm"):
            Path(db_url + suffix).unlink(missing_ok=True)
        await pilot.press("s")
        await settle(pilot)
        shown = " ".join(notes(app))
        assert f"the database file {db_url} was deleted or replaced" in shown
        assert not Path(db_url).exists()  # nothing recreated it either


def test_a_database_the_tui_cannot_open_exits_with_its_code_and_one_line(
    tmp_path, capfd, monkeypatch
):
    """As the command line would: the error's own exit code (7 here, not 0) and
    its one line, unwrapped, so a script starting the TUI sees that it never opened."""
    from textual.app import App

    from orchestrator_tui.app import OrchestratorApp, run_app

    monkeypatch.setattr(OrchestratorApp, "run", lambda app: App.run(app, headless=True))
    monkeypatch.setenv("HOME", str(tmp_path))
    junk = tmp_path / "plan.yaml"
    junk.write_text("tasks: []\n")
    assert run_app(str(junk), "alice") == 7
    line = f"error: {junk} is not a SQLite database; nothing was read or written"
    assert capfd.readouterr().err.splitlines() == [line]
    assert junk.read_text() == "tasks: []\n"
