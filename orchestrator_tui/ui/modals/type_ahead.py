"""A dialog that keeps what was typed before it had a field to type in.

A dialog opened by a key (`n`, `e`) is built, or reads its task, after that key;
keys typed with it in one read of the terminal (a fast typist, a paste, tmux
send-keys) arrive meanwhile. With nothing focused yet they would reach the dialog
itself and be lost (and, before it opened, the list under it). Here they wait, in
the order typed, and go to the first widget the dialog focuses; a dialog that
closes before it focuses anything drops them.
"""

from __future__ import annotations

from typing import TypeVar

from textual import events
from textual.screen import ModalScreen
from textual.widget import Widget

from ..style_sheets import DIALOG_STYLES

ResultType = TypeVar("ResultType")


class TypeAheadDialog(ModalScreen[ResultType]):
    """Keys and pastes sent to the dialog before it first focuses a widget are held,
    then given to that widget as it takes the focus (before any key typed later)."""

    CSS_PATH = DIALOG_STYLES

    def __init__(self, *, classes: str | None = None) -> None:
        super().__init__(classes=classes)
        #: What was typed meanwhile; None once the dialog has focused a widget.
        self._typed_ahead: list[events.Key | events.Paste] | None = []

    @property
    def holds_type_ahead(self) -> bool:
        """Whether keys typed now wait (the dialog has focused nothing yet)."""
        return self._typed_ahead is not None

    def _forward_event(self, event: events.Event) -> None:
        # The app (nothing focused) and the task list (keys read before the dialog
        # opened) send keys here: Textual's Screen would post them to the dialog,
        # where no field would ever see them.
        held = self._typed_ahead
        if held is not None and isinstance(event, (events.Key, events.Paste)):
            held.append(event)
            return
        super()._forward_event(event)

    def watch_focused(self, focused: Widget | None) -> None:
        """Hand what was typed to the first widget focused, as the focus moves: a key
        the app forwards to it afterwards queues behind them."""
        held = self._typed_ahead
        if focused is None or held is None:
            return
        self._typed_ahead = None
        for event in held:
            focused._forward_event(event)
