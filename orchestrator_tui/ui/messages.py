"""Messages the app posts to every screen; widget-specific ones live with their widget."""

from __future__ import annotations

import inspect
from dataclasses import MISSING, Field, field
from typing import TYPE_CHECKING, Any, ClassVar, dataclass_transform

import rich.repr
from textual.message import Message

from ..domain.errors import OrchestratorError
from ..domain.text import printable

if TYPE_CHECKING:
    from ..domain.list_row import ListRow

_NO_DEFAULT = object()  # a field a message must be given


@dataclass_transform(eq_default=False, field_specifiers=(field, Field))
class DataMessage(Message):
    """A message declared as a dataclass is (annotated fields, defaults, `field(...)`),
    without the decorator: an event, compared by identity, shown with its fields in
    Textual's log through the one `__rich_repr__` here. The fields are read once per
    class and one `__init__` here fills them, where `dataclasses` would compile an
    `__init__` from source for each of the ~45 messages at import (~2% of the main
    thread's work before the first frame)."""

    #: The class's fields in order, each with its default (`_NO_DEFAULT` for none)
    #: or a `Field` holding its default factory.
    _message_fields: ClassVar[tuple[tuple[str, Any], ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        found = dict(cls._message_fields)  # a parent message's fields come first
        for name, annotation in inspect.get_annotations(cls).items():
            if "ClassVar" in str(annotation):
                continue
            default = cls.__dict__.get(name, _NO_DEFAULT)
            if isinstance(default, Field):
                delattr(cls, name)
                if default.default is not MISSING:
                    default = default.default
                elif default.default_factory is MISSING:
                    default = _NO_DEFAULT
            found[name] = default
        cls._message_fields = tuple(found.items())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        declared = self._message_fields
        if len(args) > len(declared):
            raise TypeError(f"{type(self).__name__} takes {len(declared)} fields, not {len(args)}")
        for (name, _), value in zip(declared, args, strict=False):
            setattr(self, name, value)
        for name, default in declared[len(args) :]:
            if name in kwargs:
                value = kwargs.pop(name)
            elif default is _NO_DEFAULT:
                raise TypeError(f"{type(self).__name__} needs its field {name!r}")
            elif isinstance(default, Field):
                value = default.default_factory()  # type: ignore[operator]  # (not MISSING here)
            else:
                value = default
            setattr(self, name, value)
        if kwargs:
            raise TypeError(f"{type(self).__name__} has no field {next(iter(kwargs))!r}")
        super().__init__()

    def __rich_repr__(self) -> rich.repr.Result:
        for name, _ in self._message_fields:
            yield name, getattr(self, name)


class OrchestratorReady(DataMessage):
    """The database is open; screens may start loading."""


class FirstPage(DataMessage, bubble=False):
    """The first rows of the task list, read before the database layer has loaded
    (plain `ListRow`s: pydantic and the models load after the first frame)."""

    total: int
    rows: list[ListRow]


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
