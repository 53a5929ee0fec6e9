"""The app's style sheets (`styles/`), each given to what shows it first.

Textual parses a sheet once it is loaded and matches every widget it styles against
all the rules loaded so far, so the first frame parses and matches only the rules of
what it shows. The app loads the others just after its first frame (`LATER_STYLES`,
see `OrchestratorApp.load_later_styles`); a screen's `CSS_PATH` names its sheet too,
which Textual loads (for the whole app) if the screen is shown before that.
"""

from __future__ import annotations

from pathlib import PurePath

from ..resources import resource_path


def style_paths(*names: str) -> list[str | PurePath]:
    """The sheets `names` as Textual's `CSS_PATH` takes them."""
    return [resource_path("styles", name) for name in names]


#: The main screen and app-wide parts (header, footer, notifications): the app's own.
APP_STYLES = style_paths("app.tcss", "main.tcss", "status.tcss")
#: The detail screen, the approvals inbox and the help screen.
SCREEN_STYLES = style_paths("screens.tcss")
#: The dialogs (prompts, the task form, import and export).
DIALOG_STYLES = style_paths("modals.tcss")
#: The sheets the first frame does not need, loaded just after it.
LATER_STYLES = SCREEN_STYLES + DIALOG_STYLES
#: Every sheet, in the order the rules were written for.
ALL_STYLES = APP_STYLES + LATER_STYLES
