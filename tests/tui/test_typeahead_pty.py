"""Keys typed right after `/` belong to the filter, even when the terminal delivers
them in the same read as the `/` (a fast typist, a paste, tmux send-keys)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from orchestrator_tui.domain.models import TaskSpec
from orchestrator_tui.services import open_orchestrator

from .pty_app import PtyApp

pytestmark = pytest.mark.skipif(
    not hasattr(__import__("os"), "openpty"), reason="needs a pseudo-terminal"
)


@pytest.fixture
def database(tmp_path: Path) -> str:
    url = str(tmp_path / "typeahead.db")
    orch = open_orchestrator(url, "setup")
    orch.tasks.create(TaskSpec(key="UX-2", title="Alpha task"))
    orch.tasks.create(TaskSpec(key="UX-3", title="bravo"))
    orch.close()
    return url


def statuses(url: str) -> dict[str, str]:
    orch = open_orchestrator(url, "check")
    try:
        return {row.key: row.status.value for row in orch.queries.list_tasks()}
    finally:
        orch.close()


def filter_line(lines: list[str]) -> str:
    """The task pane's filter line (the part left of any pane beside it)."""
    line = next((line for line in lines if re.search(r"\d+ tasks? · view", line)), "")
    return line.split("││")[0]


def shows(text: str) -> Callable[[list[str]], bool]:
    return lambda lines: any(text in line for line in lines)


@contextmanager
def tui(url: str, home: Path, size: tuple[int, int] = (160, 48)) -> Iterator[PtyApp]:
    """The TUI on `url`, acting as pat, once its first screen (with the dependency tree)
    is drawn and quiet; closed afterwards."""
    app = PtyApp(["--db", url, "--as", "pat", "tui"], home, *size)
    try:
        app.wait_for(shows("waits for ("), "the tree")
        app.settle()
        yield app
    finally:
        app.close()


@pytest.mark.parametrize("size", [(160, 48), (80, 24)])
def test_keys_typed_with_the_slash_go_to_the_filter(database, tmp_path, size):
    with tui(database, tmp_path, size) as app:
        # `b` blocks, `r` resets, `a` approves, `v` changes the view, `o` the sort:
        # typed with the `/`, every one of them is text for the filter.
        app.write(b"/bravo")
        app.wait_for(
            lambda lines: "bravo" in filter_line(lines),
            "the filter to read 'bravo'",
            timeout=15,
        )
        app.settle()
        assert statuses(database) == {"UX-2": "pending", "UX-3": "pending"}
        line = filter_line(app.lines())
        assert "bravo" in line and "1 task · view all · sort key" in line, line


def test_keys_typed_with_a_pane_switch_and_slash_go_to_the_log_search(database, tmp_path):
    with tui(database, tmp_path) as app:
        app.write(b"3/bravo")
        app.wait_for(
            lambda lines: any("bravo" in line and "UX-3" not in line for line in lines),
            "the log search to read 'bravo'",
            timeout=15,
        )
        app.settle()
        assert statuses(database) == {"UX-2": "pending", "UX-3": "pending"}
        line = filter_line(app.lines())
        assert "2 tasks · view all · sort key" in line and "bravo" not in line, line


def test_a_key_typed_with_a_move_in_the_inbox_acts_on_where_the_move_lands(tmp_path):
    """`G` then `y` in one read: `y` answers the last entry's question, and no
    warning says that the first entry (an approval) cannot be answered."""
    url = str(tmp_path / "inbox.db")
    orch = open_orchestrator(url, "setup")
    orch.tasks.create(TaskSpec(key="AP-1", title="needs a yes", requires_approval=True))
    orch.tasks.start("AP-1")
    orch.as_actor("bob").tasks.complete("AP-1")
    orch.tasks.create(TaskSpec(key="QU-1", title="asks"))
    orch.tasks.start("QU-1")
    orch.as_actor("bot").questions.ask("QU-1", "left or right?")
    orch.close()
    with tui(url, tmp_path) as app:
        app.write(b"i")
        app.wait_for(lambda lines: any("? answer" in line for line in lines), "the inbox")
        app.settle()
        app.write(b"Gy")
        app.wait_for(lambda lines: any("Answer QU-1" in line for line in lines), "the dialog")
        app.settle()
        assert "not an answer" not in app.text()


