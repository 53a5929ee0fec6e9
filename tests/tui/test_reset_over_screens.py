"""A database reset (`db reset`, `db copy --replace`) under screens and dialogs stacked
over the list: no screen goes on showing a task of the emptied database, and no dialog
about one stays open to act on whatever row takes its key or id after the reset."""

from __future__ import annotations

from textual.widgets import DataTable

from orchestrator_tui.ui.screens.approvals import ApprovalsScreen

from ..runner.helpers import reset_elsewhere
from .conftest import settle, started, wait_until
from .test_inbox_cursor import awaiting


def told(app) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return [(n.title, n.message) for n in app._notifications]


async def reset_to(pilot, db_url, orch, *keys: str) -> None:  # type: ignore[no-untyped-def]
    """Reset the database from another connection, then add `keys` awaiting approval
    (the same keys as before name other rows now), and let the TUI see it."""
    reset_elsewhere(db_url)
    awaiting(orch, *keys)
    pilot.app.poke_feed()
    await settle(pilot)


async def open_inbox(pilot) -> ApprovalsScreen:  # type: ignore[no-untyped-def]
    await pilot.press("i")
    await pilot.pause()
    await settle(pilot)
    inbox = pilot.app.screen
    assert isinstance(inbox, ApprovalsScreen)
    await wait_until(pilot, lambda: bool(inbox.items), "the inbox rows")
    return inbox


# -- the inbox and the questions in it --------------------------------------------------


async def test_the_inbox_shows_the_new_rows_without_an_error_for_the_old(db_url, orch, make):
    awaiting(orch, "P", "Q")
    app = make()
    async with started(app) as pilot:
        inbox = await open_inbox(pilot)
        await pilot.press("j")
        await reset_to(pilot, db_url, orch, "P")
        assert [e.key for e in inbox.items] == ["P"]
        assert inbox.query_one(DataTable).row_count == 1
        assert told(app) == []  # the review below the list looked for Q: "no task 'Q'"
