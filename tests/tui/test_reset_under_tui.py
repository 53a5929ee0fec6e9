"""A TUI open while another terminal runs `db reset`: it shows the emptied database
whole, whatever is written after the reset; its own runner stops, saying why."""

from __future__ import annotations

import pytest

from orchestrator_tui.domain.enums import TaskStatus as S
from orchestrator_tui.store.engine import Database
from orchestrator_tui.store.schema import recreate

from .conftest import add, main_screen, settle, started


def reset(db_url: str) -> None:
    """`db reset --yes` from another process (its own connection)."""
    db = Database(db_url)
    try:
        recreate(db)
    finally:
        db.dispose()


def shown_keys(app) -> list[str]:  # type: ignore[no-untyped-def]
    table = main_screen(app).table
    return [row.key for i in range(table.total) if (row := table.row_at(i)) is not None]


@pytest.mark.parametrize(
    ("tasks", "moves"), [(3, 0), (2, 6)], ids=["as-many-events", "more-events"]
)
async def test_after_a_reset_the_list_shows_exactly_the_database_s_tasks(
    db_url, orch, make, tasks, moves
):
    """Before the reset three tasks; after it, new tasks, then status changes of one of
    them: as many events as before, or more. Ids start over, so the ids alone cannot
    tell (the events past the old mark only move NEW-1, none adds a task)."""
    for key in ("OLD-1", "OLD-2", "OLD-3"):
        add(orch, key)
    before = orch.queries.last_event_id()
    app = make()
    async with started(app) as pilot:
        assert shown_keys(app) == ["OLD-1", "OLD-2", "OLD-3"]
        reset(db_url)
        for n in range(1, tasks + 1):
            add(orch, f"NEW-{n}")
        for n in range(moves):
            orch.tasks.transition("NEW-1", S.DEFERRED if n % 2 == 0 else S.PENDING)
        now = orch.queries.last_event_id()
        assert now == before if moves == 0 else now > before
        app.poke_feed()
        await settle(pilot)
        expected = [t.key for t in orch.queries.list_tasks()]
        assert expected == [f"NEW-{n}" for n in range(1, tasks + 1)]
        assert shown_keys(app) == expected
