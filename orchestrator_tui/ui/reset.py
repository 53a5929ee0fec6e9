"""A database reset under the TUI (`db reset`, `db copy --replace`): every row it read is
gone, and ids start over, so a key or an id read before may name another row now.
The lists reload (`DataChanged.reset`); a task's detail closes if its task is gone;
and a dialog about rows read before (a decision, an answer, an undo, an edit) closes
unanswered, so that it never acts on a row the person has not seen."""

from __future__ import annotations

from typing import Any

from textual.app import App
from textual.screen import ModalScreen, Screen

TITLE = "Database reset"


def close_with_dialogs_over(screen: Screen[Any]) -> bool:
    """Close `screen` and the dialogs over it (each shows it behind, or is about it);
    False when a whole screen covers it (it is not shown: the caller closes it once it
    is shown again)."""
    app = screen.app
    stack = app.screen_stack
    above = stack[stack.index(screen) + 1 :]
    if not all(isinstance(s, ModalScreen) for s in above):
        return False
    for _ in range(len(above) + 1):
        app.pop_screen()
    return True


def close_dialogs_about_rows(app: App[Any]) -> None:
    """Close the dialogs about rows read before the reset (their `about_rows`: the
    dialog's title, saying what it would have done), with whatever dialog is over
    them; each one says so in a line."""
    stack = app.screen_stack
    about = [getattr(s, "about_rows", None) for s in stack]
    first = next((i for i, title in enumerate(about) if title is not None), None)
    if first is None or not close_with_dialogs_over(stack[first]):
        return
    for title in about[first:]:
        if title is not None:
            app.notify(
                f"{title}: not done: the database was reset (emptied) while the dialog was open",
                title=TITLE,
                severity="warning",
                markup=False,
            )
