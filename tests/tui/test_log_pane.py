"""The execution log pane, mounted in a tiny app over a tmp_path database."""

from __future__ import annotations

import re
import threading

import pytest
from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Footer, OptionList

from orchestrator_tui.domain.models import TaskSpec
from orchestrator_tui.services import Orchestrator
from orchestrator_tui.store.tables import Run, utcnow
from orchestrator_tui.ui.widgets.log_pane import WINDOW, ExecutionLogPane

from .conftest import add_lines, add_run


class LogApp(App[None]):
    def __init__(self, orch: Orchestrator) -> None:
        super().__init__()
        self.orch = orch
        self.db_threads: list[threading.Thread] = []

    def provide(self) -> Orchestrator:
        self.db_threads.append(threading.current_thread())
        return self.orch

    def compose(self) -> ComposeResult:
        yield ExecutionLogPane(self.provide, id="log")
        yield Footer()


def add_task(orch: Orchestrator, key: str, title: str = "logged task") -> int:
    return orch.tasks.create(TaskSpec(key=key, title=title)).id


async def settle(pilot: Pilot[None]) -> None:
    """Until every worker has finished and its result has been handled."""
    app = pilot.app
    for _ in range(50):
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        if not any(w.is_running for w in app.workers):
            return


def pane_of(app: App[None]) -> ExecutionLogPane:
    return app.query_one(ExecutionLogPane)


def visible(pane: ExecutionLogPane) -> list[str]:
    """The log lines as drawn on screen, trailing blanks trimmed."""
    view = pane.view
    return [view.render_line(y).text.rstrip() for y in range(view.size.height)]


def status(pane: ExecutionLogPane) -> str:
    return str(pane.query_one(".log-status").render())


async def open_task(pilot: Pilot[None], key: str) -> ExecutionLogPane:
    pane = pane_of(pilot.app)
    pane.show_task(key)
    pane.view.focus()
    await settle(pilot)
    return pane


async def test_latest_run_is_selected_and_followed_while_it_runs(orch: Orchestrator) -> None:
    task = add_task(orch, "T-1")
    old = add_run(orch, task, agent="codex", status="failed", exit_code=2)
    add_lines(orch, old, ["old run output"])
    new = add_run(orch, task, agent="claude")
    add_lines(orch, new, [f"step {i}" for i in range(100)])
    app = LogApp(orch)
    async with app.run_test(size=(100, 24)) as pilot:
        pane = await open_task(pilot, "T-1")
        shown = visible(pane)
        assert shown[-1] == "step 99" and "step 98" in shown
        assert pane.view.following and pane.is_running
        assert f"run #{new} running" in status(pane) and "following" in status(pane)
        runs = [str(o.prompt) for o in pane.query_one(OptionList).options]
        assert runs[0].startswith(f"#{new} claude") and "exit -" in runs[0]
        assert runs[1].startswith(f"#{old} codex") and "1m23s  exit 2  failed" in runs[1]
        # The older run, from the keyboard: not running, so not followed.
        await pilot.press("left_square_bracket")
        await settle(pilot)
        assert visible(pane)[0] == "old run output"
        assert not pane.view.following and not pane.is_running
    assert threading.main_thread() not in app.db_threads


async def test_tasks_without_runs_and_no_task_say_so(orch: Orchestrator) -> None:
    add_task(orch, "T-2")
    async with LogApp(orch).run_test(size=(80, 12)) as pilot:
        pane = await open_task(pilot, "T-2")
        assert visible(pane)[0] == "no runs for T-2"
        pane.show_task(None)
        await settle(pilot)
        assert visible(pane)[0] == "no task selected"


HOSTILE = [
    ("\x1b]52;c;cm0gLXJmIH4=\x07copied?", "copied?"),
    ("\x1b]0;owned title\x07title", "title"),
    ("\x1b[2J\x1b[1;1Hcursor\x1b[5A", "cursor"),
    ("\x1bP+q544e\x1b\\dcs", "dcs"),
    ("bell\x07\x07", "bell"),
    ("progress 10%\rprogress 20%", "progress 10%progress 20%"),
    ("[@click=app.quit]x", "[@click=app.quit]x"),
    ("[/]", "[/]"),
    ("[bold red]x", "[bold red]x"),
    ("\x1b]8;;https://evil.example\x07link\x1b]8;;\x07", "link"),
]