def test_a_move_typed_before_the_slash_moves_the_list(tmp_path):
    """`j/task` in one read: `j` moves the cursor (the list had it before the filter
    took the focus), the rest filters; `s` then starts the task `j` moved to."""
    url = str(tmp_path / "moves.db")
    orch = open_orchestrator(url, "setup")
    for key, title in (("UX-2", "Alpha task"), ("UX-3", "Beta task"), ("UX-4", "Gamma")):
        orch.tasks.create(TaskSpec(key=key, title=title))
    orch.close()
    with tui(url, tmp_path) as app:
        app.write(b"j/task")
        app.wait_for(
            lambda lines: "2 tasks · view all" in filter_line(lines), "the filter", timeout=15
        )
        app.settle()
        app.write(b"\r")  # keep the filter, back to the list
        app.settle()
        app.write(b"s")
        deadline = time.monotonic() + 15
        while "in_progress" not in statuses(url).values() and time.monotonic() < deadline:
            app.settle(quiet=0.1)
        assert statuses(url) == {"UX-2": "pending", "UX-3": "in_progress", "UX-4": "pending"}


def test_keys_typed_with_n_never_reach_the_list_under_the_form(database, tmp_path):
    """`n sd` in one read: the new-task form opens on `n`; the space, `s` and `d`
    typed with it must not mark, start or finish a task of the list beneath."""
    with tui(database, tmp_path) as app:
        app.write(b"n sd")
        app.wait_for(lambda lines: any("New task" in line for line in lines), "the form")
        app.settle()
        assert statuses(database) == {"UX-2": "pending", "UX-3": "pending"}
        app.write(b"\x1b")  # close the form
        app.wait_for(lambda lines: not any("New task" in line for line in lines), "the list")
        app.settle()
        assert not any("●" in line for line in app.lines()), app.text()
        assert statuses(database) == {"UX-2": "pending", "UX-3": "pending"}


@pytest.mark.parametrize("size", [(160, 48), (80, 24)])
def test_keys_typed_with_e_go_to_the_edit_form_not_the_list(database, tmp_path, size):
    """`es d` in one read: the edit form opens on `e` and reads its task; the `s`,
    space and `d` typed meanwhile must not start, mark or finish a task of the list
    beneath: they are typed into the form's title (at 80x24 too)."""
    with tui(database, tmp_path, size) as app:
        app.write(b"es d")
        app.wait_for(shows("Alpha tasks d"), "the title typed into")
        app.settle()
        assert statuses(database) == {"UX-2": "pending", "UX-3": "pending"}
        assert "marked task" not in app.text()
        app.write(b"!")  # typed on: it adds to the title, replacing none of it
        app.wait_for(shows("Alpha tasks d!"), "the title typed on")
        app.write(b"\x1b")  # close the form
        app.wait_for(lambda lines: not any("Edit UX-2" in line for line in lines), "the list")
        app.settle()
        assert not any("●" in line for line in app.lines()), app.text()
        assert statuses(database) == {"UX-2": "pending", "UX-3": "pending"}


def test_text_typed_with_n_goes_into_the_new_task_title(database, tmp_path):
    """`nFix login` in one read: the text typed before the form mounted is its title."""
    with tui(database, tmp_path) as app:
        app.write(b"nFix login")
        app.wait_for(shows("Fix login"), "the title typed into")
        app.settle()
        assert "New task" in app.text()
        assert statuses(database) == {"UX-2": "pending", "UX-3": "pending"}


def test_keys_typed_with_a_pane_key_go_to_that_pane(database, tmp_path):
    """From the tree pane, `1js` in one read: `1` gives the list the focus back, `j`
    moves its cursor and `s` starts the task it moved to (not the tree's, nor the
    task the cursor was on)."""
    with tui(database, tmp_path) as app:
        app.write(b"2")
        app.settle()
        app.write(b"1js")
        deadline = time.monotonic() + 15
        while "in_progress" not in statuses(database).values() and time.monotonic() < deadline:
            app.settle(quiet=0.1)
        assert statuses(database) == {"UX-2": "pending", "UX-3": "in_progress"}


@pytest.mark.parametrize("pane", [b"2", b"4"])
def test_keys_typed_with_the_slash_from_another_pane_go_to_the_filter(database, tmp_path, pane):
    """In the tree or dashboard pane, `/bravo` in one read filters the list by 'bravo'."""
    with tui(database, tmp_path) as app:
        app.write(pane)
        app.settle()
        app.write(b"/bravo")
        app.wait_for(
            lambda lines: "1 task · view all" in filter_line(lines), "the filter", timeout=15
        )
        app.settle()
        assert "bravo" in filter_line(app.lines())
        assert statuses(database) == {"UX-2": "pending", "UX-3": "pending"}
