"""Messages the app posts to every screen; widget-specific ones live with their widget."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from textual.message import Message

from ..domain.errors import OrchestratorError
from ..domain.text import printable

if TYPE_CHECKING:
    from ..domain.list_row import ListRow


@dataclass(eq=False)
class OrchestratorReady(Message):
    """The database is open; screens may start loading."""


@dataclass(eq=False)
class FirstPage(Message):
    """The first rows of the task list, read before the database layer has loaded
    (plain `ListRow`s: pydantic and the models load after the first frame)."""

    bubble: ClassVar[bool] = False
    total: int
    rows: list[ListRow]


@dataclass(eq=False)
class DataChanged(Message):
    """The change feed moved (or the first load is due): reload what is shown.

    `keys`: the tasks events touched (None: unknown or too many, reload all);
    `fields`: the row fields those events may have changed (domain/changes.py);
    `events`: the events moved (False: only new log lines were stored);
    `lines`: new log lines were stored;
    `reset`: the database was emptied (`db reset`, `db copy --replace`): what was
    shown may be gone, and ids name other rows now."""

    event_id: int
    awaiting_approval: int
    keys: frozenset[str] | None = None
    fields: frozenset[str] = frozenset()
    events: bool = True
    lines: bool = False
    reset: bool = False


@dataclass(eq=False)
class DbFailed(Message):
    """A service call was refused or failed; the message is meant for a person."""

    error: Exception
    title: str = ""

    @property
    def text(self) -> str:
        # Errors quote keys, file contents and paths: nothing in them reaches the terminal.
        if isinstance(self.error, OrchestratorError):
            return printable(str(self.error))
        return printable(f"{type(self.error).__name__}: {self.error}")