def text_position(widget: Widget, text: str) -> tuple[int, int]:
    """Where `text` is drawn in `widget` (column, line), as offsets from its corner."""
    for y in range(widget.region.height):
        line = "".join(segment.text for segment in widget.render_line(y))
        if text in line:
            return line.index(text), y
    raise AssertionError(f"{text!r} is not drawn in {widget!r}")


async def test_hostile_lines_show_literally_and_only_colour_reaches_the_screen(
    orch: Orchestrator,
) -> None:
    task = add_task(orch, "T-3")
    run = add_run(orch, task, agent="[@click=app.quit]agent", status="succeeded", exit_code=0)
    add_lines(orch, run, [line for line, _ in HOSTILE] + ["\x1b[31mred\x1b[0m and \x1b[1;32mgo"])
    async with LogApp(orch).run_test(size=(100, 24)) as pilot:
        pane = await open_task(pilot, "T-3")
        shown = visible(pane)
        assert shown[: len(HOSTILE)] == [seen for _, seen in HOSTILE]
        assert shown[len(HOSTILE)] == "red and go"
        strips = [pane.view.render_line(y) for y in range(len(HOSTILE) + 1)]
        for strip in strips:
            for segment in strip:
                assert "\x1b" not in segment.text and "\x07" not in segment.text
                assert segment.style is None or not segment.style.link
                assert segment.style is None or not segment.style.meta.get("@click")
        colours = {seg.text: seg.style for seg in strips[-1] if seg.text.strip()}
        assert colours["red"].color.name == "color(1)"
        assert colours["go"].color.name == "color(2)" and colours["go"].bold
        listed = pane.query_one(OptionList)
        runs = [str(o.prompt) for o in listed.options]
        assert runs[0].startswith(f"#{run} [@click=app.quit]agent")
        # A click on the agent's name, where a parsed `@click` would quit the app,
        # selects the run like any other click.
        x, y = text_position(listed, "[@click=app.quit]agent")
        assert await pilot.click(listed, offset=(x + 3, y))
        await settle(pilot)
        assert pilot.app.is_running and pilot.app.return_code is None
        assert listed.highlighted == 0
        assert visible(pane)[: len(HOSTILE)] == [seen for _, seen in HOSTILE]


async def test_follow_mode_tracks_new_lines_and_scrolling_up_pauses_it(
    orch: Orchestrator,
) -> None:
    task = add_task(orch, "T-4")
    run = add_run(orch, task)
    seq = add_lines(orch, run, [f"early {i}" for i in range(60)])
    async with LogApp(orch).run_test(size=(80, 16)) as pilot:
        pane = await open_task(pilot, "T-4")
        seq = add_lines(orch, run, [f"later {i}" for i in range(5)], start=seq)
        pane.refresh_data()
        await settle(pilot)
        assert visible(pane)[-1] == "later 4"

        await pilot.press("k")
        assert not pane.view.following and "paused" in status(pane)
        before = visible(pane)
        seq = add_lines(orch, run, ["while paused"], start=seq)
        pane.refresh_data()
        await settle(pilot)
        assert visible(pane) == before
        assert "of 66" in status(pane)

        await pilot.press("F")
        await settle(pilot)
        assert pane.view.following
        assert visible(pane)[-1] == "while paused"


async def test_a_hundred_thousand_lines_page_through_a_bounded_window(
    orch: Orchestrator,
) -> None:
    task = add_task(orch, "T-5")
    run = add_run(orch, task, status="succeeded", exit_code=0)
    add_lines(orch, run, [f"line {i}" for i in range(100_000)])
    async with LogApp(orch).run_test(size=(80, 24)) as pilot:
        pane = await open_task(pilot, "T-5")
        view = pane.view
        assert 0 < len(view.rows) <= WINDOW and view.older
        ended = f"── run {run} succeeded (exit 0)"
        assert visible(pane)[-2:] == ["line 99999", ended]

        await pilot.press("g")
        await settle(pilot)
        assert visible(pane)[0] == "line 0"
        assert len(view.rows) <= WINDOW and view.newer

        # Scroll down past the end of the first window: newer pages arrive,
        # older ones are dropped, and the screen never jumps.
        for _ in range(6):
            view.scroll_to(y=view.max_scroll_y, animate=False, force=True)
            top_line = visible(pane)[0]
            await settle(pilot)
            assert visible(pane)[0] == top_line
            assert len(view.rows) <= WINDOW
        assert view.first_seq > 0 and view.older

        # And back up past the start of the window.
        view.scroll_to(y=0, animate=False, force=True)
        top_line = visible(pane)[0]
        await settle(pilot)
        assert visible(pane)[0] == top_line
        assert len(view.rows) <= WINDOW

        await pilot.press("end")
        await settle(pilot)
        assert visible(pane)[-2:] == ["line 99999", ended]
        assert len(view.rows) <= WINDOW and view.following


