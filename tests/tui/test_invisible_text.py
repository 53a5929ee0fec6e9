"""Bidi overrides and zero-width characters in titles show as escapes in the
TUI: a title cannot turn the rest of its row around or hide characters."""

from __future__ import annotations

from .conftest import add, screen_text, select, started

TITLE = "invoice\u202etxt.exe\u200b done\u2066"
SHOWN = "invoice\\u202etxt.exe\\u200b done\\u2066"


async def test_the_task_list_and_the_detail_show_invisible_characters_as_escapes(orch, make):
    add(orch, "B", TITLE, description=f"first\n{TITLE}")
    app = make()
    async with started(app, (200, 50)) as pilot:
        await select(pilot, "B")
        text = screen_text(app)
        assert SHOWN in text
        for char in "\u202e\u200b\u2066":
            assert char not in text
