"""The app's style sheets (`styles/`), each given to what shows it first.

Textual parses a sheet once it is loaded and matches every widget it styles against
all the rules loaded so far, so the first frame parses and matches only the rules of
what it shows. A screen's `CSS_PATH` loads its sheet when the screen is first shown,
for the whole app, as the app's own `CSS_PATH` does at the start.
"""

from __future__ import annotations

from pathlib import Path

from ..resources import resource_path


def style_paths(*names: str) -> list[Path]:
    return [resource_path("styles", name) for name in names]


#: The main screen and app-wide parts (header, footer, notifications): the app's own.
APP_STYLES = style_paths("app.tcss", "main.tcss", "status.tcss")
#: The detail screen, the approvals inbox and the help screen.
SCREEN_STYLES = style_paths("screens.tcss")
#: The dialogs (prompts, the task form, import and export).
DIALOG_STYLES = style_paths("modals.tcss")
#: Every sheet, in the order the rules were written for.
ALL_STYLES = APP_STYLES + SCREEN_STYLES + DIALOG_STYLES
