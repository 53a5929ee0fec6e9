"""Messages the app posts to every screen; widget-specific ones live with their widget."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, ClassVar

import rich.repr
from textual.message import Message

from ..domain.errors import OrchestratorError
from ..domain.text import printable

if TYPE_CHECKING:
    from ..domain.list_row import ListRow


class DataMessage(Message):
    """A message whose fields are a dataclass's, declared `@dataclass(eq=False,
    repr=False)`: an event, compared by identity, and shown with its fields (Textual's
    log) through the one `__rich_repr__` here, rather than a `__repr__` that
    `dataclasses` would compile from source for each message at import."""

    def __rich_repr__(self) -> rich.repr.Result:
        for field in fields(self):  # type: ignore[arg-type]  # (each subclass is one)
            if field.repr:
                yield field.name, getattr(self, field.name)


@dataclass(eq=False, repr=False)
class OrchestratorReady(DataMessage):
    """The database is open; screens may start loading."""


@dataclass(eq=False, repr=False)
class FirstPage(DataMessage):
    """The first rows of the task list, read before the database layer has loaded
    (plain `ListRow`s: pydantic and the models load after the first frame)."""

    bubble: ClassVar[bool] = False
    total: int
    rows: list[ListRow]


@dataclass(eq=False, repr=False)
class DataChanged(DataMessage):
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


@dataclass(eq=False, repr=False)
class DbFailed(DataMessage):
    """A service call was refused or failed; the message is meant for a person."""

    error: Exception
    title: str = ""

    @property
    def text(self) -> str:
        # Errors quote keys, file contents and paths: nothing in them reaches the terminal.
        if isinstance(self.error, OrchestratorError):
            return printable(str(self.error))
        return printable(f"{type(self.error).__name__}: {self.error}")