async def test_search_reaches_the_whole_run_with_n_and_shift_n(orch: Orchestrator) -> None:
    task = add_task(orch, "T-6")
    run = add_run(orch, task, status="failed", exit_code=1)
    texts = [f"line {i}" for i in range(100_000)]
    texts[10] = "first NEE\x1b[1mDLE, split by a colour code"
    texts[50_000] = "second needle, far back"
    texts[99_990] = "third Needle, on screen"
    add_lines(orch, run, texts)
    async with LogApp(orch).run_test(size=(80, 24)) as pilot:
        pane = await open_task(pilot, "T-6")
        view = pane.view

        async def current() -> str:
            await settle(pilot)
            assert view.match_seq is not None
            index = view.index_of(view.match_seq)
            assert index is not None
            top = int(view.scroll_y)
            assert top <= index < top + view.size.height, "match is on screen"
            return visible(pane)[index - top]

        await pilot.press("slash")
        await pilot.press(*"needle")
        await pilot.press("enter")
        assert await current() == "third Needle, on screen"
        await pilot.press("n")
        assert await current() == "first NEEDLE, split by a colour code"
        await pilot.press("n")
        assert await current() == "second needle, far back"
        assert len(view.rows) <= WINDOW
        await pilot.press("N")
        assert await current() == "first NEEDLE, split by a colour code"
        await pilot.press("N")
        assert await current() == "third Needle, on screen"

        # Every match on screen is highlighted, the current one differently.
        index = view.index_of(view.match_seq)
        strip = view.render_line(index - int(view.scroll_y))
        hit = next(seg for seg in strip if seg.text == "Needle")
        rest = next(seg for seg in strip if seg.text.startswith(", on"))
        assert hit.style.bgcolor != rest.style.bgcolor


async def test_keys_have_ids_and_show_in_the_footer(orch: Orchestrator) -> None:
    task = add_task(orch, "T-7")
    add_lines(orch, add_run(orch, task), ["x"])
    async with LogApp(orch).run_test(size=(120, 24)) as pilot:
        pane = await open_task(pilot, "T-7")
        ids = {b.id for b in pane.BINDINGS} | {b.id for b in pane.view.BINDINGS}
        assert None not in ids
        active = {a.binding.id for a in pilot.app.active_bindings.values()}
        assert {"log.search", "log.follow", "log.next_match"} <= active
        footer_keys = {b.binding.key for b in pilot.app.screen.active_bindings.values()}
        assert {"slash", "n", "N", "F"} <= footer_keys


async def test_search_while_following_stays_on_the_match(orch: Orchestrator) -> None:
    """The closing search box resizes the log; that must not pull it back to the end."""
    task = add_task(orch, "T-8")
    run = add_run(orch, task)
    texts = [f"line {i}" for i in range(5_000)]
    texts[2_500] = "the needle"
    add_lines(orch, run, texts)
    async with LogApp(orch).run_test(size=(80, 24)) as pilot:
        pane = await open_task(pilot, "T-8")
        assert pane.view.following
        await pilot.press("slash", *"needle", "enter")
        await settle(pilot)
        await pilot.pause(0.1)
        assert "the needle" in visible(pane)
        assert not pane.view.following
        pane.refresh_data()
        await settle(pilot)
        assert "the needle" in visible(pane)


