"""A reloader that shows only its newest request's result stops the call in flight
when asked again: its reads give the core back, and the newest request is answered
without an error shown."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from sqlalchemy import text
from textual.app import App, ComposeResult
from textual.message import Message
from textual.widgets import Static

from orchestrator_tui.services import open_orchestrator
from orchestrator_tui.ui.db import Refresher, itself

#: Hours of SQLite's time: only a stop ends it within the test.
ENDLESS = (
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000000000000) "
    "SELECT count(*) FROM c"
)


@dataclass
class Answer(Message):
    text: str


class Shown(Static):
    def __init__(self) -> None:
        super().__init__()
        self.answers: list[str] = []

    def on_answer(self, message: Answer) -> None:
        self.answers.append(message.text)


class Host(App[None]):
    def compose(self) -> ComposeResult:
        yield Shown()


async def test_a_newer_request_stops_the_read_in_flight(tmp_path):
    orch = open_orchestrator(str(tmp_path / "refresh.db"), "tester")
    started = threading.Event()
    endless: list = []  # (if the test fails, it stops that read itself)

    def call(o, snapshot: str) -> Answer:
        with o.db.read() as conn:
            if snapshot == "old":
                endless.append(conn.connection.dbapi_connection)
                started.set()
                conn.execute(text(ENDLESS)).scalar_one()
            return Answer(f"{snapshot}: {conn.execute(text('SELECT 1')).scalar_one()}")

    app = Host()
    try:
        async with app.run_test() as pilot:
            shown = app.query_one(Shown)
            refresher = Refresher(
                shown, call, itself, "refresh", provider=lambda: orch, stop_obsolete=True
            )
            refresher.request("old")
            for _ in range(600):
                if started.is_set():
                    break
                await pilot.pause(0.05)
            assert started.is_set()
            for _ in range(600):  # (the statement may not have begun when `started` was set)
                refresher.request("new")
                await pilot.pause(0.05)
                if shown.answers:
                    break
            assert shown.answers == ["new: 1"]
            assert not app._notifications  # nothing went wrong: no error shown
            assert not refresher.busy
    finally:
        for connection in endless:
            connection.interrupt()
        orch.close()


async def test_a_lingering_worker_answers_the_next_request_without_a_new_worker(tmp_path):
    orch = open_orchestrator(str(tmp_path / "linger.db"), "tester")

    def call(o, snapshot: str) -> Answer:
        with o.db.read() as conn:
            return Answer(f"{snapshot}: {conn.execute(text('SELECT 1')).scalar_one()}")

    app = Host()
    try:
        async with app.run_test() as pilot:
            shown = app.query_one(Shown)
            started: list[str] = []
            run_worker = shown.run_worker

            def counted(*args, **kwargs):
                started.append(kwargs["name"])
                return run_worker(*args, **kwargs)

            shown.run_worker = counted  # type: ignore[method-assign]
            refresher = Refresher(shown, call, itself, "refresh", provider=lambda: orch, linger=30)
            for count, snapshot in enumerate(("first", "second", "third"), 1):
                refresher.request(snapshot)
                for _ in range(600):
                    await pilot.pause(0.05)
                    if len(shown.answers) == count:
                        break
            assert shown.answers == ["first: 1", "second: 1", "third: 1"]
            assert started == ["refresh"]  # one worker answered all three
            assert not refresher.busy
        # (the app closed: the lingering worker saw it cancelled and ended)
    finally:
        orch.close()
