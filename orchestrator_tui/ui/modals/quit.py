"""Asked when the person quits while this TUI's runner has commands running."""

from __future__ import annotations

from typing import Literal

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from ..style_sheets import DIALOG_STYLES

QuitChoice = Literal["stop", "wait"]

#: Shown under the choices: why the commands cannot simply be left running.
WHY_NOT_LEAVE_RUNNING = (
    "Commands started here cannot outlive the TUI: it reads their output. To keep "
    "work going after you quit, run `orchestrator-tui run` in another terminal "
    "instead of ctrl+r."
)


def quit_message(keys: list[str], grace_seconds: float) -> Text:
    count = len(keys)
    shown = ", ".join(keys[:8]) + (f" and {count - 8} more" if count > 8 else "")
    text = Text(end="")
    text.append(f"{count} command{' is' if count == 1 else 's are'} running: ", "bold")
    text.append(shown, "bold")
    one = count == 1
    text.append(
        f"\nQuitting now stops {'it' if one else 'them'} (SIGTERM, then SIGKILL after "
        f"{grace_seconds:g} s): {'its run is' if one else 'their runs are'} recorded as "
        f"cancelled and {'its task' if one else 'their tasks'} handed back to pending, to "
        f"run again later.\nOr quit when {'it finishes' if one else 'they finish'}: nothing "
        "new is started meanwhile.\n\n"
    )
    text.append(WHY_NOT_LEAVE_RUNNING, "dim")
    return text


class QuitWhileRunning(ModalScreen[QuitChoice | None]):
    """s (or q) stops the commands and quits, w quits when they finish, escape stays."""

    CSS_PATH = DIALOG_STYLES

    BINDINGS = [
        Binding("s,q", "answer('stop')", "Stop and quit", id="quit.stop"),
        Binding("w", "answer('wait')", "Quit when they finish", id="quit.wait"),
        Binding("n,escape", "answer(None)", "Stay", id="quit.stay"),
    ]

    def __init__(self, keys: list[str], grace_seconds: float) -> None:
        super().__init__(classes="prompt")
        self.keys = keys
        self.grace_seconds = grace_seconds

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(Text("Quit while commands run?"), id="dialog-title")
            yield Static(quit_message(self.keys, self.grace_seconds), id="dialog-message")
            with Horizontal(id="dialog-buttons"):
                yield Button("Stop and quit (s)", variant="error", id="stop")
                yield Button("Quit when done (w)", variant="primary", id="wait")
                yield Button("Stay (esc)", id="stay")

    def on_mount(self) -> None:
        self.query_one("#stay", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        choice = event.button.id
        self.dismiss(choice if choice in ("stop", "wait") else None)  # type: ignore[arg-type]

    def action_answer(self, choice: QuitChoice | None) -> None:
        self.dismiss(choice)
