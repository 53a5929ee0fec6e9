"""A frame reaches the terminal's writer thread in one piece, with the same bytes."""

from __future__ import annotations

import sys
from types import SimpleNamespace

import pytest
from textual._ansi_sequences import SYNC_END, SYNC_START
from textual.app import App
from textual.drivers.headless_driver import HeadlessDriver

from orchestrator_tui.app import make_app
from orchestrator_tui.ui.frame_writes import frame_writes

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="Textual's Linux driver")


async def test_a_frame_is_handed_to_the_writer_once_and_other_writes_as_they_come() -> None:
    from textual.drivers.linux_driver import LinuxDriver

    driver_class = frame_writes(LinuxDriver)
    assert issubclass(driver_class, LinuxDriver) and driver_class is not LinuxDriver
    driver = driver_class(App(), debug=False, mouse=False, size=(80, 24))
    handed: list[str] = []
    driver._writer_thread = SimpleNamespace(write=handed.append)
    driver.write("\x1b[?25l")
    for part in (SYNC_START, "\x1b[3;1Hrow", "\x1b[4;1Hnext", SYNC_END):
        driver.write(part)
    driver.write("\x07")
    assert handed == ["\x1b[?25l", SYNC_START + "\x1b[3;1Hrow\x1b[4;1Hnext" + SYNC_END, "\x07"]


def test_other_drivers_are_kept() -> None:
    assert frame_writes(HeadlessDriver) is HeadlessDriver


def test_the_app_runs_with_it(tmp_path, monkeypatch) -> None:
    from textual.drivers.linux_driver import LinuxDriver

    monkeypatch.delenv("TEXTUAL_DRIVER", raising=False)
    app = make_app(str(tmp_path / "app.db"), "pat")
    assert app.driver_class is frame_writes(LinuxDriver)