async def test_a_new_run_replaces_the_old_one_unless_an_older_one_was_chosen(
    orch: Orchestrator,
) -> None:
    task = add_task(orch, "T-9")
    first = add_run(orch, task, status="succeeded", exit_code=0)
    add_lines(orch, first, ["first run output"])
    app = LogApp(orch)
    async with app.run_test(size=(100, 24)) as pilot:
        pane = await open_task(pilot, "T-9")

        async def runs_again(nth: str, ended: str, exit_code: int | None = None) -> int:
            """The task runs again (its run `ended` so far), printing "`nth` run output";
            the pane has looked."""
            run_id = add_run(orch, task, status=ended, exit_code=exit_code)
            add_lines(orch, run_id, [f"{nth} run output"])
            pane.refresh_data()
            await settle(pilot)
            return run_id

        pane.view.action_scroll_home()  # read it from the top: no longer following
        await settle(pilot)
        assert visible(pane)[0] == "first run output" and not pane.view.following
        # The task is reopened and runs again: the pane moves to the new run.
        second = await runs_again("second", "succeeded", exit_code=0)
        assert visible(pane)[0] == "second run output"
        assert f"run #{second} succeeded" in status(pane) and "older" not in status(pane)
        # The person goes back to the first run on purpose: a newer run leaves it there,
        # and the status line says it is an older run and which is the newest.
        await pilot.press("left_square_bracket")
        await settle(pilot)
        third = await runs_again("third", "running")
        assert visible(pane)[0] == "first run output"
        assert f"older run: the newest is #{third}" in status(pane), status(pane)
        # Choosing the newest again follows new runs again.
        await pilot.press("right_square_bracket", "right_square_bracket")
        await settle(pilot)
        await runs_again("fourth", "running")
        assert visible(pane)[0] == "fourth run output"


async def test_n_pressed_quickly_moves_as_many_matches_and_counts_them(
    orch: Orchestrator,
) -> None:
    task = add_task(orch, "T-12")
    run = add_run(orch, task, status="failed", exit_code=1)
    texts = [f"line {i}" for i in range(3000)]
    for i in range(0, 3000, 100):  # 30 matches, seq 0, 100, ..., 2900
        texts[i] = f"match number {i // 100 + 1}"
    add_lines(orch, run, texts)
    async with LogApp(orch).run_test(size=(80, 24)) as pilot:
        pane = await open_task(pilot, "T-12")
        await pilot.press("slash", *"match", "enter")
        await settle(pilot)
        first = pane.view.match_seq
        assert first is not None
        assert f"match {first // 100 + 1}/30" in status(pane), status(pane)
        # Three n in one go (no settling between them): three matches further on.
        for _ in range(3):
            pane.action_next_match()
        await settle(pilot)
        assert pane.view.match_seq == (first + 300) % 3000
        assert f"match {(first + 300) % 3000 // 100 + 1}/30" in status(pane), status(pane)
        for _ in range(2):
            pane.action_previous_match()
        await settle(pilot)
        assert pane.view.match_seq == (first + 100) % 3000


async def test_long_lines_scroll_sideways_half_a_pane_per_key(orch: Orchestrator) -> None:
    task = add_task(orch, "T-13")
    run = add_run(orch, task, status="failed", exit_code=1)
    add_lines(orch, run, ["".join(f"{i:04d} " for i in range(200))])
    async with LogApp(orch).run_test(size=(80, 24)) as pilot:
        pane = await open_task(pilot, "T-13")
        view = pane.view
        width = view.scrollable_content_region.width
        await pilot.press("right")
        await settle(pilot)
        assert view.scroll_x == width // 2
        await pilot.press("l", "h")
        await settle(pilot)
        assert view.scroll_x == width // 2
        await pilot.press("left")
        await settle(pilot)
        assert view.scroll_x == 0


async def test_a_cancelled_run_not_yet_stopped_shows_as_stopping_with_who_asked(
    orch: Orchestrator,
) -> None:
    task = add_task(orch, "T-1")
    run = add_run(orch, task)
    why = "run cancelled by alice: wrong branch"
    with orch.db.write() as conn:  # as `runs.cancel` leaves it until the runner closes it
        marking = Run.__table__.update().where(Run.__table__.c.id == run)
        conn.execute(marking.values(cancel_requested=why))
    app = LogApp(orch)
    async with app.run_test(size=(120, 24)) as pilot:
        pane = await open_task(pilot, "T-1")
        assert f"run #{run} stopping ({why})" in status(pane)
        (listed,) = [str(o.prompt) for o in pane.query_one(OptionList).options]
        assert f"stopping ({why})" in listed and "running" not in listed


