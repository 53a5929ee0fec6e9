"""The TUI's first frame, started as a person starts it (`orchestrator-tui --db X` in a
terminal): it shows the first rows already, and neither pydantic nor the database
layer has been imported by the time those rows are on screen (each costs a large part
of the first frame; they load after it)."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import pyte
import pytest

from benchmarks.pty_driver import FRAME_END, ProgramExited, PtyDriver
from orchestrator_tui.domain.models import TaskSpec
from orchestrator_tui.services import open_orchestrator

from .pty_app import program_env

pytestmark = pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")

#: Modules the first frame must not wait for.
NOT_BEFORE_FIRST_FRAME = (
    "pydantic",
    "pydantic_core",
    "sqlalchemy",
    "sqlmodel",
    "yaml",
    "orchestrator_tui.domain.models",
    "orchestrator_tui.services",
    "orchestrator_tui.store.tables",
)

#: Runs the command line as `python -m orchestrator_tui` does, and writes down what is
#: imported once the first rows have been drawn (`first_page_drawn` is called after the
#: frame that shows them), then quits.
PROBE = """
import gc, json, sys
import orchestrator_tui.app as app_module
from orchestrator_tui.cli import main

out, db = sys.argv[1], sys.argv[2]
drawn = app_module.OrchestratorApp.first_page_drawn

def first_page_drawn(self):
    table = self.screen.table
    rows = [table.row_at(i) for i in range(table.total)]
    seen = {
        "modules": sorted(sys.modules),
        "rows": [[r.key, type(r).__name__] for r in rows if r is not None],
        "gc": [gc.isenabled()],
        "unseen": [type(w).__name__ for w in self.screen.query("Input, OptionList")],
    }
    drawn(self)
    seen["gc"] += [gc.isenabled(), gc.get_freeze_count() > 0]
    with open(out, "w") as f:
        json.dump(seen, f)
    self.exit()

app_module.OrchestratorApp.first_page_drawn = first_page_drawn
sys.exit(main(["--db", db]))
"""


@pytest.fixture
def database(tmp_path: Path) -> str:
    url = str(tmp_path / "first.db")
    orch = open_orchestrator(url, "setup")
    orch.tasks.create(TaskSpec(key="FF-1", title="Alpha first row"))
    orch.tasks.create(TaskSpec(key="FF-2", title="Bravo second row"))
    orch.as_actor("bot").questions.ask("FF-2", "Which branch?")
    orch.close()
    return url


def _run_until_exit(term: PtyDriver, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            term.read(0.1)
    except ProgramExited:
        return
    raise AssertionError("the app did not quit after its first rows:\n" + term.tail())


def test_first_rows_are_drawn_before_pydantic_or_the_database_layer_loads(
    database: str, tmp_path: Path
) -> None:
    out = tmp_path / "first_frame.json"
    argv = [sys.executable, "-c", PROBE, str(out), database]
    term = PtyDriver(argv, 160, 48, program_env(tmp_path))
    try:
        _run_until_exit(term)
    finally:
        term.close(quit_key=None)
    seen = json.loads(out.read_text())
    loaded = set(seen["modules"])
    assert "textual.app" in loaded and "orchestrator_tui.store.quick" in loaded  # it ran
    early = sorted(m for m in NOT_BEFORE_FIRST_FRAME if m in loaded)
    assert early == [], f"imported before the first rows were drawn: {early}"
    assert seen["rows"] == [["FF-1", "ListRow"], ["FF-2", "ListRow"]]
    # The collector is paused until then (the start's objects live as long as the
    # app) and collects again from the first frame on, leaving those objects out.
    assert seen["gc"] == [False, True, True]
    # Nor are parts it does not show built yet: the filter and log search inputs, the
    # log pane's list of runs (made when first needed).
    assert seen["unseen"] == []


#: Runs the command line with the first page's read ending just after the main screen
#: has mounted (as on a busy machine, where the read on its own thread is late).
LATE_READ = """
import sys, threading, time
import orchestrator_tui.store.quick as quick
from orchestrator_tui.cli import main
from orchestrator_tui.ui.screens.main import MainScreen

mounted = threading.Event()
read, on_mount = quick.read_first_page, MainScreen.on_mount

def late_read(*args):
    mounted.wait(30)
    time.sleep(0.02)
    return read(*args)

def mounting(self):
    mounted.set()
    on_mount(self)

quick.read_first_page, MainScreen.on_mount = late_read, mounting
sys.exit(main(["--db", sys.argv[1]]))
"""


def _first_frame(argv: list[str], home: Path) -> list[str]:
    """The lines of the first frame `argv` draws in a 160x48 terminal."""
    term = PtyDriver(argv, 160, 48, program_env(home))
    try:
        deadline = time.monotonic() + 60
        while FRAME_END not in term.buf:
            assert time.monotonic() < deadline, "no frame drawn:\n" + term.tail()
            term.read(0.1)
        first = bytes(term.buf[: term.buf.index(FRAME_END) + len(FRAME_END)])
    finally:
        term.close()
    screen = pyte.Screen(160, 48)
    pyte.ByteStream(screen).feed(first)
    return [line.rstrip() for line in screen.display]


def test_a_first_page_read_just_after_the_screen_mounts_is_in_the_first_frame(
    database: str, tmp_path: Path
) -> None:
    """The list is not painted empty and then again with its rows when the page is
    read a moment late: the first paint waits for it (`app.FIRST_PAGE_WAIT`)."""
    lines = _first_frame([sys.executable, "-c", LATE_READ, database], tmp_path)
    assert any("Alpha first row" in line for line in lines), "\n".join(lines)
    assert any("Bravo second row" in line for line in lines), "\n".join(lines)


def test_the_first_frame_already_shows_the_rows_and_their_questions(
    database: str, tmp_path: Path
) -> None:
    """No empty list is drawn first: the page read while the app imported is in the
    very first frame, with the statuses a later load shows ("? asking"), and so are
    the footer's keys."""
    lines = _first_frame([sys.executable, "-m", "orchestrator_tui", "--db", database], tmp_path)
    alpha = next((line for line in lines if "Alpha first row" in line), None)
    bravo = next((line for line in lines if "Bravo second row" in line), None)
    assert alpha is not None and bravo is not None, "\n".join(lines)
    assert "? asking" in bravo and "? asking" not in alpha
    # (On a loaded machine Textual may lay out the first frame for 80x24, before it has
    # read the terminal's size: the footer is then on that frame's last line.)
    footer = next((line for line in lines if line.endswith("▏^p palette")), "")
    assert footer.lstrip().startswith("? Help"), "\n".join(lines)
