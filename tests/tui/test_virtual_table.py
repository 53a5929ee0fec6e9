"""The task list pages rows from the database instead of loading them all."""

from __future__ import annotations

from orchestrator_tui.domain.plan import PlanSpec

from .conftest import main_screen, screen_lines, screen_text, seed_plan, settle, started

N = 3000


def big_plan(n: int) -> PlanSpec:
    return PlanSpec.model_validate(
        {"tasks": [{"key": f"K-{i:05d}", "title": f"task number {i}"} for i in range(n)]}
    )


async def test_large_list_pages_and_jumps(orch, make):
    orch.plans.load(big_plan(N), "big")
    app = make()
    async with started(app) as pilot:
        table = main_screen(app).table
        assert table.total == N
        assert len(table._rows) < 400, "only the rows around the view are loaded"
        await pilot.press("G")
        await settle(pilot)
        assert table.cursor_key == f"K-{N - 1:05d}"
        assert f"task number {N - 1}" in screen_text(app)
        await pilot.press("pageup")
        await settle(pilot)
        assert table.cursor_row is not None and table.cursor < N - 10
        await pilot.press("g")
        await settle(pilot)
        assert table.cursor_key == "K-00000"
        assert "task number 0" in screen_text(app)


async def test_scrolling_fetches_missing_pages(orch, make):
    orch.plans.load(big_plan(N), "big")
    app = make()
    async with started(app) as pilot:
        table = main_screen(app).table
        table.scroll_to(y=1500, animate=False)
        await settle(pilot)
        await settle(pilot)
        text = screen_text(app)
        assert "task number 1500" in text
        drawn = [line for line in text.splitlines() if "K-0" in line]
        assert len(drawn) >= 20, "every visible row is drawn, none left as a placeholder"


async def test_the_cursor_row_is_highlighted_without_gaps(orch, make):
    from .conftest import add as add_task

    add_task(orch, "G1", "gapless", assignee="ada")
    app = make()
    async with started(app):
        table = main_screen(app).table
        strip = table.render_line(table.cursor - int(table.scroll_y) + 1)
        backgrounds = {seg.style.bgcolor for seg in strip if seg.text.strip()}
        cursor = table.get_component_rich_style("task-table--cursor").bgcolor
        assert backgrounds == {cursor}, backgrounds


def _bar_cells(segments) -> list[tuple[str, bool]]:
    return [(seg.text, bool(seg.style and seg.style.reverse)) for seg in segments]


async def test_the_scrollbar_shows_where_the_list_is(orch, make):
    """Scrolling one row at a time, the scrollbar is drawn again only when its thumb
    moves; what it shows is always Textual's bar for the list's place."""
    from textual.geometry import Region
    from textual.scrollbar import ScrollBarRender

    orch.plans.load(big_plan(N), "big")
    app = make()
    async with started(app) as pilot:
        table = main_screen(app).table
        bar = table.vertical_scrollbar
        height = bar.size.height
        moved = set()
        for _ in range(12):
            for _ in range(25):
                table.action_cursor_down()
            await pilot.pause()
            drawn = [seg for strip in bar.render_lines(Region(0, 0, 1, height)) for seg in strip]
            expected = ScrollBarRender.render_bar(
                size=height,
                virtual_size=bar.window_virtual_size,
                window_size=bar.window_size,
                position=table.scroll_y,
            )
            assert _bar_cells(drawn) == _bar_cells(expected.segments), table.scroll_y
            moved.add(tuple(_bar_cells(drawn)))
        assert table.scroll_y > 250 and len(moved) > 3, "the thumb moved down the bar"


async def test_typing_a_filter_moves_no_column(db_url, make):
    # The columns moved by a cell as a filter was typed: once the rows fit, the
    # scrollbar went and the title column took its cell; once only single-digit keys
    # were listed (PAY-1), the key column narrowed.
    seed_plan(db_url)
    app = make()
    async with started(app) as pilot:
        table = main_screen(app).table

        def header() -> str:
            return next(line for line in screen_lines(app) if "key ▲" in line)

        before = header()
        for text in ("pay-1", "survey"):
            await pilot.press("slash")
            for typed in range(1, len(text) + 1):
                await pilot.press(text[typed - 1])
                await settle(pilot)
                assert table.query_state.text == text[:typed]
                assert header() == before, text[:typed]
            await pilot.press("escape")
            await settle(pilot)
        assert table.total == 40 and table.show_vertical_scrollbar


async def test_a_filter_showing_longer_keys_than_the_first_rows_moves_no_column(orch, make):
    """At 100k tasks the first rows have short keys; a filter that first listed a
    longer one widened the key column then, moving every column by a cell or more."""
    from orchestrator_tui.domain.models import TaskSpec

    orch.plans.load(big_plan(300), "big")
    orch.tasks.create(TaskSpec(key="ZZ-LONG-KEY-42", title="far down the list"))
    app = make()
    async with started(app) as pilot:
        table = main_screen(app).table

        def header() -> str:
            return next(line for line in screen_lines(app) if "key ▲" in line)

        assert "ZZ-LONG-KEY-42" not in "\n".join(screen_lines(app))  # not on the first page
        before = header()
        await pilot.press("slash", *"long", "enter")
        await settle(pilot)
        assert table.total == 1 and "ZZ-LONG-KEY-42" in "\n".join(screen_lines(app))
        assert header() == before
