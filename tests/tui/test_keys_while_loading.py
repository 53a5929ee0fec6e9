"""Cursor keys pressed while the task list reloads: the reload on its way keeps
the task the person moved to, and the list is not read again for each key (at
100k tasks a read sorts the whole list; keys held down used to start one each,
and none could land while the next key came)."""

from __future__ import annotations

import threading

from orchestrator_tui.ui.widgets import task_table

from .conftest import add, main_screen, settle, started, wait_until


def gated_loads(monkeypatch) -> tuple[list[str | None], threading.Event]:
    """Every read of the list recorded (the task it was asked to keep), each held
    until the gate is open."""
    calls: list[str | None] = []
    gate = threading.Event()
    gate.set()
    real = task_table.load_around

    def load(orch, request):
        calls.append(request.key)
        assert gate.wait(20), "the gate was never opened"
        return real(orch, request)

    monkeypatch.setattr(task_table, "load_around", load)
    return calls, gate


async def test_cursor_keys_while_the_list_reloads_read_it_once(orch, make, monkeypatch):
    for key in "ABCDEF":
        add(orch, key, f"task {key}")
    calls, gate = gated_loads(monkeypatch)
    app = make()
    async with started(app) as pilot:
        table = main_screen(app).table
        assert table.cursor_key == "A"
        calls.clear()
        gate.clear()
        table.reload()  # as the change feed asks for one
        await wait_until(pilot, lambda: calls, "the reload to start")
        for _ in range(3):
            await pilot.press("j")
        assert table.cursor_key == "D"  # the keys act on the rows shown meanwhile
        gate.set()
        await settle(pilot)
        assert calls == ["A"]
        assert table.cursor_key == "D"
        assert table.cursor == 3


async def test_a_move_beyond_the_reloaded_rows_is_found_by_one_more_read(orch, make, monkeypatch):
    for i in range(1, 201):
        add(orch, f"T-{i}", f"task {i}")
    calls, gate = gated_loads(monkeypatch)
    app = make()
    async with started(app) as pilot:
        table = main_screen(app).table
        assert table.cursor_key == "T-1"
        calls.clear()
        gate.clear()
        table.set_query(table.query_state.reversed())  # reads the rows from T-200 on
        await wait_until(pilot, lambda: calls, "the reload to start")
        await pilot.press("j")
        gate.set()
        await settle(pilot)
        assert calls == ["T-1", "T-2"]  # T-2 is not among the rows read first
        assert table.cursor_key == "T-2"
        assert table.cursor == 198
