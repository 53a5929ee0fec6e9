"""Placeholder for the execution-log pane: the same constructor and methods as
the real widget, showing only a summary of the selected task's runs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.message import Message
from textual.widgets import Static

from ...domain.models import RunView
from ..db import run_db
from ..render import safe

if TYPE_CHECKING:
    from ...services import Orchestrator


@dataclass
class _Runs(Message):
    key: str
    runs: list[RunView]


class ExecutionLogPane(Static, can_focus=True):
    def __init__(self, orch_provider: Callable[[], Orchestrator], id: str | None = None) -> None:
        super().__init__(Text("no task selected"), id=id)
        self._orch_provider = orch_provider
        self._key: str | None = None

    def show_task(self, key: str | None) -> None:
        self._key = key
        if key is None:
            self.update(Text("no task selected"))
            return
        self.refresh_data()

    def refresh_data(self) -> None:
        key = self._key
        if key is None:
            return
        run_db(
            self,
            lambda orch: _Runs(key, orch.queries.runs_for(key)),
            lambda m: m,
            group="log-runs",
            exclusive=True,
        )

    @on(_Runs)
    def _on_runs(self, message: _Runs) -> None:
        message.stop()
        if message.key != self._key:
            return
        text = Text(end="")
        text.append(f"{message.key}: {len(message.runs)} runs")
        for run in message.runs[-5:]:
            text.append(f"\n  #{run.attempt} {run.status.value} by {safe(run.agent) or '-'}")
            text.append(f", {run.line_count} lines")
        self.update(text)