async def test_the_status_counts_the_lines_a_person_reads_from_one(orch: Orchestrator) -> None:
    # An agent's run keeps its raw events between the lines shown: the status
    # numbers the shown lines (1-5 of 5), not the stored sequence (0-7).
    task = add_task(orch, "T-9")
    run = add_run(orch, task, status="failed", exit_code=1)
    seq = 0
    for text in ["workspace: ready", "session s · model m", "Not logged in", "✗ Not logged in"]:
        seq = add_lines(orch, run, [text], seq)
        seq = add_lines(orch, run, ['{"type": "event"}'], seq, stream="raw")
    add_lines(orch, run, ["workspace: no changes"], seq, stream="system")
    big_task = add_task(orch, "T-10")
    big = add_run(orch, big_task, status="succeeded", exit_code=0)
    add_lines(orch, big, [f"line {i}" for i in range(5_000)])
    async with LogApp(orch).run_test(size=(100, 24)) as pilot:
        pane = await open_task(pilot, "T-9")
        assert "lines 1-5 of 5" in status(pane)
        pane = await open_task(pilot, "T-10")  # the tail of a run longer than the window
        first = 5_000 - len(pane.view.rows) + 1
        assert f"lines {first:,}-5,000 of 5,000" in status(pane)
        await pilot.press("g")
        await settle(pilot)
        assert f"lines 1-{len(pane.view.rows):,} of 5,000" in status(pane)
        view = pane.view  # scrolling down pages newer lines in and drops older ones
        for _ in range(3):
            view.scroll_to(y=view.max_scroll_y, animate=False, force=True)
            await settle(pilot)
        first = int(visible(pane)[0].split()[1]) - int(view.scroll_y) + 1
        last = first + len(view.rows) - 1
        assert f"lines {first:,}-{last:,} of 5,000" in status(pane)
        view.scroll_to(y=0, animate=False, force=True)  # and older ones back in
        await settle(pilot)
        first = int(visible(pane)[0].split()[1]) - int(view.scroll_y) + 1
        assert f"lines {first:,}-{first + len(view.rows) - 1:,} of 5,000" in status(pane)


async def test_each_run_takes_one_line_of_a_narrow_pane(orch: Orchestrator) -> None:
    # At 80 columns a run's line wrapped onto two, so two runs left the output
    # two lines of a seven-line pane.
    task = add_task(orch, "T-11")
    for _ in range(2):
        run = add_run(orch, task, agent="runner@a-rather-long-host-name", status="failed")
        add_lines(orch, run, ["Not logged in · Please run /login"])
    async with LogApp(orch).run_test(size=(60, 12)) as pilot:
        pane = await open_task(pilot, "T-11")
        runs = pane.query_one(OptionList)
        assert len(runs.options) == 2
        assert runs.size.height == 2
        assert all(len(runs.render_line(y).text.rstrip()) <= 60 for y in range(2))
        assert runs.render_line(0).text.rstrip().endswith("…")


async def test_at_80_columns_the_status_line_keeps_the_match_count_in_sight(
    orch: Orchestrator,
) -> None:
    """The run's details come first and fill 80 columns: they give way (cut, with an
    ellipsis), the search and its match count stay whole on screen."""
    task = add_task(orch, "T-13")
    run = add_run(orch, task, status="failed", exit_code=1)
    texts = [f"line {i}" for i in range(5000)]
    for i in range(0, 5000, 500):  # 10 matches
        texts[i] = f"needle {i}"
    add_lines(orch, run, texts)
    async with LogApp(orch).run_test(size=(80, 24)) as pilot:
        pane = await open_task(pilot, "T-13")
        await pilot.press("slash", *"needle", "enter")
        await settle(pilot)
        line = pane.query_one(".log-status")
        shown = "".join(s.text for s in line.render_line(0)).rstrip()
        assert line.size.width <= 80
        assert shown.startswith("T-13") and "…" in shown, shown
        assert re.search(r"search: needle · match \d+/10$", shown), shown


def end_run(
    orch: Orchestrator, run_id: int, status: str, exit_code: int | None, error: str
) -> None:
    """Close a run as a runner does: its status, exit code and error."""
    with orch.db.write() as conn:
        conn.execute(
            Run.__table__.update()
            .where(Run.__table__.c.id == run_id)
            .values(status=status, exit_code=exit_code, error=error, ended_at=utcnow())
        )


async def test_a_followed_run_that_ends_says_how_and_why_on_its_last_line(
    orch: Orchestrator,
) -> None:
    task = add_task(orch, "T-1")
    run = add_run(orch, task, agent="codex")
    add_lines(orch, run, [f"step {i}" for i in range(40)])
    async with LogApp(orch).run_test(size=(100, 16)) as pilot:
        pane = await open_task(pilot, "T-1")
        assert visible(pane)[-1] == "step 39"
        end_run(orch, run, "failed", 1, "codex gave up: waiting for network")
        pane.refresh_data()
        await settle(pilot)
        shown = [line for line in visible(pane) if line]
        assert shown[-2:] == [
            "step 39",
            f"── run {run} failed (exit 1): codex gave up: waiting for network",
        ]
        # The same words as the run's event in the task's timeline.
        assert pane.run is not None and pane.run.ending() is not None
        assert str(pane.run.ending()).startswith(f"run {run} failed (exit 1)")


