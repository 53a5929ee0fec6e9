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
