"""The TUI, a long-running reader, keeps a small SQLite page cache per connection."""

from __future__ import annotations

from orchestrator_tui.store.engine import READER_CACHE_KIB

from .conftest import add, main_screen, started


async def test_the_tui_reads_with_a_small_page_cache(orch, make):
    add(orch, "A", "first task")
    app = make()
    async with started(app):
        assert main_screen(app).table.total == 1
        with app.orch_provider().db.read() as conn:
            assert conn.exec_driver_sql("PRAGMA cache_size").scalar() == -READER_CACHE_KIB