@pytest.mark.parametrize(
    ("was", "status", "code", "reason", "lines", "said"),
    [
        # the runner's reason when the exit code is all there is: said once
        ("running", "failed", 1, "exit code 1", ["working"], "failed (exit 1)"),
        # a timed-out run as the runner closes it: "timed out" said once
        (
            "timed_out",
            "timed_out",
            -15,
            "timed out after 3600s",
            ["working"],
            "timed out after 3600s (exit -15)",
        ),
        # the agent's failure line says why right above: the closing line does not
        # say it again (Claude Code not logged in; Gemini CLI's words on stderr)
        (
            "running",
            "failed",
            1,
            "exit code 1: Not logged in · Please run /login",
            ["working", "✗ Not logged in · Please run /login"],
            "failed (exit 1)",
        ),
        (
            "running",
            "failed",
            41,
            "exit code 41: Please set an Auth method",
            ["Please set an Auth method"],
            "failed (exit 41)",
        ),
    ],
)
async def test_how_a_run_ended_is_said_once(
    orch: Orchestrator, was: str, status: str, code: int, reason: str, lines: list[str], said: str
) -> None:
    task = add_task(orch, "T-3")
    run = add_run(orch, task, agent="codex", status=was)
    add_lines(orch, run, lines)
    end_run(orch, run, status, code, reason)
    async with LogApp(orch).run_test(size=(100, 16)) as pilot:
        pane = await open_task(pilot, "T-3")
        shown = [line for line in visible(pane) if line]
        assert shown == [*lines, f"── run {run} {said}"]


async def test_a_shown_run_that_ended_says_why_literally(orch: Orchestrator) -> None:
    task = add_task(orch, "T-2")
    run = add_run(orch, task, agent="claude", status="timed_out")
    add_lines(orch, run, ["thinking"])
    end_run(orch, run, "timed_out", None, "Not logged in \x1b]0;owned\x07[@click=app.quit]x [/]")
    async with LogApp(orch).run_test(size=(100, 16)) as pilot:
        pane = await open_task(pilot, "T-2")
        shown = [line for line in visible(pane) if line]
        assert shown == [
            "thinking",
            f"── run {run} timed out: Not logged in [@click=app.quit]x [/]",
        ]
        assert f"run #{run} timed out" in status(pane) and "timed_out" not in status(pane)
        for y in range(2):
            for segment in pane.view.render_line(y):
                assert "\x1b" not in segment.text and "\x07" not in segment.text
                assert segment.style is None or not segment.style.meta.get("@click")


async def test_a_search_belongs_to_the_run_it_was_made_in(orch: Orchestrator) -> None:
    # Another task's log (or another run of the task) came up with the old search still
    # highlighted and named in the status line, and n searched the new run for it.
    first = add_run(orch, add_task(orch, "T-A"), status="succeeded", exit_code=0)
    add_lines(orch, first, ["a needle in A", "more of A"])
    again = add_run(orch, orch.queries.get_task("T-A").id, status="failed", exit_code=1)
    add_lines(orch, again, ["a needle in A's second run"])
    other = add_run(orch, add_task(orch, "T-B"), status="succeeded", exit_code=0)
    add_lines(orch, other, ["a needle in B"])
    async with LogApp(orch).run_test(size=(100, 24)) as pilot:
        pane = await open_task(pilot, "T-A")

        async def search() -> None:
            await pilot.press("slash", *"needle", "enter")
            await settle(pilot)
            assert pane.view.pattern is not None and "search: needle" in status(pane)

        def forgotten() -> bool:
            return (
                pane.view.pattern is None
                and "search" not in status(pane)
                and pane.check_action("next_match", ()) is None
            )

        await search()
        pane.show_task("T-B")
        await settle(pilot)
        assert visible(pane)[0] == "a needle in B"
        assert forgotten(), status(pane)
        pane.show_task("T-A")
        await settle(pilot)
        await search()
        await pilot.press("left_square_bracket")  # the task's older run
        await settle(pilot)
        assert visible(pane)[0] == "a needle in A"
        assert forgotten(), status(pane)
